/**
 * Optional on-disk metadata cache (`spec.cacheDir`) for CI runners, one JSON file per (server, GUN)
 * under `<cacheDir>/metadata/`, so a warm run fetches only timestamp.json. Never trusted: files read back
 * are verified again as if fetched. `verifiedAt` bounds stale-if-error answers (`refuse` drops it).
 * Writes are atomic (0600, dir 0700), asynchronous and never fatal; unusable files count as absent.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { VerifiedState } from './tuf/verifier-contract.js';
import { writeFileAtomic } from '../../util/fs.js';
import { ensureSafeDir } from './cache-dir.js';
import { assertGun, assertRole } from './source.js';

/** Verified files of one GUN as cached: role name → raw bytes (not trusted until verified again). */
export type CachedFiles = ReadonlyMap<string, Uint8Array>;

export interface MetadataDiskCache {
  /** The cached files for (server, gun); an empty map when nothing usable is cached. Never throws. */
  load(server: string, gun: string, maxBytes: number): Promise<CachedFiles>;
  /** Starts writing a verified state's files (skipped when equal to `loaded`) and returns at once; never rejects. */
  save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles, verifiedAt?: number): Promise<void>;
  /** When the server last answered for (server, gun), as the file `load` read says; undefined when unknown. */
  verifiedAt(server: string, gun: string): number | undefined;
  /** Data failed verification (load started at `at`): no verifiedAt up to `at` is kept or read back; roles stay. */
  refuse(server: string, gun: string, at: number, maxBytes: number): void;
  /** Waits for every write started so far. Never rejects. */
  flush(): Promise<void>;
  fileFor(server: string, gun: string): string;
}

export interface MetadataDiskCacheOptions {
  readonly cacheDir: string;
  /** Told about unusable cache content and failed writes (never fatal). */
  readonly debug?: (message: string) => void;
}

const CacheFile = z.strictObject({
  server: z.string(),
  gun: z.string(),
  roles: z.record(z.string(), z.base64()),
  verifiedAt: z.number().int().nonnegative().optional(),
});

/** A file whose data is unchanged gets a new `verifiedAt` at most this often. */
const VERIFIED_AT_REFRESH_MS = 60_000;

/** At most this many roles per GUN are read back (root, timestamp, snapshot, targets, delegations). */
const MAX_ROLES = 64;

/** The largest cache file read back when every role is at most `maxBytes` (base64 is 4/3 of the bytes). */
const fileCap = (maxBytes: number): number => Math.ceil((maxBytes * 4) / 3) * 8 + 64 * 1024;

function readCapped(path: string, cap: number): Buffer | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > cap) return undefined;
    const buf = readFileSync(path);
    return buf.length <= cap ? buf : undefined;
  } catch {
    return undefined;
  }
}

const sameFiles = (a: Record<string, Uint8Array>, b: CachedFiles | undefined): boolean => {
  if (b === undefined) return false;
  const keys = Object.keys(a);
  return keys.length === b.size && keys.every((k) => {
    const other = b.get(k);
    return other !== undefined && Buffer.from(a[k]!).equals(Buffer.from(other));
  });
};

export function createMetadataDiskCache(opts: MetadataDiskCacheOptions): MetadataDiskCache {
  return new DirectoryCache(opts.cacheDir, opts.debug ?? (() => {}));
}

/** A write queued for one file: a verified state's files, or (no `state`) dropping the file's `verifiedAt`. */
interface PendingWrite {
  readonly server: string;
  readonly gun: string;
  readonly state?: VerifiedState;
  readonly verifiedAt: number | undefined;
  /** The size limit of the load that refused the data (no `state`). */
  readonly maxBytes?: number;
}

interface ReadBack {
  readonly files: Map<string, Uint8Array>;
  readonly verifiedAt?: number;
}

/** Parses a cache file of (server, gun); undefined when unusable. Invalid or oversized roles are dropped. */
function parseCacheFile(file: string, raw: Buffer, server: string, gun: string, maxBytes: number, debug: (message: string) => void): ReadBack | undefined {
  let parsed;
  try {
    parsed = CacheFile.safeParse(JSON.parse(raw.toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success || parsed.data.server !== server || parsed.data.gun !== gun || Object.keys(parsed.data.roles).length > MAX_ROLES) {
    debug(`metadata cache ${file} is unusable; ignoring the cache for ${gun}`);
    return undefined;
  }
  const files = new Map<string, Uint8Array>();
  for (const [role, b64] of Object.entries(parsed.data.roles)) {
    try {
      assertRole(role);
    } catch {
      continue;
    }
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length > maxBytes) {
      debug(`metadata cache ${file}: ${role} is over the size limit; it will be fetched`);
      continue;
    }
    files.set(role, new Uint8Array(bytes));
  }
  return { files, verifiedAt: parsed.data.verifiedAt };
}

class DirectoryCache implements MetadataDiskCache {
  private readonly dir: string;
  /** Saves not yet started, by file (the latest state per file wins). */
  private readonly latest = new Map<string, PendingWrite>();
  private readonly times = new Map<string, number>();
  /** Per file, the latest `refuse`: no `verifiedAt` up to it is written or read back. */
  private readonly refusedAt = new Map<string, number>();
  /** The write running for a file: it writes `latest`'s entry for the file until there is none. */
  private readonly writing = new Map<string, Promise<void>>();
  private dirReady: Promise<unknown> | undefined;
  /** Cache files listed once at first read, so a cold run does not try to open one file per GUN. */
  private present: Set<string> | undefined;

  constructor(
    private readonly cacheDir: string,
    private readonly debug: (message: string) => void,
  ) {
    this.dir = join(cacheDir, 'metadata');
  }

  fileFor(server: string, gun: string): string {
    return join(this.dir, `${createHash('sha256').update(`${server}\n${gun}`, 'utf8').digest('hex')}.json`);
  }

  verifiedAt(server: string, gun: string): number | undefined {
    return this.times.get(this.fileFor(server, gun));
  }

  private listing(): Set<string> {
    if (this.present === undefined) {
      try {
        this.present = new Set(readdirSync(this.dir));
      } catch {
        this.present = new Set();
      }
    }
    return this.present;
  }

  async load(server: string, gun: string, maxBytes: number): Promise<CachedFiles> {
    const file = this.fileFor(server, gun);
    try {
      assertGun(gun);
      while (this.writing.has(file)) await this.writing.get(file); // a save of this process for this GUN lands first
      if (!this.listing().has(basename(file))) return new Map();
      const raw = readCapped(file, fileCap(maxBytes));
      if (raw === undefined) return new Map();
      const read = parseCacheFile(file, raw, server, gun, maxBytes, this.debug);
      if (read === undefined) return new Map();
      if (this.usable(file, read.verifiedAt)) this.times.set(file, read.verifiedAt!);
      return read.files;
    } catch (e) {
      this.debug(`metadata cache for ${gun}: ${(e as Error).message}; ignoring it`);
      return new Map();
    }
  }

  /** Whether `verifiedAt` may bound a stale answer: set, and later than any `refuse` of `file`. */
  private usable(file: string, verifiedAt: number | undefined): boolean {
    const refused = this.refusedAt.get(file);
    return verifiedAt !== undefined && (refused === undefined || verifiedAt > refused);
  }

  private async write(file: string, { server, gun, state, verifiedAt, maxBytes }: PendingWrite): Promise<void> {
    try {
      assertGun(gun);
      if (state === undefined) return await this.dropVerifiedAt(file, server, gun, maxBytes);
      this.dirReady ??= ensureSafeDir(this.cacheDir, this.dir);
      await this.dirReady;
      const roles: Record<string, string> = {};
      for (const [role, bytes] of Object.entries(state.files)) roles[role] = Buffer.from(bytes).toString('base64');
      await writeFileAtomic(file, `${JSON.stringify({ server, gun, roles, verifiedAt })}\n`);
      this.listing().add(basename(file));
      if (this.usable(file, verifiedAt)) this.times.set(file, verifiedAt!); // not if refused meanwhile
    } catch (e) {
      this.dirReady = undefined; // e.g. the directory was removed: try again next time
      this.debug(`cannot write the metadata cache ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** Writes `file`'s latest save, and any that arrives meanwhile, unless a write is running already. */
  private startWriting(file: string): void {
    if (this.writing.has(file)) return; // the running write picks the latest save up when it is done
    const run = async (): Promise<void> => {
      try {
        for (let next = this.latest.get(file); next !== undefined; next = this.latest.get(file)) {
          this.latest.delete(file);
          await this.write(file, next);
        }
      } finally {
        this.writing.delete(file);
      }
    };
    this.writing.set(file, run());
  }

  save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles, verifiedAt?: number): Promise<void> {
    const file = this.fileFor(server, gun);
    if (!this.usable(file, verifiedAt)) verifiedAt = undefined; // the server answered before data of it was refused
    const prev = this.times.get(file);
    const refresh = verifiedAt !== undefined && (prev === undefined || verifiedAt - prev >= VERIFIED_AT_REFRESH_MS);
    if (refresh || !sameFiles(state.files, loaded)) {
      this.latest.set(file, { server, gun, state, verifiedAt });
      this.startWriting(file);
    }
    return Promise.resolve();
  }

  refuse(server: string, gun: string, at: number, maxBytes: number): void {
    const file = this.fileFor(server, gun);
    this.refusedAt.set(file, Math.max(at, this.refusedAt.get(file) ?? at));
    this.times.delete(file);
    const queued = this.latest.get(file);
    // A queued save still writes its files, without verifiedAt; else the file on disk is rewritten without it.
    this.latest.set(file, queued?.state !== undefined ? { ...queued, verifiedAt: undefined } : { server, gun, verifiedAt: undefined, maxBytes });
    this.startWriting(file);
  }

  /** Rewrites `file` without `verifiedAt`; one unreadable under the size limit is removed (it cannot answer stale). */
  private async dropVerifiedAt(file: string, server: string, gun: string, maxBytes: number | undefined): Promise<void> {
    const raw = readCapped(file, fileCap(maxBytes ?? 0));
    let parsed;
    try {
      parsed = raw === undefined ? undefined : CacheFile.safeParse(JSON.parse(raw.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success && parsed.data.server === server && parsed.data.gun === gun) {
      if (parsed.data.verifiedAt !== undefined) await writeFileAtomic(file, `${JSON.stringify({ server, gun, roles: parsed.data.roles })}\n`);
      return;
    }
    await rm(file, { force: true });
    this.listing().delete(basename(file));
  }

  async flush(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing.values());
  }
}
