/**
 * A bound on metadata fetches in flight per trust server across all callers of a resolver, so one
 * caller cannot occupy the server's connections; a queued fetch whose caller aborted is never sent.
 */

export interface FetchLimiter {
  /** Runs `fn` once fewer than the bound run for `server`; rejects with the abort reason if `signal` aborts first. */
  run<T>(server: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Fetches running and waiting for `server` (for tests and metrics). */
  load(server: string): { running: number; waiting: number };
}

interface Slot {
  running: number;
  readonly queue: Array<() => void>;
}

/** `max` fetches at a time per server; servers with nothing running or waiting are forgotten. */
export function createFetchLimiter(max: number): FetchLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`the fetch bound per server must be a positive integer, got ${max}`);
  const slots = new Map<string, Slot>();

  function release(server: string, slot: Slot): void {
    const next = slot.queue.shift();
    if (next) {
      next();
      return;
    }
    slot.running--;
    if (slot.running === 0) slots.delete(server);
  }

  async function acquire(server: string, signal: AbortSignal | undefined): Promise<Slot> {
    signal?.throwIfAborted();
    let slot = slots.get(server);
    if (slot === undefined) slots.set(server, (slot = { running: 0, queue: [] }));
    if (slot.running < max) {
      slot.running++;
      return slot;
    }
    const s = slot;
    await new Promise<void>((resolve, reject) => {
      // The slot is handed over by `release` (running stays the same).
      const granted = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = s.queue.indexOf(granted);
        if (i >= 0) s.queue.splice(i, 1);
        reject(signal!.reason);
      };
      s.queue.push(granted);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return s;
  }

  return {
    async run(server, fn, signal) {
      const slot = await acquire(server, signal);
      try {
        return await fn();
      } finally {
        release(server, slot);
      }
    },
    load(server) {
      const slot = slots.get(server);
      return { running: slot?.running ?? 0, waiting: slot?.queue.length ?? 0 };
    },
  };
}
