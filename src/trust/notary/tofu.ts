/**
 * The TOFU store: the first verified root of a GUN is remembered in
 * `<cacheDir>/tofu/<sha256(gun)>/root.json` and later runs pass it to the verifier as
 * `trustedRoot`, so a changed root must chain from it (notary's cached-root behaviour, TUF 5.3). The
 * highest verified versions are kept in `versions.json` for rollback protection (TUF 5.4.3, 5.5.5);
 * it names the GUN too, and a directory is used only for the GUN it names (stores written before
 * 0.1 named it in a `gun` file, still honoured). Files are written atomically (temp file + rename)
 * with mode 0600, `versions.json` before `root.json`, directories 0700; a directory others can write
 * or another user owns is refused (cache-dir.ts).
 *
 * The files are small and few: they are read with synchronous calls (cheaper for a short-lived run
 * than the promise machinery) and written asynchronously (libuv's thread pool: creating a directory
 * and two files per GUN blocked the main thread 25–40 ms for 50 GUNs on the bench's disk). Saves of
 * one GUN are made one after another; `enqueue` starts one without waiting for it, and `flush`
 * (trust-state.ts `stored()`, at the KRM function's resolver close) waits for them all.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PinError } from '../../errors/errors.js';
import type { TrustedVersions, VerifiedState } from './tuf/verifier-contract.js';
import { writeFileAtomic } from '../../util/fs.js';
import { checkDirSync, ensureSafeDir } from './cache-dir.js';

export interface TofuRecord {
  /** The root.json trusted before, if any. */
  readonly root?: Uint8Array;
  readonly versions?: TrustedVersions;
}

/** Remembers roots and versions per GUN across runs. */
export interface TofuStore {
  load(gun: string): Promise<TofuRecord>;
  /** Stores the verified root (when it changed) and raises the stored versions to `state`'s. */
  save(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void>;
  /**
   * `save`, in the background: the caller does not wait (the state matters to later runs, not to
   * this answer). A `load` of the same GUN waits for it; its failure is reported by `flush`.
   */
  enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void;
  /** Waits for every save started; rejects with the first failure (a CONFIG_INVALID PinError). */
  flush(): Promise<void>;
  /** The directory used for `gun`. */
  dirFor(gun: string): string;
}

const Version = z.number().int().nonnegative();
const VersionsFile = z.strictObject({
  gun: z.string(),
  root: Version.optional(),
  timestamp: Version.optional(),
  snapshot: Version.optional(),
  targets: z.record(z.string(), Version).optional(),
});

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      hint: 'check the permissions of spec.cacheDir',
      cause: e,
    });
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (e) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      hint: 'spec.cacheDir must be writable',
      cause: e,
    });
  }
}

const max = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/** A TOFU store under `<cacheDir>/tofu/`. */
export function createTofuStore(cacheDir: string): TofuStore {
  const hashOf = (gun: string) => createHash('sha256').update(gun, 'utf8').digest('hex');
  const dirFor = (gun: string) => join(cacheDir, 'tofu', hashOf(gun));

  /**
   * The GUN directories present when the store was first used, listed once: a cold run then does
   * not try (and fail) to open files per GUN. Directories this store creates are added; one another
   * process creates meanwhile is missed as it would be had it been created a moment later.
   */
  let present: Set<string> | undefined;
  const listing = (): Set<string> => {
    if (present === undefined) {
      checkDirSync(cacheDir);
      checkDirSync(join(cacheDir, 'tofu'));
      try {
        present = new Set(readdirSync(join(cacheDir, 'tofu')));
      } catch {
        present = new Set();
      }
    }
    return present;
  };

  /** The last save started per GUN (each waits for the one before it); removed once settled. */
  const saving = new Map<string, Promise<void>>();
  let failure: unknown;

  /** Runs `save` after the saves of `gun` started before it. */
  function serial(gun: string, save: () => Promise<void>): Promise<void> {
    const before = saving.get(gun);
    const mine = before === undefined ? save() : before.then(save, save);
    const tracked = mine.then(
      () => {},
      () => {},
    );
    saving.set(gun, tracked);
    void tracked.then(() => {
      if (saving.get(gun) === tracked) saving.delete(gun);
    });
    return mine;
  }

  /** The record as stored now. */
  function read(gun: string): TofuRecord {
    const dir = dirFor(gun);
    if (!listing().has(hashOf(gun))) return {};
    checkDirSync(dir);
    const vtext = readOptional(join(dir, 'versions.json'));
    let versions: TrustedVersions | undefined;
    if (vtext !== undefined) {
      let parsed;
      try {
        parsed = VersionsFile.safeParse(JSON.parse(vtext.toString('utf8')));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        throw new PinError({
          code: 'CONFIG_INVALID',
          message: `${join(dir, 'versions.json')} is corrupt`,
          hint: 'remove it (rollback protection for this GUN restarts from the next verified versions)',
        });
      }
      if (parsed.data.gun !== gun) throw foreign(dir, parsed.data.gun, gun);
      const { gun: _g, ...v } = parsed.data;
      versions = v;
    }
    // A store written before 0.1 names its GUN in a `gun` file.
    const named = readOptional(join(dir, 'gun'))?.toString('utf8');
    if (named !== undefined && named !== gun) throw foreign(dir, named, gun);
    if (versions === undefined && named === undefined) return {}; // nothing says whose this is
    const root = readOptional(join(dir, 'root.json'));
    return {
      ...(root !== undefined && { root: new Uint8Array(root) }),
      ...(versions !== undefined && { versions }),
    };
  }

  const foreign = (dir: string, owner: string, gun: string) =>
    new PinError({ code: 'CONFIG_INVALID', message: `TOFU store ${dir} belongs to "${owner}", not "${gun}"`, hint: `remove ${dir}` });

  async function saveNow(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void> {
    const dir = dirFor(gun);
    const known = listing();
    const existed = known.has(hashOf(gun));
    // A GUN new to the store has nothing to merge with: no reads (they would all fail).
    const before = existed ? read(gun) : {};
    const prev = before.versions ?? {};
    const targets: Record<string, number> = { ...(prev.targets ?? {}) };
    for (const [role, v] of Object.entries(state.versions.targets)) targets[role] = max(targets[role], v)!;
    const next = {
      gun,
      root: max(prev.root, state.versions.root),
      timestamp: max(prev.timestamp, state.versions.timestamp),
      snapshot: max(prev.snapshot, state.versions.snapshot),
      targets,
    };
    const same =
      before.versions !== undefined &&
      next.root === prev.root &&
      next.timestamp === prev.timestamp &&
      next.snapshot === prev.snapshot &&
      JSON.stringify(targets) === JSON.stringify(prev.targets ?? {});
    const rootBytes = state.files.root;
    const newRoot = opts.root && rootBytes !== undefined && !(before.root && Buffer.from(before.root).equals(Buffer.from(rootBytes)));
    if (same && !newRoot) return; // nothing to write (a warm run that saw no new versions)
    await ensureSafeDir(cacheDir, dir);
    known.add(hashOf(gun));
    if (!same) await writeAtomic(join(dir, 'versions.json'), `${JSON.stringify(next)}\n`);
    if (newRoot) await writeAtomic(join(dir, 'root.json'), rootBytes);
  }

  return {
    async load(gun) {
      while (saving.has(gun)) await saving.get(gun); // this process's own saves of the GUN land first
      return read(gun);
    },
    save(gun, state, opts) {
      return serial(gun, () => saveNow(gun, state, opts));
    },
    enqueue(gun, state, opts) {
      serial(gun, () => saveNow(gun, state, opts)).catch((e: unknown) => {
        failure ??= e;
      });
    },
    async flush() {
      while (saving.size > 0) await Promise.all(saving.values());
      if (failure !== undefined) {
        const e = failure;
        failure = undefined;
        throw e;
      }
    },
    dirFor,
  };
}
