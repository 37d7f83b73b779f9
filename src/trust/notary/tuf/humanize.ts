/** Human-readable durations for error messages ("3 days", "1 hour"). */

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [365 * 24 * 3600_000, 'year'],
  [24 * 3600_000, 'day'],
  [3600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** The largest unit that fits at least twice ("36 hours", not "1 day"), rounded down; sign ignored. */
export function humanDuration(ms: number): string {
  const abs = Math.abs(ms);
  for (const [size, name] of UNITS) {
    if (abs >= 2 * size || size === 1000) {
      const n = Math.floor(abs / size);
      if (n >= 2 || size === 1000) return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return '0 seconds';
}
