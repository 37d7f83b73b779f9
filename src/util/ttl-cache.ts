/**
 * The cache of verified answers, one for both trust systems (Notary v1 verified trust data per
 * server, GUN and rule; Notation verdicts per subject digest, and tag lookups). Its contract:
 *
 * - fresh: an answer is reused until the TTL or the expiry `expiresOf` gives (the earliest expiry
 *   signed into it), whichever comes first; `ttlMs: 0` = never reused (loads in flight still shared);
 * - LRU-bounded: at most `maxEntries` keys, the least recently used dropped first;
 * - single flight: concurrent `get`s of one key share one load; a caller whose signal aborts stops
 *   waiting at once, the shared load is aborted only when every caller waiting for it has aborted
 *   (a caller without a signal keeps it running), and a signal aborted before `get` starts nothing;
 * - failures are not remembered by default (`failureTtlMs: 0`): the next `get` loads again; with a
 *   `failureTtlMs` the same error is rethrown for that long. A load its callers abandoned (aborted)
 *   says nothing about the source: never remembered, and it leaves the held answer as it was;
 * - stale if error (`staleIfErrorMs`, default 0 = off): an answer is held that much longer past its
 *   TTL, never past its signed expiry, and answers (marked through `onStale`) only when a new load
 *   fails with an error `isTransportError` accepts (the source cannot be reached);
 * - fail closed: a load that fails any other way (e.g. verification) drops the held answer, so it is
 *   never answered stale for something that has failed verification since.
 */
import { abortReason, flightOf, joinFlight, type Flight } from './shared-flight.js';

export interface TtlCacheOptions {
  /** Most entries held; default 1000. */
  readonly maxEntries?: number;
  /** Upper bound on how long an answer is reused; default 60 000 ms; 0 = not reused. */
  readonly ttlMs?: number;
  /** How long a failure is remembered; default 0 (not remembered). */
  readonly failureTtlMs?: number;
  /** How long past the TTL an answer may be used when its source cannot be reached; default 0 (never). */
  readonly staleIfErrorMs?: number;
  /** Which load failures mean the source cannot be reached (allow a stale answer); default none. */
  readonly isTransportError?: (error: unknown) => boolean;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface TtlCache<V> {
  /**
   * The fresh answer held for `key`, the load in flight, or a new `load` (given a signal that aborts
   * when every waiting caller has aborted). `expiresOf` gives the value's signed expiry, if any.
   * `onStale` is called (with the load's error) when the answer is a held one served because its
   * source could not be reached.
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
   * `misses` started a load, `errors` loads that failed, `stale` answers served stale (per caller).
   */
  stats(): { hits: number; misses: number; errors: number; stale: number };
}

/** `until`: fresh until; `keep`: held until (past `until` only to answer a transport error). */
type Entry<V> =
  | { readonly ok: true; readonly value: V; readonly until: number; readonly keep: number }
  | { readonly ok: false; readonly error: unknown; readonly until: number; readonly keep: number };

/** A load's answer: fresh, or the held value served because the load failed with `error`. */
type Loaded<V> = { readonly value: V; readonly stale?: { readonly error: unknown } };

export function createTtlCache<V>(opts: TtlCacheOptions = {}): TtlCache<V> {
  // Long: one closure over the entries, flights and counters; each step is a small named inner function.
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const ttlMs = opts.ttlMs ?? 60_000;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const staleIfErrorMs = opts.staleIfErrorMs ?? 0;
  const isTransportError = opts.isTransportError ?? (() => false);
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Flight<Loaded<V>>>();
  const counters = { hits: 0, misses: 0, errors: 0, stale: 0 };

  const put = (key: string, e: Entry<V>): void => {
    entries.delete(key);
    if (e.keep <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  /** The entry for `key` if still fresh; an expired one stays held only for a transport error. */
  const fresh = (key: string): Entry<V> | undefined => {
    const hit = entries.get(key);
    if (hit === undefined) return undefined;
    const t = now();
    entries.delete(key);
    if (hit.until > t || (hit.ok && hit.keep > t)) entries.set(key, hit); // most recently used goes last
    return hit.until > t ? hit : undefined;
  };

  /** A failed load: the held answer when the source cannot be reached and it is still held, else the error. */
  const failed = (key: string, error: unknown, abandoned: boolean): Loaded<V> => {
    counters.errors++;
    if (abandoned) throw error;
    const old = entries.get(key);
    if (!isTransportError(error)) entries.delete(key); // fail closed: never answered stale after this
    else if (old?.ok === true && old.keep > now()) return { value: old.value, stale: { error } };
    if (failureTtlMs > 0) {
      const until = now() + failureTtlMs;
      put(key, { ok: false, error, until, keep: until });
    }
    throw error;
  };

  /** A new shared load of `key`, registered in flight until it settles. */
  const start = (key: string, load: (signal: AbortSignal) => Promise<V>, expiresOf: (value: V) => Date | undefined): Flight<Loaded<V>> => {
    counters.misses++;
    const controller = new AbortController();
    // Started at once (a throw becomes a rejection); settled only after the flight is registered.
    const loading = (async () => load(controller.signal))();
    const run = async (): Promise<Loaded<V>> => {
      try {
        const value = await loading;
        const exp = expiresOf(value)?.getTime() ?? Infinity;
        const until = Math.min(now() + ttlMs, exp);
        put(key, { ok: true, value, until, keep: Math.min(until + staleIfErrorMs, exp) });
        return { value };
      } catch (error) {
        return failed(key, error, controller.signal.aborted);
      } finally {
        inflight.delete(key);
      }
    };
    const flight = flightOf(run(), controller);
    inflight.set(key, flight);
    return flight;
  };

  return {
    get(key, load, expiresOf, signal, onStale) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const hit = fresh(key);
      if (hit !== undefined) {
        counters.hits++;
        return hit.ok ? Promise.resolve(hit.value) : Promise.reject(hit.error);
      }
      let flight = inflight.get(key);
      if (flight !== undefined) counters.hits++;
      else flight = start(key, load, expiresOf);
      return joinFlight(flight, signal).then((l) => {
        if (l.stale !== undefined) {
          counters.stale++;
          onStale?.(l.stale.error);
        }
        return l.value;
      });
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
