/** Aborts after `ms` or with `parent`; cleared when done (cheaper than AbortSignal.timeout + any, no listener leak). */
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

export async function withDeadline<T>(ms: number, parent: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const d = deadline(ms, parent);
  try {
    return await work(d.signal);
  } finally {
    d.done();
  }
}
