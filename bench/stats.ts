/**
 * The bench's statistics: medians, and runs measured in pairs (one of each side right after the
 * other, the order alternating) so that a shared machine's drift shifts both sides of a pair alike.
 */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** `runs` pairs of `a` and `b`: a then b on even runs, b then a on odd ones. */
export async function paired<T>(runs: number, a: (i: number) => Promise<T>, b: (i: number) => Promise<T>): Promise<[T[], T[]]> {
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      as.push(await a(i));
      bs.push(await b(i));
    } else {
      bs.push(await b(i));
      as.push(await a(i));
    }
  }
  return [as, bs];
}

/** Median of the pairs' differences b[i] − a[i]. */
export function pairedDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} and ${b.length} runs`);
  return median(b.map((x, i) => x - a[i]!));
}

/** Median of the pairs' ratios b[i] / a[i]. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`pairedRatio: ${a.length} and ${b.length} runs`);
  return median(b.map((x, i) => x / a[i]!));
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
