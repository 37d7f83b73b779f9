/**
 * The API server's wait for this webhook (`?timeout=10s`, from `timeoutSeconds` 1..30): we answer before it,
 * with our own clear denial, instead of its opaque "context deadline exceeded" under failurePolicy Fail.
 */

/** The API server's default when timeoutSeconds is unset. */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000;
const MIN_TIMEOUT_MS = 100;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, μs: 1e-3, ns: 1e-6 };

/** Go `time.Duration` (`1m30s`, `500ms`) to ms; undefined for anything else, zero or negative. */
export function parseGoDuration(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const unit = UNIT_MS[m[2] as string];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || !Number.isFinite(total) || total <= 0) return undefined;
  return total;
}

/** From the request URL's `timeout` query parameter. */
export function requestTimeoutMs(url: URL): number {
  const raw = url.searchParams.get('timeout');
  if (raw === null) return DEFAULT_TIMEOUT_MS;
  const ms = parseGoDuration(raw);
  if (ms === undefined) return DEFAULT_TIMEOUT_MS;
  return Math.min(Math.max(ms, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS);
}

/** The timeout minus 20% (250 ms to 2 s) for body, answer and network. */
export function verificationBudgetMs(timeoutMs: number): number {
  const margin = Math.min(2000, Math.max(250, timeoutMs * 0.2));
  return Math.max(50, Math.floor(timeoutMs - margin));
}
