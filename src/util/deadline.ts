/**
 * A signal that aborts after `ms` (with a TimeoutError) or when `parent` aborts, and that stops
 * both once the work is done. One timer and one listener: AbortSignal.timeout + AbortSignal.any
 * cost more per request and keep their listeners on a long-lived parent until it is collected.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Clears the timer and the parent listener; the signal then never aborts. */
  done(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, done: () => {} };
  }
  const onParent = (): void => controller.abort(parent?.reason);
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref(); // like AbortSignal.timeout: a pending deadline never keeps the process alive
  parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** Runs `work` under a deadline signal, cleared when it settles. */
export async function withDeadline<T>(ms: number, parent: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const d = deadline(ms, parent);
  try {
    return await work(d.signal);
  } finally {
    d.done();
  }
}
