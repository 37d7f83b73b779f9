/**
 * The TOFU store: the first verified root of a GUN is remembered in
 * `<cacheDir>/tofu/<sha256(gun)>/root.json` and later runs pass it to the verifier as
 * `trustedRoot`, so a changed root must chain from it (notary's cached-root behaviour, TUF 5.3). The
 * highest verified versions are kept in `versions.json` for rollback protection (TUF 5.4.3, 5.5.5);
 * it names the GUN too, and a directory is used only for the GUN it names (stores written before
 * 0.1 named it in a `gun` file, still honoured). Files are written atomically (temp file + rename)
 * with mode 0600, `versions.json` before `root.json`, directories 0700.
 *
 * The files are small and few: they are read and written with synchronous calls (a few tens of
 * microseconds each), which costs a short-lived run far less than the promise machinery of
 * asynchronous ones; `enqueue` defers a save to `flush` (the KRM function's resolver close).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import type { TrustedVersions, VerifiedState } from '../tuf/api.js';
import { writeFileAtomicSync } from '../util/fs.js';

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
   * `save`, deferred: the caller does not wait (the state matters to later runs, not to this
   * answer). Deferred saves are made, in order, by `flush` — or by `load` of the same GUN first.
   */
  enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void;
  /** Makes every deferred save; rejects with the first failure (a CONFIG_INVALID PinError). */
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

function writeAtomic(path: string, data: Uint8Array | string): void {
  try {
    writeFileAtomicSync(path, data);
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

interface Deferred {
  readonly gun: string;
  readonly state: VerifiedState;
  readonly opts: { root: boolean };
}

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
      try {
        present = new Set(readdirSync(join(cacheDir, 'tofu')));
      } catch {
        present = new Set();
      }
    }
    return present;
  };

  const pending: Deferred[] = [];
  let failure: unknown;

  /** The record as stored now. */
  function read(gun: string): TofuRecord {
    const dir = dirFor(gun);
    if (!listing().has(hashOf(gun))) return {};
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

  function saveNow(gun: string, state: VerifiedState, opts: { root: boolean }): void {
    const dir = dirFor(gun);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        hint: 'spec.cacheDir must be writable',
      });
    }
    const known = listing();
    const existed = known.has(hashOf(gun));
    known.add(hashOf(gun));
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
    if (!same) writeAtomic(join(dir, 'versions.json'), `${JSON.stringify(next)}\n`);
    const rootBytes = state.files.root;
    if (opts.root && rootBytes !== undefined && !(before.root && Buffer.from(before.root).equals(Buffer.from(rootBytes)))) {
      writeAtomic(join(dir, 'root.json'), rootBytes);
    }
  }

  /** Makes the deferred saves of `gun` (all when undefined), in order; records the first failure. */
  function drain(gun?: string): void {
    for (let i = 0; i < pending.length; ) {
      const d = pending[i]!;
      if (gun !== undefined && d.gun !== gun) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      try {
        saveNow(d.gun, d.state, d.opts);
      } catch (e) {
        failure ??= e;
      }
    }
  }

  return {
    async load(gun) {
      drain(gun); // this process's own deferred saves of the GUN land first
      return read(gun);
    },
    async save(gun, state, opts) {
      saveNow(gun, state, opts);
    },
    enqueue(gun, state, opts) {
      pending.push({ gun, state, opts });
    },
    async flush() {
      drain();
      if (failure !== undefined) {
        const e = failure;
        failure = undefined;
        throw e;
      }
    },
    dirFor,
  };
}
