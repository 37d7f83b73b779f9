/**
 * A single-flight, LRU- and TTL-bounded cache for the Notation resolver's answers (a subject
 * digest's verified signature; a tag's descriptor). Callers may carry an AbortSignal: a caller that
 * gives up leaves at once, and the shared load is aborted only when every caller waiting on it has
 * given up, so one short webhook deadline never fails the other requests for the same image.
 */

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

interface Flight<V> {
  readonly promise: Promise<V>;
  readonly controller: AbortController;
  /** Callers still waiting that could abort; `Infinity` once one that cannot abort joined. */
  waiters: number;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

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

  // A caller waits on the shared flight; aborting its own signal rejects only its own promise.
  const join = (f: Flight<V>, signal: AbortSignal | undefined): Promise<V> => {
    if (signal === undefined) {
      f.waiters = Infinity;
      return f.promise;
    }
    f.waiters++;
    const leave = (): void => {
      if (--f.waiters === 0) f.controller.abort(abortReason(signal));
    };
    if (signal.aborted) {
      leave();
      return Promise.reject(abortReason(signal));
    }
    return new Promise<V>((resolve, reject) => {
      const onAbort = (): void => {
        leave();
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
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
        return join(running, signal);
      }
      counters.misses++;
      const controller = new AbortController();
      const flight: Flight<V> = {
        controller,
        waiters: 0,
        promise: (async () => {
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
      };
      flight.promise.catch(() => undefined); // each caller gets its own rejection via join
      inflight.set(key, flight);
      return join(flight, signal);
    },
    get size() {
      return entries.size;
    },
    stats() {
      return { ...counters };
    },
  };
}
