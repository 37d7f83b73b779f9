/**
 * The TOFU store: a GUN's first verified root is kept in `<cacheDir>/tofu/<sha256(gun)>/root.json`
 * and given to later verifiers as `trustedRoot`, so a changed root must chain from it (TUF 5.3). The
 * highest verified versions and their GUN go in `versions.json` for rollback protection (TUF 5.4.3,
 * 5.5.5); a directory serves only the GUN it names. Atomic writes (0600, versions first) in 0700 directories.
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
  readonly root?: Uint8Array;
  readonly versions?: TrustedVersions;
}

export interface TofuStore {
  load(gun: string): Promise<TofuRecord>;
  /** Stores the verified root (when it changed) and raises the stored versions to `state`'s. */
  save(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void>;
  /** `save` without waiting; a `load` of the GUN waits for it, `flush` reports its failure. */
  enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void;
  /** Waits for every save started; rejects with the first failure (a CONFIG_INVALID PinError). */
  flush(): Promise<void>;
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

const hashOf = (gun: string) => createHash('sha256').update(gun, 'utf8').digest('hex');

const foreign = (dir: string, owner: string, gun: string) =>
  new PinError({ code: 'CONFIG_INVALID', message: `TOFU store ${dir} belongs to "${owner}", not "${gun}"`, hint: `remove ${dir}` });

/** The versions stored in `dir`, if any; CONFIG_INVALID when corrupt or stored for another GUN. */
function readVersions(dir: string, gun: string): TrustedVersions | undefined {
  const vtext = readOptional(join(dir, 'versions.json'));
  if (vtext === undefined) return undefined;
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
  const { gun: _g, ...versions } = parsed.data;
  return versions;
}

/** The stored versions raised to `state`'s (the next `versions.json`), and whether they changed. */
function raiseVersions(gun: string, stored: TrustedVersions | undefined, state: VerifiedState) {
  const prev = stored ?? {};
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
    stored !== undefined &&
    next.root === prev.root &&
    next.timestamp === prev.timestamp &&
    next.snapshot === prev.snapshot &&
    JSON.stringify(targets) === JSON.stringify(prev.targets ?? {});
  return { next, changed: !same };
}

export function createTofuStore(cacheDir: string): TofuStore {
  return new DirTofuStore(cacheDir);
}

class DirTofuStore implements TofuStore {
  /** GUN directories listed once at first use (so a cold run opens no file per GUN), plus those created here. */
  private present: Set<string> | undefined;
  /** The last save started per GUN (each waits for the one before it); removed once settled. */
  private readonly saving = new Map<string, Promise<void>>();
  private failure: unknown;

  constructor(private readonly cacheDir: string) {}

  dirFor(gun: string): string {
    return join(this.cacheDir, 'tofu', hashOf(gun));
  }

  async load(gun: string): Promise<TofuRecord> {
    while (this.saving.has(gun)) await this.saving.get(gun); // this process's own saves of the GUN land first
    return this.read(gun);
  }

  save(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void> {
    return this.serial(gun, () => this.saveNow(gun, state, opts));
  }

  enqueue(gun: string, state: VerifiedState, opts: { root: boolean }): void {
    this.serial(gun, () => this.saveNow(gun, state, opts)).catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  async flush(): Promise<void> {
    while (this.saving.size > 0) await Promise.all(this.saving.values());
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  private listing(): Set<string> {
    if (this.present === undefined) {
      checkDirSync(this.cacheDir);
      checkDirSync(join(this.cacheDir, 'tofu'));
      try {
        this.present = new Set(readdirSync(join(this.cacheDir, 'tofu')));
      } catch {
        this.present = new Set();
      }
    }
    return this.present;
  }

  private serial(gun: string, save: () => Promise<void>): Promise<void> {
    const before = this.saving.get(gun);
    const mine = before === undefined ? save() : before.then(save, save);
    const tracked = mine.then(
      () => {},
      () => {},
    );
    this.saving.set(gun, tracked);
    void tracked.then(() => {
      if (this.saving.get(gun) === tracked) this.saving.delete(gun);
    });
    return mine;
  }

  private read(gun: string): TofuRecord {
    const dir = this.dirFor(gun);
    if (!this.listing().has(hashOf(gun))) return {};
    checkDirSync(dir);
    const versions = readVersions(dir, gun);
    // Older stores name their GUN in a `gun` file instead of versions.json.
    const named = readOptional(join(dir, 'gun'))?.toString('utf8');
    if (named !== undefined && named !== gun) throw foreign(dir, named, gun);
    if (versions === undefined && named === undefined) return {}; // nothing says whose this is
    const root = readOptional(join(dir, 'root.json'));
    const record: { root?: Uint8Array; versions?: TrustedVersions } = {};
    if (root !== undefined) record.root = new Uint8Array(root);
    if (versions !== undefined) record.versions = versions;
    return record;
  }

  private async saveNow(gun: string, state: VerifiedState, opts: { root: boolean }): Promise<void> {
    const dir = this.dirFor(gun);
    const known = this.listing();
    // A GUN new to the store has nothing to merge with: no reads (they would all fail).
    const before = known.has(hashOf(gun)) ? this.read(gun) : {};
    const { next, changed } = raiseVersions(gun, before.versions, state);
    const rootBytes = state.files.root;
    const newRoot = opts.root && rootBytes !== undefined && !(before.root && Buffer.from(before.root).equals(Buffer.from(rootBytes)));
    if (!changed && !newRoot) return; // nothing to write (a warm run that saw no new versions)
    await ensureSafeDir(this.cacheDir, dir);
    known.add(hashOf(gun));
    if (changed) await writeAtomic(join(dir, 'versions.json'), `${JSON.stringify(next)}\n`);
    if (newRoot) await writeAtomic(join(dir, 'root.json'), rootBytes);
  }
}
