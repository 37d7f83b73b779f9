/** The bound on /validate requests at once, and the wait for them on shutdown. */
export interface InFlight {
  readonly count: number;
  readonly max: number;
  /** Counts a request in; false (nothing counted) when `max` are already running. */
  tryEnter(): boolean;
  leave(): void;
  idle(graceMs: number): Promise<void>;
}

export function createInFlight(max: number, onChange: (delta: 1 | -1) => void = () => undefined): InFlight {
  let count = 0;
  let onIdle: (() => void) | undefined;
  return {
    get count() {
      return count;
    },
    max,
    tryEnter() {
      if (count >= max) return false;
      count++;
      onChange(1);
      return true;
    },
    leave() {
      count--;
      onChange(-1);
      if (count === 0) onIdle?.();
    },
    idle(graceMs) {
      if (count === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        onIdle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    },
  };
}
