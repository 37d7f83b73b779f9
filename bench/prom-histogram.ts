/**
 * The server's own latency, from its Prometheus histogram: parse the cumulative buckets of one
 * series out of /metrics text, subtract an earlier scrape (the requests of one phase), and take a
 * quantile as Prometheus' histogram_quantile does (linear within the bucket).
 */

/** Cumulative bucket counts by upper bound (`le`), ascending; the last bound is +Inf. */
export type Buckets = readonly { readonly le: number; readonly count: number }[];

function labelsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** The `<name>_bucket` lines whose labels include `match` (other labels ignored, `le` read). */
export function parseHistogram(metricsText: string, name: string, match: Readonly<Record<string, string>> = {}): Buckets {
  const buckets: { le: number; count: number }[] = [];
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = labelsOf(line.slice(name.length + 8, close));
    if (Object.entries(match).some(([k, v]) => labels.get(k) !== v)) continue;
    const le = labels.get('le');
    if (le === undefined) continue;
    buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: Number(line.slice(close + 1).trim()) });
  }
  return buckets.sort((a, b) => a.le - b.le);
}

/** The value of an unlabelled gauge or counter line `<name> <value>`; undefined when absent. */
export function parseGauge(metricsText: string, name: string): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1).trim());
  }
  return undefined;
}

/** `after - before`, bucket by bucket (a bucket missing before counts from 0). */
export function histogramDelta(before: Buckets, after: Buckets): Buckets {
  const earlier = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) }));
}

/**
 * The q-quantile (0..1) of cumulative buckets, interpolated linearly inside its bucket; NaN with
 * no observations. Falling into +Inf gives the highest finite bound (as Prometheus does).
 */
export function histogramQuantile(q: number, buckets: Buckets): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return lowerBound;
      if (b.count === lowerCount) return b.le;
      return lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / (b.count - lowerCount);
    }
    lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}
