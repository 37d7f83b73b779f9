/**
 * An open-loop HTTPS load generator (loopback only, bounded): sends `rate` requests per second
 * for `durationMs`, on a fixed schedule whatever the answers do (no coordinated omission: latency
 * is measured from the scheduled send time). At most `maxInFlight` requests are outstanding; a
 * request that would exceed it is counted as dropped, not queued. Every request has a timeout.
 */
import { Pool } from 'undici';

export interface LoadOptions {
  /** `https://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly path: string;
  readonly ca: string;
  readonly rate: number;
  readonly durationMs: number;
  /** Request body for the i-th request. */
  readonly body: (i: number) => string;
  readonly maxInFlight?: number;
  readonly timeoutMs?: number;
  readonly connections?: number;
  /** Checks a 2xx answer's body; false counts as an error. */
  readonly check?: (body: string) => boolean;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly dropped: number;
  /** Completed (ok) requests per second over the whole run, until the last answer. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly elapsedMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const maxInFlight = o.maxInFlight ?? 1000;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const pool = new Pool(o.origin, {
    connections: o.connections ?? 32,
    pipelining: 1,
    connect: { ca: o.ca, rejectUnauthorized: true },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const total = Math.round((o.rate * o.durationMs) / 1000);
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  let inFlight = 0;
  let errors = 0;
  let dropped = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();

  const fire = (i: number, scheduled: number): void => {
    if (inFlight >= maxInFlight) {
      dropped++;
      return;
    }
    inFlight++;
    sent++;
    pending.push(
      (async () => {
        try {
          const res = await pool.request({
            path: o.path,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: o.body(i),
            signal: AbortSignal.timeout(timeoutMs),
          });
          const text = await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300 && (o.check?.(text) ?? true)) latencies.push(performance.now() - scheduled);
          else errors++;
        } catch {
          errors++;
        } finally {
          inFlight--;
        }
      })(),
    );
  };

  // The schedule: request i is due at start + i × interval; a timer tick sends everything due.
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        fire(next, start + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  const elapsedMs = performance.now() - start;
  await pool.close();
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    sent,
    ok: latencies.length,
    errors,
    dropped,
    throughput: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    elapsedMs,
  };
}
