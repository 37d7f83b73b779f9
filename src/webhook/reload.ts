/**
 * Reloads the serving certificate and the policy without a restart. The kubelet swaps mounted files by a
 * `..data` symlink flip, seen by `fs.watch` on their directories with a bounded poll as fallback. A version
 * that does not load is ignored.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

export interface Loaded {
  /** Content hash, to tell a real change from a touch. */
  readonly hash: string;
}

export interface FileReloaderOptions<T extends Loaded> {
  readonly what: string;
  readonly files: readonly string[];
  readonly load: () => Promise<T>;
  /** Called with each new valid version; a throw keeps the current one. */
  readonly apply: (next: T) => void;
  /** Log fields describing a version (never secrets). */
  readonly describe?: (value: T) => Record<string, unknown>;
  readonly onResult?: (result: 'ok' | 'error') => void;
  readonly logger: Logger;
  readonly pollIntervalMs?: number;
  /** Wait after a watch event so every file is written (default 250 ms). */
  readonly debounceMs?: number;
}

export class FileReloader<T extends Loaded> {
  private current: T;
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  private closed = false;

  private constructor(
    private readonly opts: FileReloaderOptions<T>,
    initial: T,
  ) {
    this.current = initial;
  }

  /** Loads (throws unless `initial` is given) and starts watching. */
  static async start<T extends Loaded>(opts: FileReloaderOptions<T>, initial?: T): Promise<FileReloader<T>> {
    const value = initial ?? (await opts.load());
    const r = new FileReloader(opts, value);
    r.watch();
    return r;
  }

  get value(): T {
    return this.current;
  }

  private watch(): void {
    for (const dir of new Set(this.opts.files.map((f) => dirname(f)))) {
      try {
        const w = watch(dir, { persistent: false }, () => this.schedule());
        w.on('error', (e) => {
          this.opts.logger.warn({ dir, err: e.message }, `${this.opts.what} directory watch failed; polling only`);
          w.close();
        });
        this.watchers.push(w);
      } catch (e) {
        this.opts.logger.warn({ dir, err: (e as Error).message }, `cannot watch the ${this.opts.what} directory; polling only`);
      }
    }
    const every = Math.max(50, this.opts.pollIntervalMs ?? 10_000);
    this.poll = setInterval(() => void this.check(), every);
    this.poll.unref();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.opts.debounceMs ?? 250);
    this.debounce.unref();
  }

  /** Applies and returns true when the files changed and load. Never throws. */
  check(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.checking ??= this.doCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async doCheck(): Promise<boolean> {
    const { what, logger } = this.opts;
    let next: T;
    try {
      next = await this.opts.load();
    } catch (e) {
      // Mid-update (one file new, one old) looks like this too; the next event or poll retries.
      if (!this.closed) this.failedOnce(e, `new ${what} does not load; keeping the current one`);
      return false;
    }
    if (this.closed || next.hash === this.current.hash) return false;
    try {
      this.opts.apply(next);
    } catch (e) {
      this.failedOnce(e, `applying the new ${what} failed; keeping the current one`);
      return false;
    }
    this.current = next;
    this.lastFailure = undefined;
    this.opts.onResult?.('ok');
    logger.info({ ...this.opts.describe?.(next) }, `${what} reloaded`);
    return true;
  }

  private lastFailure: string | undefined;

  /** Logs a failure once per distinct message (the poll would repeat it). */
  private failedOnce(e: unknown, message: string): void {
    const err = (e as Error).message;
    if (err === this.lastFailure) return;
    this.lastFailure = err;
    this.opts.onResult?.('error');
    this.opts.logger.warn({ err }, message);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}
