/**
 * The optional on-disk metadata cache (`spec.cacheDir`) for CI runners: the verified trust data of
 * each (server, GUN) is kept in ONE file, `<cacheDir>/metadata/<sha256(server + "\n" + gun)>.json`,
 * so a warm run fetches only `timestamp.json` and reuses snapshot, targets and delegations whose
 * checksums the new timestamp/snapshot still state (the notary client keeps its
 * `tuf/<GUN>/metadata/` cache for the same reason).
 *
 * The cache is never trusted: it only saves downloads. Every file read back is verified again by the
 * TUF verifier as if it had just been fetched (load-trust.ts `fetchTrustWarm`), against the
 * rule's pins, the stored versions and the clock. File format (JSON):
 *
 *   { "server": "<url>", "gun": "<gun>", "roles": { "<role>": "<base64 of the exact bytes>" },
 *     "verifiedAt": <ms since the epoch the server last answered and the data verified> }
 *
 * `verifiedAt` bounds how old cached data may be to answer when the server cannot be reached
 * (spec.staleIfErrorSeconds, load-trust.ts); it is rewritten at most once a minute when nothing else changed.
 *
 * One file per GUN keeps a cold run to one atomic write per GUN (temp file + rename, mode 0600,
 * the directory 0700). The verified answer never waits for the disk: a save starts an asynchronous
 * write at once (libuv's thread pool: the main thread goes on verifying and parsing meanwhile; on
 * the bench's disk, 50 GUNs written synchronously blocked it 25–40 ms); saves of one file are
 * written one after another, the latest last; `flush()` waits for them — the KRM function flushes
 * after writing its output. Files are read with synchronous calls (small and few: much cheaper for
 * a short run than the promise API). Anything unreadable, oversized or malformed is treated as
 * absent; a failed write is reported through `debug`, never thrown (the cache only saves downloads).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
  /**
   * Starts writing the files of a verified state (skipped when they equal `loaded`, what `load`
   * returned) and returns at once; a `load` of the same GUN waits for the write. Never rejects.
   */
  save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles, verifiedAt?: number): Promise<void>;
  /** When the server last answered for (server, gun), as the file `load` read says; undefined when unknown. */
  verifiedAt(server: string, gun: string): number | undefined;
  /** Waits for every write started so far. Never rejects. */
  flush(): Promise<void>;
  /** The cache file used for (server, gun). */
  fileFor(server: string, gun: string): string;
}

export interface MetadataDiskCacheOptions {
  /** `spec.cacheDir`. */
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

/** A metadata cache under `<cacheDir>/metadata/`. */
export function createMetadataDiskCache(opts: MetadataDiskCacheOptions): MetadataDiskCache {
  const debug = opts.debug ?? (() => {});
  const dir = join(opts.cacheDir, 'metadata');
  const fileFor = (server: string, gun: string) => join(dir, `${createHash('sha256').update(`${server}\n${gun}`, 'utf8').digest('hex')}.json`);
  /** Saves not yet started, by file (the latest state per file wins). */
  const latest = new Map<string, { server: string; gun: string; state: VerifiedState; verifiedAt: number | undefined }>();
  /** `verifiedAt` of each file as last read or written. */
  const times = new Map<string, number>();
  /** The write running for a file: it writes `latest`'s entry for the file until there is none. */
  const writing = new Map<string, Promise<void>>();
  let dirReady: Promise<unknown> | undefined;
  /**
   * The cache files present when the cache was first read, listed once: a cold run then does not
   * try (and fail) to open a file per GUN. Files this cache writes are added; one another process
   * writes meanwhile is missed as it would be had it been written a moment later.
   */
  let present: Set<string> | undefined;
  const listing = (): Set<string> => {
    if (present === undefined) {
      try {
        present = new Set(readdirSync(dir));
      } catch {
        present = new Set();
      }
    }
    return present;
  };

  async function load(server: string, gun: string, maxBytes: number): Promise<CachedFiles> {
    const out = new Map<string, Uint8Array>();
    const file = fileFor(server, gun);
    try {
      assertGun(gun);
      while (writing.has(file)) await writing.get(file); // a save of this process for this GUN lands first
      if (!listing().has(basename(file))) return out;
      // base64 is 4/3 of the bytes; every role is capped at maxBytes.
      const raw = readCapped(file, Math.ceil((maxBytes * 4) / 3) * 8 + 64 * 1024);
      if (raw === undefined) return out;
      let parsed;
      try {
        parsed = CacheFile.safeParse(JSON.parse(raw.toString('utf8')));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success || parsed.data.server !== server || parsed.data.gun !== gun || Object.keys(parsed.data.roles).length > MAX_ROLES) {
        debug(`metadata cache ${file} is unusable; ignoring the cache for ${gun}`);
        return out;
      }
      if (parsed.data.verifiedAt !== undefined) times.set(file, parsed.data.verifiedAt);
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
        out.set(role, new Uint8Array(bytes));
      }
    } catch (e) {
      debug(`metadata cache for ${gun}: ${(e as Error).message}; ignoring it`);
      out.clear();
    }
    return out;
  }

  async function write(file: string, server: string, gun: string, state: VerifiedState, verifiedAt: number | undefined): Promise<void> {
    try {
      assertGun(gun);
      dirReady ??= ensureSafeDir(opts.cacheDir, dir);
      await dirReady;
      const roles: Record<string, string> = {};
      for (const [role, bytes] of Object.entries(state.files)) roles[role] = Buffer.from(bytes).toString('base64');
      await writeFileAtomic(file, `${JSON.stringify({ server, gun, roles, verifiedAt })}\n`);
      listing().add(basename(file));
      if (verifiedAt !== undefined) times.set(file, verifiedAt);
    } catch (e) {
      dirReady = undefined; // e.g. the directory was removed: try again next time
      debug(`cannot write the metadata cache ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** Writes `file`'s latest save, and any that arrives meanwhile, unless a write is running already. */
  function startWriting(file: string): void {
    if (writing.has(file)) return; // the running write picks the latest save up when it is done
    const run = async (): Promise<void> => {
      try {
        for (let next = latest.get(file); next !== undefined; next = latest.get(file)) {
          latest.delete(file);
          await write(file, next.server, next.gun, next.state, next.verifiedAt);
        }
      } finally {
        writing.delete(file);
      }
    };
    writing.set(file, run());
  }

  function save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles, verifiedAt?: number): Promise<void> {
    const file = fileFor(server, gun);
    const prev = times.get(file);
    const refresh = verifiedAt !== undefined && (prev === undefined || verifiedAt - prev >= VERIFIED_AT_REFRESH_MS);
    if (refresh || !sameFiles(state.files, loaded)) {
      latest.set(file, { server, gun, state, verifiedAt });
      startWriting(file);
    }
    return Promise.resolve();
  }

  async function flush(): Promise<void> {
    while (writing.size > 0) await Promise.all(writing.values());
  }

  return { load, save, flush, fileFor, verifiedAt: (server, gun) => times.get(fileFor(server, gun)) };
}
