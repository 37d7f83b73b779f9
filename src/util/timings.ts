/** Opt-in phase timings (NOTARY_PIN_TIMINGS=1): time since start and memory per phase, on stderr. */
const on = process.env.NOTARY_PIN_TIMINGS === '1';
const marks: Array<[string, number, NodeJS.MemoryUsage]> = [];

export function mark(phase: string): void {
  if (on) marks.push([phase, performance.now(), process.memoryUsage()]);
}

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
