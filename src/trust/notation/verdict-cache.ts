/**
 * A single-flight, LRU- and TTL-bounded cache for the Notation resolver's answers (a subject
 * digest's verified signature; a tag's descriptor). Callers may carry an AbortSignal: a caller that
 * gives up leaves at once, and the shared load is aborted only when every caller waiting on it has
 * given up, so one short webhook deadline never fails the other requests for the same image.
 * Stale if error (`staleIfErrorMs`, default 0 = off): an answer is kept that much longer past its
 * TTL, never past its `until` (the signed expiries), and answers only when a new load fails with an
 * error `isTransportError` accepts (the registry cannot be reached), never a verification failure.
 */
import { flightOf, joinFlight, type Flight } from '../../util/shared-flight.js';

export interface VerdictCacheOptions {
  /** Most entries held; least recently used dropped first. */
  readonly maxEntries: number;
  /** Upper bound on how long an answer is reused; 0 = not reused (loads in flight are still shared). */
  readonly ttlMs: number;
  /** How long a failure is remembered (a function run asks once); default 0 = not remembered. */
  readonly failureTtlMs?: number;
  /** How long past the TTL an answer may be used when the registry cannot be reached; default 0 (never). */
  readonly staleIfErrorMs?: number;
  /** Which load failures allow a stale answer; default none. */
  readonly isTransportError?: (error: unknown) => boolean;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface VerdictCache<V> {
  /**
   * The held answer for `key`, the load in flight, or a new `load` (given a signal that aborts when
   * every waiting caller has aborted). `until` bounds how long a value holds (e.g. a signature's expiry).
   * `onStale` is called (with the load's error) when the answer is a stale one (see staleIfErrorMs).
   */
  get(
    key: string,
    load: (signal: AbortSignal) => Promise<V>,
    until: (value: V) => Date | undefined,
    signal?: AbortSignal,
    onStale?: (error: unknown) => void,
  ): Promise<V>;
  readonly size: number;
  stats(): { hits: number; misses: number; errors: number; stale: number };
}

/** `until`: fresh until; `keep`: held until (past `until` only to answer a transport error). */
type Entry<V> =
  | { readonly ok: true; readonly value: V; readonly until: number; readonly keep: number }
  | { readonly ok: false; readonly error: unknown; readonly until: number; readonly keep: number };

/** A load's answer: fresh, or the held value served because the load failed with `staleBecause`. */
type Loaded<V> = { readonly value: V; readonly staleBecause?: unknown };

export function createVerdictCache<V>(opts: VerdictCacheOptions): VerdictCache<V> {
  const maxEntries = Math.max(1, opts.maxEntries);
  const now = opts.now ?? Date.now;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const staleIfErrorMs = opts.staleIfErrorMs ?? 0;
  const isTransportError = opts.isTransportError ?? (() => false);
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Flight<Loaded<V>>>();
  const counters = { hits: 0, misses: 0, errors: 0, stale: 0 };

  const put = (key: string, e: Entry<V>): void => {
    entries.delete(key);
    if (e.keep <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    get(key, load, until, signal, onStale) {
      // Long: the fresh hit, the shared flight, and a new load with its stale fallback, in order.
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        if (hit.until > now()) {
          entries.set(key, hit); // most recently used goes last
          counters.hits++;
          return hit.ok ? Promise.resolve(hit.value) : Promise.reject(hit.error);
        }
        if (hit.ok && hit.keep > now()) entries.set(key, hit); // held for a transport error only
      }
      const unwrap = (l: Loaded<V>): V => {
        if (l.staleBecause !== undefined) {
          counters.stale++;
          onStale?.(l.staleBecause);
        }
        return l.value;
      };
      const running = inflight.get(key);
      if (running !== undefined) {
        counters.hits++;
        return joinFlight(running, signal).then(unwrap);
      }
      counters.misses++;
      const controller = new AbortController();
      const flight = flightOf(
        (async (): Promise<Loaded<V>> => {
          try {
            // Started on a microtask: the flight is registered before the load can settle.
            const value = await Promise.resolve().then(() => load(controller.signal));
            const exp = until(value)?.getTime() ?? Infinity;
            const fresh = Math.min(now() + opts.ttlMs, exp);
            put(key, { ok: true, value, until: fresh, keep: Math.min(fresh + staleIfErrorMs, exp) });
            return { value };
          } catch (error) {
            counters.errors++;
            // The registry could not be reached: an answer still held (never past its signed expiry) answers.
            const old = entries.get(key);
            if (!controller.signal.aborted && isTransportError(error)) {
              if (old?.ok === true && old.keep > now()) return { value: old.value, staleBecause: error };
            } else if (!controller.signal.aborted && old?.ok === true) entries.delete(key); // failed now: never answered stale later
            // An abandoned load says nothing about the image: never remembered.
            if (failureTtlMs > 0 && !controller.signal.aborted) {
              const t = now() + failureTtlMs;
              put(key, { ok: false, error, until: t, keep: t });
            }
            throw error;
          } finally {
            inflight.delete(key);
          }
        })(),
        controller,
      );
      inflight.set(key, flight);
      return joinFlight(flight, signal).then(unwrap);
    },
    get size() {
      return entries.size;
    },
    stats() {
      return { ...counters };
    },
  };
}
