/**
 * Loads the CLI bundle (dist/notary-pin.cjs) with V8's compiled code kept on disk between runs, so
 * a start does not pay for compiling 1.5 MB of JavaScript again (exec plugins start the function
 * over and over). This module is bundled into the small loader, dist/notary-pin.mjs: it may import
 * Node builtins only.
 *
 * - Node >= 22.1: `module.enableCompileCache(dir)`, then `require` the bundle (Node keeps and
 *   checks the cache itself).
 * - Node 20: the approach of the `v8-compile-cache` package, by hand: the bundle is compiled with
 *   `new vm.Script(wrapped source, { cachedData })`; when there was no usable cache, the cache is
 *   written when the process exits (so it also holds the functions the run compiled lazily; runs
 *   that only print the version or help do not write one).
 *
 * The cache lives in a directory only this user can write (created 0700; an existing one must be
 * ours and not writable by group or others): a planted cache would be planted code. A cache file
 * is named by the SHA-256 of the bundle + Node version + arch (V8 itself only checks the source
 * length) and carries a SHA-256 of its payload (V8 release builds do not verify a checksum), and it
 * is replaced atomically. Every cache problem (no tmp dir, read-only file system, foreign or unsafe
 * directory, a corrupt or rejected file) means a normal compile, silently: only start-up time is at stake.
 * With source maps on (`--enable-source-maps`) the bundle is simply `require`d, so stack traces map.
 * `NODE_DISABLE_COMPILE_CACHE=1` turns the cache off; `NODE_COMPILE_CACHE=<dir>` chooses the directory.
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

/** What happened to the code cache in one load (for tests and debugging). */
export type CacheOutcome =
  /** Node's own compile cache was enabled (Node >= 22.1). */
  | 'node'
  /** No cache: disabled, source maps on, or no safe directory. */
  | 'off'
  /** A cache file was found and V8 accepted it. */
  | 'hit'
  /** No cache file (or an unreadable one): compiled normally, a cache is written at exit. */
  | 'miss'
  /** A cache file was there but corrupt or rejected by V8: compiled normally, rewritten at exit. */
  | 'rejected';

export interface LoadOptions {
  /** Environment to read NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Use Node's own compile cache when it exists (default true; tests turn it off to exercise the Node 20 path). */
  readonly preferNodeCache?: boolean;
  /**
   * Whether a missing or rejected cache is written (default true). Runs that compile little of the
   * bundle (`--version`, `--help`) pass false: their cache would miss most of what a real run needs.
   */
  readonly writeCache?: boolean;
  /** Whether source maps are on (default process.sourceMapsEnabled). */
  readonly sourceMaps?: boolean;
  /**
   * Write the cache now instead of at process exit (tests); `write` is the function that does it.
   * Default: registered on `process.once('exit')`.
   */
  readonly onWriteCache?: (write: () => void) => void;
}

export interface LoadedBundle {
  /** The bundle's `module.exports`. */
  readonly exports: unknown;
  readonly cache: CacheOutcome;
  /** The cache file used (Node 20 path only). */
  readonly cacheFile?: string;
}

/**
 * The code cache directory, created 0700 if missing; undefined when it cannot be made or is not
 * safe (not a real directory, owned by someone else, or writable by group/others).
 */
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

/** The cache payload inside a cache file, or undefined when the file is not one of ours or is corrupt. */
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

/** Wraps CommonJS source the way Node does, so it compiles to one function. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * Loads the CommonJS bundle at `file` (an absolute path) and returns its exports, using the code
 * cache when it can (see the module comment). Errors of the bundle itself propagate.
 */
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
