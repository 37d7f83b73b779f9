/** Single flight: an abort rejects only its caller; the load aborts when all waiters have (never once one can't abort). */
export interface Flight<V> {
  readonly promise: Promise<V>;
  readonly controller: AbortController;
  /** Callers still waiting that could abort; `Infinity` once one that cannot abort joined. */
  waiters: number;
}

export function flightOf<V>(promise: Promise<V>, controller: AbortController): Flight<V> {
  promise.catch(() => undefined); // each caller gets its own rejection through joinFlight
  return { promise, controller, waiters: 0 };
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** `flight`'s promise for one caller: rejects with the caller's abort reason when `signal` aborts first. */
export function joinFlight<V>(flight: Flight<V>, signal: AbortSignal | undefined): Promise<V> {
  if (signal === undefined) {
    flight.waiters = Infinity;
    return flight.promise;
  }
  flight.waiters++;
  const leave = (): void => {
    if (--flight.waiters === 0) flight.controller.abort(abortReason(signal));
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
