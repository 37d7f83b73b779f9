/**
 * The verified-trust cache, shared by a KRM run and the long-running webhook. Keyed by
 * (server, GUN, rule identity):
 *
 * - single flight: concurrent `get`s of one key share one load (one fetch per role);
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
  get(key: string, load: () => Promise<V>, expiresOf: (value: V) => Date | undefined): Promise<V>;
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

type Entry<V> = { readonly ok: true; readonly value: V; readonly until: number } | { readonly ok: false; readonly error: unknown; readonly until: number };

export function createTrustCache<V>(opts: TrustCacheOptions = {}): TrustCache<V> {
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const ttlMs = opts.ttlMs ?? 60_000;
  const failureTtlMs = opts.failureTtlMs ?? 0;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Promise<V>>();
  const counters = { hits: 0, misses: 0, errors: 0 };

  const put = (key: string, e: Entry<V>) => {
    entries.delete(key);
    if (e.until <= now()) return;
    entries.set(key, e);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    get(key, load, expiresOf) {
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
        return running;
      }
      counters.misses++;
      const p = (async () => {
        try {
          const value = await load();
          const t = now();
          const exp = expiresOf(value)?.getTime();
          put(key, { ok: true, value, until: Math.min(t + ttlMs, exp ?? Infinity) });
          return value;
        } catch (error) {
          counters.errors++;
          if (failureTtlMs > 0) put(key, { ok: false, error, until: now() + failureTtlMs });
          throw error;
        } finally {
          inflight.delete(key);
        }
      })();
      inflight.set(key, p);
      return p;
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
