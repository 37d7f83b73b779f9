/**
 * Loads the CLI bundle (dist/notary-pin.cjs) with V8's compiled code kept on disk, so repeated starts
 * (exec plugins) skip compiling it: Node >= 22.1 `module.enableCompileCache`, Node 20 `vm.Script`
 * `cachedData` written at exit. Bundled into the loader, so Node builtins only.
 * Security: a planted cache would be planted code, so the directory must be ours and 0700, files are named
 * by SHA-256 of bundle + Node version + arch and carry a payload SHA-256. Any cache problem means a normal compile.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** First bytes of a cache file written by this module (format version 1). */
const MAGIC = Buffer.from('notary-pin v8 code cache 1\n');
const DIGEST_BYTES = 32;

export type CacheOutcome =
  | 'node'
  /** Disabled, source maps on, or no safe directory. */
  | 'off'
  | 'hit'
  /** Compiled normally; a cache is written at exit. */
  | 'miss'
  /** Corrupt or rejected by V8: compiled normally, rewritten at exit. */
  | 'rejected';

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Use Node's own compile cache when it exists (default true; tests exercise the Node 20 path). */
  readonly preferNodeCache?: boolean;
  /** Write a missing/rejected cache (default true); `--version`/`--help` pass false, they compile too little. */
  readonly writeCache?: boolean;
  readonly sourceMaps?: boolean;
  /** Write the cache now instead of at process exit (tests). */
  readonly onWriteCache?: (write: () => void) => void;
}

export interface LoadedBundle {
  readonly exports: unknown;
  readonly cache: CacheOutcome;
  readonly cacheFile?: string;
}

/** The code cache directory (created 0700); undefined unless a real directory of ours, not group/other-writable. */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const uid = process.getuid?.();
    const dir = env.NODE_COMPILE_CACHE || join(tmpdir(), `notary-pin-compile-cache-${uid ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return undefined;
    if (uid !== undefined && st.uid !== uid) return undefined;
    if ((st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

export function readCacheFile(file: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  const start = MAGIC.length + DIGEST_BYTES;
  if (data.length <= start || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const payload = data.subarray(start);
  const digest = createHash('sha256').update(payload).digest();
  return digest.equals(data.subarray(MAGIC.length, start)) ? payload : undefined;
}

/** Writes a cache file atomically (temp file + rename, mode 0600); false on any error. */
export function writeCacheFile(file: string, payload: Buffer): boolean {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      for (const part of [MAGIC, createHash('sha256').update(payload).digest(), payload]) {
        for (let off = 0; off < part.length; ) off += writeSync(fd, part, off);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    return false;
  }
}

function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** Loads the CommonJS bundle at `file` (absolute), with the code cache when it can; bundle errors propagate. */
export function loadBundle(file: string, opts: LoadOptions = {}): LoadedBundle {
  const env = opts.env ?? process.env;
  const require = createRequire(file);
  const enableCompileCache = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
  const off = env.NODE_DISABLE_COMPILE_CACHE === '1' || env.NODE_DISABLE_COMPILE_CACHE === 'true';
  if (!off && (opts.preferNodeCache ?? true) && enableCompileCache) {
    const dir = privateCacheDir(env);
    let enabled = false;
    if (dir) {
      try {
        enableCompileCache(dir);
        enabled = true;
      } catch {
        // ignore: a normal compile
      }
    }
    return { exports: require(file) as unknown, cache: enabled ? 'node' : 'off' };
  }
  const sourceMaps = opts.sourceMaps ?? (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled ?? false;
  const dir = off || sourceMaps ? undefined : privateCacheDir(env);
  if (!dir) return { exports: require(file) as unknown, cache: 'off' };

  const bytes = readFileSync(file);
  const key = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const cacheFile = join(dir, `${key}-${process.version}-${process.arch}.v8cache`);
  const cachedData = readCacheFile(cacheFile);
  const script = new Script(wrap(bytes.toString('utf8')), { filename: file, cachedData });
  const cache: CacheOutcome = !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (cache !== 'hit' && (opts.writeCache ?? true)) {
    const write = () => {
      try {
        writeCacheFile(cacheFile, script.createCachedData());
      } catch {
        // ignore: only start-up time is at stake
      }
    };
    if (opts.onWriteCache) opts.onWriteCache(write);
    else process.once('exit', write);
  }
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const fn = script.runInThisContext() as (exports: unknown, req: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, require, mod, file, dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, cache, cacheFile };
}
