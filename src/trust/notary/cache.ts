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
 */

export interface TrustCacheOptions {
  /** Maximum number of entries; default 1000. */
  readonly maxEntries?: number;
  /** Upper bound on how long a verified entry is used; default 60 000 ms. */
  readonly ttlMs?: number;
  /** How long a failure is remembered; default 0 (not cached). */
  readonly failureTtlMs?: number;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface TrustCache<V> {
  /**
   * The cached value for `key`, or the result of `load` (shared with concurrent callers).
   * `expiresOf` gives the verified data's earliest expiry.
   */
  get(key: string, load: (signal: AbortSignal) => Promise<V>, expiresOf: (value: V) => Date | undefined, signal?: AbortSignal): Promise<V>;
  delete(key: string): void;
  clear(): void;
  /** Entries held (loads in flight not counted). */
  readonly size: number;
  /**
   * Counters since creation: `hits` answered from a held entry or a load already in flight,
   * `misses` started a load, `errors` loads that failed.
   */
  stats(): { hits: number; misses: number; errors: number };
}

/** A load in flight: aborted when every waiter has aborted, unless one waits without a signal. */
interface Flight<V> {
  readonly promise: Promise<V>;
  readonly controller: AbortController;
  waiting: number;
  unabortable: boolean;
}

/** `flight`'s promise for one caller: rejects with the caller's abort reason when `signal` aborts first. */
function join<V>(flight: Flight<V>, signal: AbortSignal | undefined): Promise<V> {
  if (signal === undefined) {
    flight.unabortable = true;
    return flight.promise;
  }
  flight.waiting++;
  return new Promise<V>((resolve, reject) => {
    const onAbort = (): void => {
      flight.waiting--;
      if (flight.waiting === 0 && !flight.unabortable) flight.controller.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    flight.promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

type Entry<V> = { readonly ok: true; readonly value: V; readonly until: number } | { readonly ok: false; readonly error: unknown; readonly until: number };

export function createTrustCache<V>(opts: TrustCacheOptions = {}): TrustCache<V> {
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const ttlMs = opts.ttlMs ?? 60_000;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Flight<V>>();
  const counters = { hits: 0, misses: 0, errors: 0 };

  const put = (key: string, e: Entry<V>) => {
    entries.delete(key);
    if (e.until <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    get(key, load, expiresOf, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const hit = entries.get(key);
      if (hit) {
        if (hit.until > now()) {
          entries.delete(key); // LRU: most recently used goes last
          entries.set(key, hit);
          counters.hits++;
          return hit.ok ? Promise.resolve(hit.value) : Promise.reject(hit.error);
        }
        entries.delete(key);
      }
      const running = inflight.get(key);
      if (running) {
        counters.hits++;
        return join(running, signal);
      }
      counters.misses++;
      const controller = new AbortController();
      const p = (async () => {
        try {
          const value = await load(controller.signal);
          const t = now();
          const exp = expiresOf(value)?.getTime();
          put(key, { ok: true, value, until: Math.min(t + ttlMs, exp ?? Infinity) });
          return value;
        } catch (error) {
          counters.errors++;
          // A load its callers abandoned says nothing about the server: not remembered.
          if (failureTtlMs > 0 && !controller.signal.aborted) put(key, { ok: false, error, until: now() + failureTtlMs });
          throw error;
        } finally {
          inflight.delete(key);
        }
      })();
      p.catch(() => {}); // every caller gets its own rejection through join()
      const flight: Flight<V> = { promise: p, controller, waiting: 0, unabortable: false };
      inflight.set(key, flight);
      return join(flight, signal);
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
