/**
 * The optional on-disk metadata cache (`spec.cacheDir`) for CI runners: the verified trust data of
 * each (server, GUN) is kept under `<cacheDir>/metadata/<sha256(server + "\n" + gun)>/` so a warm
 * run fetches only `timestamp.json` and reuses snapshot, targets and delegations whose checksums the
 * new timestamp/snapshot still state (the notary client keeps its `tuf/<GUN>/metadata/` cache for
 * the same reason).
 *
 * The cache is never trusted: it only saves downloads. Every file read back is verified again by the
 * TUF verifier as if it had just been fetched (src/notary/client.ts `fetchTrustWarm`), against the
 * rule's pins, the stored versions and the clock. Layout:
 *
 * - `index.json`: `{ server, gun, roles: { <role>: { sha256, length } } }` (written last, atomically);
 * - `<sha256>.json`: the raw bytes of each role's file, content-addressed.
 *
 * Files are written atomically (temp file + rename) with mode 0600, directories 0700. Anything
 * unreadable, oversized, malformed or not matching its index entry is treated as absent.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { VerifiedState } from '../tuf/api.js';
import { writeFileAtomic } from '../util/fs.js';
import { assertGun, assertRole } from './source.js';

/** Verified files of one GUN as cached: role name → raw bytes (not trusted until verified again). */
export type CachedFiles = ReadonlyMap<string, Uint8Array>;

export interface MetadataDiskCache {
  /** The cached files for (server, gun); an empty map when nothing usable is cached. Never throws. */
  load(server: string, gun: string, maxBytes: number): Promise<CachedFiles>;
  /**
   * Stores the files of a verified state; files in `loaded` (what `load` returned) are known to be
   * on disk intact and are not rewritten. Failures are reported through `debug`, never thrown.
   */
  save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles): Promise<void>;
  /** The directory used for (server, gun). */
  dirFor(server: string, gun: string): string;
}

export interface MetadataDiskCacheOptions {
  /** `spec.cacheDir`. */
  readonly cacheDir: string;
  /** Told about unusable cache content and failed writes (never fatal). */
  readonly debug?: (message: string) => void;
}

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const IndexFile = z.strictObject({
  server: z.string(),
  gun: z.string(),
  roles: z.record(z.string(), z.strictObject({ sha256: Sha256Hex, length: z.number().int().nonnegative() })),
});
type Index = z.infer<typeof IndexFile>;

/** Upper bound on `index.json` itself. */
const MAX_INDEX_BYTES = 256 * 1024;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readCapped(path: string, cap: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > cap) return undefined;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return bytesRead === st.size ? buf : undefined;
  } finally {
    await fh.close();
  }
}

/** A metadata cache under `<cacheDir>/metadata/`. */
export function createMetadataDiskCache(opts: MetadataDiskCacheOptions): MetadataDiskCache {
  const debug = opts.debug ?? (() => {});
  const dirFor = (server: string, gun: string) =>
    join(opts.cacheDir, 'metadata', createHash('sha256').update(`${server}\n${gun}`, 'utf8').digest('hex'));

  async function readIndex(dir: string, server: string, gun: string): Promise<Index | undefined> {
    const raw = await readCapped(join(dir, 'index.json'), MAX_INDEX_BYTES);
    if (raw === undefined) return undefined;
    let parsed;
    try {
      parsed = IndexFile.safeParse(JSON.parse(raw.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success || parsed.data.server !== server || parsed.data.gun !== gun) {
      debug(`metadata cache ${dir}: index.json is unusable; ignoring the cache for ${gun}`);
      return undefined;
    }
    return parsed.data;
  }

  async function load(server: string, gun: string, maxBytes: number): Promise<CachedFiles> {
    const out = new Map<string, Uint8Array>();
    try {
      assertGun(gun);
      const dir = dirFor(server, gun);
      const index = await readIndex(dir, server, gun);
      if (!index) return out;
      await Promise.all(
        Object.entries(index.roles).map(async ([role, entry]) => {
          try {
            assertRole(role);
          } catch {
            return;
          }
          const bytes = await readCapped(join(dir, `${entry.sha256}.json`), Math.min(maxBytes, entry.length));
          if (bytes === undefined || bytes.length !== entry.length || sha256(bytes) !== entry.sha256) {
            debug(`metadata cache ${dir}: ${role} is missing or does not match index.json; it will be fetched`);
            return;
          }
          out.set(role, new Uint8Array(bytes));
        }),
      );
    } catch (e) {
      debug(`metadata cache for ${gun}: ${(e as Error).message}; ignoring it`);
      out.clear();
    }
    return out;
  }

  async function save(server: string, gun: string, state: VerifiedState, loaded?: CachedFiles): Promise<void> {
    const dir = dirFor(server, gun);
    try {
      assertGun(gun);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const before = await readIndex(dir, server, gun);
      // Files `load` read back intact need no rewrite; everything else is (re)written.
      const intact = new Set([...(loaded?.values() ?? [])].map(sha256));
      const roles: Index['roles'] = {};
      const writes: Promise<boolean>[] = [];
      const referenced = new Set<string>();
      for (const [role, bytes] of Object.entries(state.files)) {
        const h = sha256(bytes);
        roles[role] = { sha256: h, length: bytes.length };
        referenced.add(h);
        if (!intact.has(h)) writes.push(writeFileAtomic(join(dir, `${h}.json`), bytes).then(() => true));
      }
      const next: Index = { server, gun, roles };
      const wrote = (await Promise.all(writes)).some(Boolean);
      if (!wrote && before && JSON.stringify(before) === JSON.stringify(next)) return;
      await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(next)}\n`);
      // Drop files the old index referenced and the new one does not.
      const stale = new Set(Object.values(before?.roles ?? {}).map((r) => r.sha256).filter((h) => !referenced.has(h)));
      await Promise.all([...stale].map((h) => rm(join(dir, `${h}.json`), { force: true })));
    } catch (e) {
      debug(`cannot write the metadata cache ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  return { load, save, dirFor };
}

/** Reads a file of the cache directly (tests). */
export async function readCacheIndex(dir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
}
