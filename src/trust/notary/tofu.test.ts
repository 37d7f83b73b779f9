import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VerifiedState } from './tuf/verifier-contract.js';
import { createTofuStore } from './tofu.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp() {
  const d = mkdtempSync(join(tmpdir(), 'np-tofu-'));
  dirs.push(d);
  return d;
}
const state = (root: string, v: number, t: Record<string, number> = { targets: v }): VerifiedState => ({
  gun: 'g/a',
  versions: { root: v, timestamp: v, snapshot: v, targets: t },
  expires: new Date(),
  files: { root: new Uint8Array(Buffer.from(root)) },
});

describe('TOFU store', () => {
  it('starts empty, stores the root (0600) and versions, and reads them back', async () => {
    const d = tmp();
    const store = createTofuStore(d);
    expect(await store.load('g/a')).toEqual({});
    await store.save('g/a', state('ROOT1', 2), { root: true });
    const dir = store.dirFor('g/a');
    expect(dir).toMatch(/tofu\/[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'root.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')).gun).toBe('g/a');
    const rec = await store.load('g/a');
    expect(Buffer.from(rec.root!).toString()).toBe('ROOT1');
    expect(rec.versions).toEqual({ root: 2, timestamp: 2, snapshot: 2, targets: { targets: 2 } });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('never lowers stored versions and only stores roots when asked', async () => {
    const store = createTofuStore(tmp());
    await store.save('g/a', state('R', 5, { targets: 5, 'targets/releases': 3 }), { root: false });
    await store.save('g/a', state('R', 4, { targets: 7 }), { root: false });
    const rec = await store.load('g/a');
    expect(rec.root).toBeUndefined();
    expect(rec.versions).toEqual({ root: 5, timestamp: 5, snapshot: 5, targets: { targets: 7, 'targets/releases': 3 } });
  });

  it('replaces a rotated root', async () => {
    const store = createTofuStore(tmp());
    await store.save('g/a', state('R1', 1), { root: true });
    await store.save('g/a', state('R2', 2), { root: true });
    expect(Buffer.from((await store.load('g/a')).root!).toString()).toBe('R2');
  });

  it('rejects a corrupt versions file', async () => {
    const store = createTofuStore(tmp());
    await store.save('g/a', state('R', 1), { root: true });
    writeFileSync(join(store.dirFor('g/a'), 'versions.json'), '{nope');
    await expect(store.load('g/a')).rejects.toThrow(/corrupt/);
  });

  it('enqueue: saves in order in the background, load waits for them, flush reports nothing when all went well', async () => {
    const store = createTofuStore(tmp());
    store.enqueue('g/a', state('R1', 1), { root: true });
    store.enqueue('g/a', state('R2', 3), { root: true });
    const rec = await store.load('g/a'); // waits for both
    expect(Buffer.from(rec.root!).toString()).toBe('R2');
    expect(rec.versions?.timestamp).toBe(3);
    await expect(store.flush()).resolves.toBeUndefined();
  });

  it('enqueue: a save that fails (cacheDir not writable) is reported by flush, once', async () => {
    const d = tmp();
    writeFileSync(join(d, 'tofu'), 'a file where the store directory should be');
    const store = createTofuStore(join(d, 'tofu', 'cache')); // cannot be created, even by root
    store.enqueue('g/a', state('R', 1), { root: true });
    await expect(store.flush()).rejects.toMatchObject({ code: 'CONFIG_INVALID', hint: 'spec.cacheDir must be writable' });
    await expect(store.flush()).resolves.toBeUndefined();
  });

  it('honours a store written before 0.1 (the GUN in a `gun` file) and refuses one that names another GUN', async () => {
    const d = tmp();
    const legacy = createTofuStore(d);
    const dir = legacy.dirFor('g/a');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gun'), 'g/a');
    writeFileSync(join(dir, 'root.json'), 'OLDROOT');
    expect(Buffer.from((await createTofuStore(d).load('g/a')).root!).toString()).toBe('OLDROOT');
    writeFileSync(join(dir, 'gun'), 'g/other');
    await expect(createTofuStore(d).load('g/a')).rejects.toThrow(/belongs to "g\/other"/);
    // a root.json with nothing naming its GUN is not used
    rmSync(join(dir, 'gun'));
    expect(await createTofuStore(d).load('g/a')).toEqual({});
  });
});
