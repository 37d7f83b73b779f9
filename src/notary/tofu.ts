/**
 * The TOFU store: the first verified root of a GUN is remembered in
 * `<cacheDir>/tofu/<sha256(gun)>/root.json` (with the GUN in `gun` beside it) and later runs pass it
 * to the verifier as `trustedRoot`, so a changed root must chain from it (notary's cached-root
 * behaviour, TUF 5.3). The highest verified versions are kept in `versions.json` for rollback
 * protection (TUF 5.4.3, 5.5.5). Files are written atomically (temp file + rename) with mode 0600.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import type { TrustedVersions, VerifiedState } from '../tuf/api.js';
import { writeFileAtomic } from '../util/fs.js';

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
   * `save`, queued: the caller does not wait (the state matters to later runs, not to this answer).
   * Saves of one GUN stay in order and `load` of that GUN waits for them; `flush` reports failures.
   */
  enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void;
  /** Waits for every queued save; rejects with the first failure (a CONFIG_INVALID PinError). */
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

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
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
  const dirFor = (gun: string) => join(cacheDir, 'tofu', createHash('sha256').update(gun, 'utf8').digest('hex'));

  async function checkGun(dir: string, gun: string): Promise<boolean> {
    const name = await readOptional(join(dir, 'gun'));
    if (name === undefined) return false;
    if (name.toString('utf8') !== gun) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `TOFU store ${dir} belongs to "${name.toString('utf8')}", not "${gun}"`,
        hint: `remove ${dir}`,
      });
    }
    return true;
  }

  /**
   * The GUN directories present when the store was first used, listed once: a cold run then does
   * not try (and fail) to open three files per GUN. Directories this store creates are added; one
   * another process creates meanwhile is missed as it would be had it been created a moment later.
   */
  let present: Promise<Set<string>> | undefined;
  const listing = () =>
    (present ??= readdir(join(cacheDir, 'tofu')).then(
      (names) => new Set(names),
      () => new Set<string>(),
    ));

  /** The last queued save per GUN directory, and the first failure not yet reported by flush(). */
  const queue = new Map<string, Promise<void>>();
  let failure: unknown;

  function enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void {
    const dir = dirFor(gun);
    const next = (queue.get(dir) ?? Promise.resolve()).then(() => save(gun, state, opts)).catch((e: unknown) => {
      failure ??= e;
    });
    queue.set(dir, next);
    void next.then(() => {
      if (queue.get(dir) === next) queue.delete(dir);
    });
  }

  async function flush(): Promise<void> {
    while (queue.size > 0) await Promise.all([...queue.values()]);
    if (failure !== undefined) {
      const e = failure;
      failure = undefined;
      throw e;
    }
  }

  async function load(gun: string): Promise<TofuRecord> {
    await queue.get(dirFor(gun)); // this process's own queued saves of the GUN land first
    return read(gun);
  }

  /** The record as stored now (`save` reads it without waiting for the queue it runs in). */
  async function read(gun: string): Promise<TofuRecord> {
    const dir = dirFor(gun);
    if (!(await listing()).has(basename(dir))) return {};
    if (!(await checkGun(dir, gun))) return {};
    const root = await readOptional(join(dir, 'root.json'));
    const vtext = await readOptional(join(dir, 'versions.json'));
    let versions: TrustedVersions | undefined;
    if (vtext !== undefined) {
      let parsed;
      try {
        parsed = VersionsFile.safeParse(JSON.parse(vtext.toString('utf8')));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success || parsed.data.gun !== gun) {
        throw new PinError({
          code: 'CONFIG_INVALID',
          message: `${join(dir, 'versions.json')} is corrupt`,
          hint: 'remove it (rollback protection for this GUN restarts from the next verified versions)',
        });
      }
      const { gun: _g, ...v } = parsed.data;
      versions = v;
    }
    return {
      ...(root !== undefined && { root: new Uint8Array(root) }),
      ...(versions !== undefined && { versions }),
    };
  }

  async function save(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void> {
    const dir = dirFor(gun);
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        hint: 'spec.cacheDir must be writable',
      });
    });
    const known = await listing();
    const existed = known.has(basename(dir));
    known.add(basename(dir));
    // A GUN new to the store has nothing to merge with: no reads (they would all fail).
    if (!existed || !(await checkGun(dir, gun))) await writeAtomic(join(dir, 'gun'), gun);
    const before = existed ? await read(gun) : {};
    const rootBytes = state.files.root;
    if (opts.root && rootBytes !== undefined && !(before.root && Buffer.from(before.root).equals(Buffer.from(rootBytes)))) {
      await writeAtomic(join(dir, 'root.json'), rootBytes);
    }
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
      next.root === prev.root &&
      next.timestamp === prev.timestamp &&
      next.snapshot === prev.snapshot &&
      JSON.stringify(targets) === JSON.stringify(prev.targets ?? {});
    if (!same) await writeAtomic(join(dir, 'versions.json'), `${JSON.stringify(next)}\n`);
  }

  return { load, save, enqueue, flush, dirFor };
}
