/**
 * The API server tells a webhook how long it will wait: it calls `POST /validate?timeout=10s`
 * (the ValidatingWebhookConfiguration's `timeoutSeconds`, 1..30, formatted as a Go duration).
 * A webhook that answers after that is treated as failed — with `failurePolicy: Fail` the request
 * is rejected with an opaque "context deadline exceeded". We answer before it, with our own clear
 * denial, by keeping a safety margin for network and serialisation.
 */

/** What the API server uses when the configuration does not set timeoutSeconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The API server's maximum `timeoutSeconds`. */
export const MAX_TIMEOUT_MS = 30_000;
const MIN_TIMEOUT_MS = 100;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, μs: 1e-3, ns: 1e-6 };

/**
 * Parses a Go `time.Duration` string (`10s`, `1m30s`, `1.5s`, `500ms`) into milliseconds.
 * Returns undefined for anything else (including negative or zero values).
 */
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

/** The API server's timeout for this call, from the request URL's `timeout` query parameter. */
export function requestTimeoutMs(url: URL): number {
  const raw = url.searchParams.get('timeout');
  if (raw === null) return DEFAULT_TIMEOUT_MS;
  const ms = parseGoDuration(raw);
  if (ms === undefined) return DEFAULT_TIMEOUT_MS;
  return Math.min(Math.max(ms, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS);
}

/**
 * How long verification may run: the timeout minus a margin of 20% (at least 250 ms, at most 2 s)
 * for reading the body, writing the answer and the network in between.
 */
export function verificationBudgetMs(timeoutMs: number): number {
  const margin = Math.min(2000, Math.max(250, timeoutMs * 0.2));
  return Math.max(50, Math.floor(timeoutMs - margin));
}
