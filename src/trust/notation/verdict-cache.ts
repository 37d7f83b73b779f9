/**
 * A single-flight, LRU- and TTL-bounded cache for the Notation resolver's answers (a subject
 * digest's verified signature; a tag's descriptor). Callers may carry an AbortSignal: a caller that
 * gives up leaves at once, and the shared load is aborted only when every caller waiting on it has
 * given up, so one short webhook deadline never fails the other requests for the same image.
 */
import { flightOf, joinFlight, type Flight } from '../../util/shared-flight.js';

export interface VerdictCacheOptions {
  /** Most entries held; least recently used dropped first. */
  readonly maxEntries: number;
  /** Upper bound on how long an answer is reused; 0 = not reused (loads in flight are still shared). */
  readonly ttlMs: number;
  /** How long a failure is remembered (a function run asks once); default 0 = not remembered. */
  readonly failureTtlMs?: number;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface VerdictCache<V> {
  /**
   * The held answer for `key`, the load in flight, or a new `load` (given a signal that aborts when
   * every waiting caller has aborted). `until` bounds how long a value holds (e.g. a signature's expiry).
   */
  get(key: string, load: (signal: AbortSignal) => Promise<V>, until: (value: V) => Date | undefined, signal?: AbortSignal): Promise<V>;
  readonly size: number;
  stats(): { hits: number; misses: number; errors: number };
}

type Entry<V> = { readonly ok: true; readonly value: V; readonly until: number } | { readonly ok: false; readonly error: unknown; readonly until: number };

export function createVerdictCache<V>(opts: VerdictCacheOptions): VerdictCache<V> {
  const maxEntries = Math.max(1, opts.maxEntries);
  const now = opts.now ?? Date.now;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Flight<V>>();
  const counters = { hits: 0, misses: 0, errors: 0 };

  const put = (key: string, e: Entry<V>): void => {
    entries.delete(key);
    if (e.until <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    get(key, load, until, signal) {
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        if (hit.until > now()) {
          entries.set(key, hit); // most recently used goes last
          counters.hits++;
          return hit.ok ? Promise.resolve(hit.value) : Promise.reject(hit.error);
        }
      }
      const running = inflight.get(key);
      if (running !== undefined) {
        counters.hits++;
        return joinFlight(running, signal);
      }
      counters.misses++;
      const controller = new AbortController();
      const flight = flightOf(
        (async () => {
          try {
            // Started on a microtask: the flight is registered before the load can settle.
            const value = await Promise.resolve().then(() => load(controller.signal));
            put(key, { ok: true, value, until: Math.min(now() + opts.ttlMs, until(value)?.getTime() ?? Infinity) });
            return value;
          } catch (error) {
            counters.errors++;
            // An abandoned load says nothing about the image: never remembered.
            if (failureTtlMs > 0 && !controller.signal.aborted) put(key, { ok: false, error, until: now() + failureTtlMs });
            throw error;
          } finally {
            inflight.delete(key);
          }
        })(),
        controller,
      );
      inflight.set(key, flight);
      return joinFlight(flight, signal);
    },
    get size() {
      return entries.size;
    },
    stats() {
      return { ...counters };
    },
  };
}
