/**
 * The one owner of the on-disk trust state under `spec.cacheDir`: the TOFU store (tofu.ts) and the
 * metadata cache (disk-cache.ts); whoever opens it flushes it. TOFU/version writes must succeed (an
 * answer waits for them, or with 'background' `stored()` rejects before any output); metadata cache
 * writes never delay an answer and never fail.
 */
import { checkDirSync } from './cache-dir.js';
import { join, resolve } from 'node:path';
import { createMetadataDiskCache, type CachedFiles, type MetadataDiskCache } from './disk-cache.js';
import { createTofuStore, type TofuStore } from './tofu.js';
import type { VerifiedState } from './tuf/verifier-contract.js';

export interface TrustStateOptions {
  readonly cacheDir: string;
  /** When TOFU/version writes happen; default `'each-answer'`. */
  readonly storeWrites?: 'each-answer' | 'background';
  /** Keep the on-disk metadata cache (`<cacheDir>/metadata/`); default true. */
  readonly metadataCache?: boolean;
  readonly debug?: (message: string) => void;
}

export interface TrustState {
  readonly cacheDir: string;
  /** The TOFU store; throws CONFIG_INVALID when the cache directory is unsafe (cache-dir.ts). */
  store(): TofuStore;
  metadata(): MetadataDiskCache | undefined;
  /** Records a verified load: versions (and TOFU root) in the store, files in the metadata cache if `server`. */
  remember(gun: string, state: VerifiedState, o: { root: boolean; server?: string; loaded?: CachedFiles; verifiedAt?: number }): Promise<void>;
  /** Waits for the TOFU/version writes started so far; rejects with the first that failed. */
  stored(): Promise<void>;
  /** Waits for every write (the metadata cache's too); rejects like `stored()`. */
  flush(): Promise<void>;
}

/** Opens the trust state of one cache directory; nothing is read or written before first use. */
export function openTrustState(o: TrustStateOptions): TrustState {
  const tofu = createTofuStore(o.cacheDir);
  const disk = o.metadataCache === false ? undefined : createMetadataDiskCache({ cacheDir: o.cacheDir, debug: o.debug });
  let checked: { error?: unknown } | undefined;
  /** The directories read before anything is created, checked once (an unsafe one fails every use). */
  const check = (): void => {
    if (checked === undefined) {
      try {
        checkDirSync(o.cacheDir);
        checkDirSync(join(o.cacheDir, 'tofu'));
        // A file where the metadata cache should be only costs the cache (its writes fail quietly).
        checkDirSync(join(o.cacheDir, 'metadata'), { otherFileOk: true });
        checked = {};
      } catch (error) {
        checked = { error };
      }
    }
    if (checked.error !== undefined) throw checked.error;
  };
  return {
    cacheDir: o.cacheDir,
    store() {
      check();
      return tofu;
    },
    metadata() {
      check();
      return disk;
    },
    async remember(gun, state, r) {
      check();
      if (disk && r.server !== undefined) void disk.save(r.server, gun, state, r.loaded, r.verifiedAt);
      if (o.storeWrites === 'background') tofu.enqueue(gun, state, { root: r.root });
      else await tofu.save(gun, state, { root: r.root });
    },
    stored: () => tofu.flush(),
    async flush() {
      await disk?.flush();
      await tofu.flush();
    },
  };
}

/** The trust states a command opens, one per resolved cache directory, flushed together at its end. */
export interface TrustStates {
  open(o: TrustStateOptions): TrustState;
  flush(): Promise<void>;
}

export function createTrustStates(): TrustStates {
  const byDir = new Map<string, TrustState>();
  return {
    open(o) {
      const key = resolve(o.cacheDir);
      let s = byDir.get(key);
      if (s === undefined) byDir.set(key, (s = openTrustState(o)));
      return s;
    },
    async flush() {
      const results = await Promise.allSettled([...byDir.values()].map((s) => s.flush()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
