/**
 * The verified-trust cache, shared by a KRM run and the long-running webhook. Keyed by
 * (server, GUN, rule identity):
 *
 * - single flight: concurrent `get`s of one key share one load (one fetch per role); a caller whose
 *   signal aborts stops waiting at once, and the shared load is aborted only when every caller
 *   waiting for it has aborted (a caller without a signal keeps it running);
 * - an entry is valid until the earliest role expiry of the verified data or the TTL, whichever
 *   comes first (so revocations and new signatures show up within the TTL);
 * - LRU-bounded: at most `maxEntries` keys, least recently used evicted first;
 * - failures are not cached by default (`failureTtlMs: 0`): the next `get` tries again. A webhook
 *   may set a short `failureTtlMs` (a few seconds) so a broken or slow server is not hammered by
 *   every admission request; such a cached failure is rethrown as is.
 * - stale if error (`staleIfErrorMs`, default 0 = off): an expired entry is kept that much longer
 *   past its TTL, never past the earliest expiry signed into the data, and is answered only when a
 *   new load fails with an error `isTransportError` accepts (the server cannot be reached); never
 *   for a verification failure.
 */
import { flightOf, joinFlight, type Flight } from '../../util/shared-flight.js';

export interface TrustCacheOptions {
  /** Maximum number of entries; default 1000. */
  readonly maxEntries?: number;
  /** Upper bound on how long a verified entry is used; default 60 000 ms. */
  readonly ttlMs?: number;
  /** How long a failure is remembered; default 0 (not cached). */
  readonly failureTtlMs?: number;
  /** How long past the TTL an entry may answer when its server cannot be reached; default 0 (never). */
  readonly staleIfErrorMs?: number;
  /** Which load failures allow a stale answer; default none. */
  readonly isTransportError?: (error: unknown) => boolean;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface TrustCache<V> {
  /**
   * The cached value for `key`, or the result of `load` (shared with concurrent callers).
   * `expiresOf` gives the verified data's earliest expiry. `onStale` is called (with the load's
   * error) when the answer is a stale entry served because its server could not be reached.
   */
  get(
    key: string,
    load: (signal: AbortSignal) => Promise<V>,
    expiresOf: (value: V) => Date | undefined,
    signal?: AbortSignal,
    onStale?: (error: unknown) => void,
  ): Promise<V>;
  delete(key: string): void;
  clear(): void;
  /** Entries held (loads in flight not counted). */
  readonly size: number;
  /**
   * Counters since creation: `hits` answered from a held entry or a load already in flight,
   * `misses` started a load, `errors` loads that failed.
   */
  stats(): { hits: number; misses: number; errors: number; stale: number };
}

/** `until`: fresh until; `keep`: held until (past `until` only to answer a transport error). */
type Entry<V> =
  | { readonly ok: true; readonly value: V; readonly until: number; readonly keep: number }
  | { readonly ok: false; readonly error: unknown; readonly until: number; readonly keep: number };

/** A load's answer: fresh, or the stale value served because the load failed with `staleBecause`. */
type Loaded<V> = { value: V; staleBecause?: unknown };

export function createTrustCache<V>(opts: TrustCacheOptions = {}): TrustCache<V> {
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const ttlMs = opts.ttlMs ?? 60_000;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const staleIfErrorMs = opts.staleIfErrorMs ?? 0;
  const isTransportError = opts.isTransportError ?? (() => false);
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Flight<Loaded<V>>>();
  const counters = { hits: 0, misses: 0, errors: 0, stale: 0 };

  const put = (key: string, e: Entry<V>) => {
    entries.delete(key);
    if (e.keep <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    get(key, load, expiresOf, signal, onStale) {
      // Long: the fresh hit, the shared flight, and a new load with its stale fallback, in order.
      if (signal?.aborted) return Promise.reject(signal.reason);
      const hit = entries.get(key);
      if (hit) {
        if (hit.until > now()) {
          entries.delete(key); // LRU: most recently used goes last
          entries.set(key, hit);
          counters.hits++;
          return hit.ok ? Promise.resolve(hit.value) : Promise.reject(hit.error);
        }
        if (!hit.ok || hit.keep <= now()) entries.delete(key);
      }
      const unwrap = (l: Loaded<V>): V => {
        if (l.staleBecause !== undefined) {
          counters.stale++;
          onStale?.(l.staleBecause);
        }
        return l.value;
      };
      const running = inflight.get(key);
      if (running) {
        counters.hits++;
        return joinFlight(running, signal).then(unwrap);
      }
      counters.misses++;
      const controller = new AbortController();
      const p = (async () => {
        try {
          const value = await load(controller.signal);
          const t = now();
          const exp = expiresOf(value)?.getTime() ?? Infinity;
          const until = Math.min(t + ttlMs, exp);
          put(key, { ok: true, value, until, keep: Math.min(until + staleIfErrorMs, exp) });
          return { value };
        } catch (error) {
          counters.errors++;
          // The server could not be reached: an entry still held (never past its signed expiry) answers.
          const old = entries.get(key);
          if (old?.ok === true && old.keep > now() && !controller.signal.aborted && isTransportError(error)) return { value: old.value, staleBecause: error };
          // A load its callers abandoned says nothing about the server: not remembered.
          if (failureTtlMs > 0 && !controller.signal.aborted) {
            const until = now() + failureTtlMs;
            put(key, { ok: false, error, until, keep: until });
          }
          throw error;
        } finally {
          inflight.delete(key);
        }
      })();
      const flight = flightOf(p, controller);
      inflight.set(key, flight);
      return joinFlight(flight, signal).then(unwrap);
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
    stats() {
      return { ...counters };
    },
  };
}
