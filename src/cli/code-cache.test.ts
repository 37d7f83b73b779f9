import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBundle, privateCacheDir, readCacheFile, writeCacheFile, type LoadOptions } from './code-cache.js';

const SOURCE = `"use strict";
exports.answer = [1, 2, 3].map((n) => n * 7).reduce((a, b) => a + b);
exports.where = () => require('node:path').basename(__filename) + ' in ' + require('node:path').basename(__dirname);
module.exports.self = this === exports;
`;

describe('loadBundle (code cache on the Node 20 path)', () => {
  let dir: string;
  let bundle: string;
  let cacheDir: string;
  let writes: Array<() => void>;
  const opts = (extra: Partial<LoadOptions> = {}): LoadOptions => ({
    env: { NODE_COMPILE_CACHE: cacheDir },
    preferNodeCache: false,
    sourceMaps: false,
    onWriteCache: (w) => writes.push(w),
    ...extra,
  });
  const load = (extra: Partial<LoadOptions> = {}) => {
    const r = loadBundle(bundle, opts(extra));
    const ex = r.exports as { answer: number; where: () => string; self: boolean };
    return { ...r, answer: ex.answer, where: ex.where(), self: ex.self };
  };
  /**
   * Loads in a fresh process: V8 keeps compiled scripts in memory, so in this process a second
   * compile of the same source never consults the cache data (always a "hit").
   */
  const loadInChild = (): { cache: string; answer: number } => {
    const code = `import { loadBundle } from ${JSON.stringify(new URL('./code-cache.ts', import.meta.url).pathname)};
      const r = loadBundle(${JSON.stringify(bundle)}, { env: { NODE_COMPILE_CACHE: ${JSON.stringify(cacheDir)} }, preferNodeCache: false, sourceMaps: false });
      console.log(JSON.stringify({ cache: r.cache, answer: r.exports.answer }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { cache: string; answer: number };
  };
  const writeAll = () => {
    for (const w of writes.splice(0)) w();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'notary-pin-code-cache-'));
    bundle = join(dir, 'bundle.cjs');
    writeFileSync(bundle, SOURCE);
    cacheDir = join(dir, 'cache');
    writes = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the bundle as CommonJS (exports, require, __filename, __dirname, this)', () => {
    const r = load();
    expect(r.answer).toBe(42);
    expect(r.where).toBe(`bundle.cjs in ${dir.split('/').at(-1)}`);
    expect(r.self).toBe(true);
  });

  it('missing cache: compiles, writes a private cache file when asked; the next load hits it with the same result', { timeout: 30_000 }, () => {
    const first = load();
    expect(first.cache).toBe('miss');
    expect(writes).toHaveLength(1);
    writeAll();
    expect(readdirSync(cacheDir)).toEqual([first.cacheFile!.split('/').at(-1)]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(first.cacheFile!).mode & 0o777).toBe(0o600);
    expect(first.cacheFile).toContain(`${process.version}-${process.arch}`);
    const second = load();
    expect(second.cache).toBe('hit');
    expect(writes).toHaveLength(0);
    expect([second.answer, second.where, second.self]).toEqual([first.answer, first.where, first.self]);
    expect(loadInChild()).toEqual({ cache: 'hit', answer: 42 });
  });

  it('a corrupt cache file (a flipped byte, a truncated file, garbage) is a miss and gets rewritten', () => {
    load();
    writeAll();
    const file = load().cacheFile!;
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] = flipped[flipped.length - 10]! ^ 0xff;
    for (const bad of [flipped, good.subarray(0, good.length - 100), Buffer.from('garbage')]) {
      writeFileSync(file, bad);
      const r = load();
      expect(r.cache).toBe('miss');
      expect(r.answer).toBe(42);
      writeAll();
      expect(readFileSync(file).equals(bad)).toBe(false);
      expect(load().cache).toBe('hit');
    }
  });

  it('a well-formed cache file that V8 rejects is reported as rejected, compiled normally and rewritten', { timeout: 30_000 }, () => {
    load();
    writeAll();
    const file = load().cacheFile!;
    expect(writeCacheFile(file, Buffer.alloc(4096, 7))).toBe(true);
    expect(loadInChild()).toEqual({ cache: 'rejected', answer: 42 });
    // The child rewrote it when it exited.
    expect(readCacheFile(file)?.equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(loadInChild()).toEqual({ cache: 'hit', answer: 42 });
  });

  it('another bundle (even of the same length) never uses this bundle\'s cache', () => {
    load();
    writeAll();
    const before = load().cacheFile;
    writeFileSync(bundle, SOURCE.replace('n * 7', 'n * 8'));
    const r = load();
    expect(r.cacheFile).not.toBe(before);
    expect(r.cache).toBe('miss');
    expect(r.answer).toBe(48);
  });

  it('writeCache false: nothing is written', () => {
    expect(load({ writeCache: false }).cache).toBe('miss');
    expect(writes).toHaveLength(0);
  });

  it('no cache, silently, when the directory cannot be created, is unsafe, or the cache is off', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const cases: Array<Partial<LoadOptions>> = [
      { env: { NODE_COMPILE_CACHE: join(file, 'cache') } },
      { env: { NODE_COMPILE_CACHE: cacheDir, NODE_DISABLE_COMPILE_CACHE: '1' } },
      { sourceMaps: true },
    ];
    for (const c of cases) {
      const r = load(c);
      expect(r.cache, JSON.stringify(c)).toBe('off');
      expect(r.answer).toBe(42);
    }
    expect(writes).toHaveLength(0);
  });

  it('a cache file that cannot be written is ignored', () => {
    load();
    rmSync(cacheDir, { recursive: true });
    writeFileSync(cacheDir, 'not a directory');
    expect(() => writeAll()).not.toThrow();
    expect(writeCacheFile(join(cacheDir, 'x.v8cache'), Buffer.from('data'))).toBe(false);
  });
});

describe('privateCacheDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'notary-pin-cache-dir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directory 0700 and accepts it', () => {
    const d = join(dir, 'a', 'b');
    expect(privateCacheDir({ NODE_COMPILE_CACHE: d })).toBe(d);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('refuses a directory others can write (a planted cache would be planted code)', () => {
    const d = join(dir, 'shared');
    expect(privateCacheDir({ NODE_COMPILE_CACHE: d })).toBe(d);
    chmodSync(d, 0o777);
    expect(privateCacheDir({ NODE_COMPILE_CACHE: d })).toBeUndefined();
    chmodSync(d, 0o720);
    expect(privateCacheDir({ NODE_COMPILE_CACHE: d })).toBeUndefined();
  });

  it('defaults to a per-user directory under the tmp dir', () => {
    const old = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      expect(privateCacheDir({})).toBe(join(dir, `notary-pin-compile-cache-${process.getuid?.() ?? 'user'}`));
    } finally {
      if (old === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = old;
    }
  });
});

describe('readCacheFile / writeCacheFile', () => {
  it('round-trips a payload and rejects a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notary-pin-cache-file-'));
    try {
      const f = join(dir, 'x.v8cache');
      expect(readCacheFile(f)).toBeUndefined();
      expect(writeCacheFile(f, Buffer.from('payload bytes'))).toBe(true);
      expect(readCacheFile(f)?.toString()).toBe('payload bytes');
      expect(readdirSync(dir)).toEqual(['x.v8cache']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
