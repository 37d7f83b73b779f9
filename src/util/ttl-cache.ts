/**
 * The cache of verified answers for both trust systems: reused until the TTL or the earliest signed
 * expiry; LRU-bounded; single flight per key; failures not remembered unless `failureTtlMs`.
 * Stale-if-error serves a held answer (never past its signed expiry) only when a load fails with a
 * transport error; any other failure drops the held answer (fail closed).
 */
import { abortReason, flightOf, joinFlight, type Flight } from './shared-flight.js';

export interface TtlCacheOptions {
  /** Default 1000. */
  readonly maxEntries?: number;
  /** Default 60 000 ms; 0 = not reused. */
  readonly ttlMs?: number;
  /** Default 0 (not remembered). */
  readonly failureTtlMs?: number;
  /** How long past the TTL an answer may be used when its source is unreachable; default 0. */
  readonly staleIfErrorMs?: number;
  /** Which load failures mean the source is unreachable (allow a stale answer); default none. */
  readonly isTransportError?: (error: unknown) => boolean;
  readonly now?: () => number;
}

export interface TtlCache<V> {
  /** The fresh answer, the load in flight, or a new `load`; `onStale` is called when a held answer is served stale. */
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
  /** `hits` held entry or joined load, `misses` started a load, `errors` failed loads, `stale` stale answers. */
  stats(): { hits: number; misses: number; errors: number; stale: number };
}

/** `until`: fresh until; `keep`: held until (past `until` only to answer a transport error). */
type Entry<V> =
  | { readonly ok: true; readonly value: V; readonly until: number; readonly keep: number }
  | { readonly ok: false; readonly error: unknown; readonly until: number; readonly keep: number };

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

  /** The fresh entry; an expired one stays held only for a transport error. */
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
