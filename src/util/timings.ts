/**
 * Opt-in phase timings: with NOTARY_PIN_TIMINGS=1 the CLI prints, on stderr, how long each phase
 * of a run took (since process start) and the memory in use when it ended. Costs nothing when off.
 */
const on = process.env.NOTARY_PIN_TIMINGS === '1';
const marks: Array<[string, number, NodeJS.MemoryUsage]> = [];

/** Records that `phase` ended now. */
export function mark(phase: string): void {
  if (on) marks.push([phase, performance.now(), process.memoryUsage()]);
}

/** The recorded phases as lines (empty when timings are off). */
export function timingLines(): string[] {
  if (!on) return [];
  let last = 0;
  const mib = (n: number) => `${(n / 1048576).toFixed(0).padStart(4)}`;
  return marks.map(([phase, at, m]) => {
    const line =
      `notary-pin: timing: ${phase.padEnd(24)} +${(at - last).toFixed(1).padStart(7)} ms  (at ${at.toFixed(1).padStart(7)} ms)` +
      `  rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} MiB`;
    last = at;
    return line;
  });
}
