import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDirSync, ensureSafeDir } from './cache-dir.js';
import { openTrustState } from './trust-state.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'np-cachedir-'));
  dirs.push(d);
  return d;
}
const isRoot = process.getuid?.() === 0;

describe('cache directory safety (StrictModes)', () => {
  it('creates missing directories 0700 and accepts them', async () => {
    const d = tmp();
    const deep = join(d, 'cache', 'tofu', 'abc');
    await ensureSafeDir(join(d, 'cache'), deep);
    for (const p of [join(d, 'cache'), join(d, 'cache', 'tofu'), deep]) expect(statSync(p).mode & 0o777).toBe(0o700);
    expect(() => checkDirSync(deep)).not.toThrow();
    expect(() => checkDirSync(join(d, 'absent'))).not.toThrow();
  });

  it.each([
    [0o777, 'group and others', '0777'],
    [0o757, 'others', '0757'],
    [0o770, 'its group', '0770'],
  ])('refuses a directory with mode %o, saying the mode and the fix', async (mode, who, shown) => {
    const d = tmp();
    chmodSync(d, mode);
    expect(() => checkDirSync(d)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${d} is writable by ${who} (mode ${shown})`), hint: expect.stringContaining(`chmod 700 ${d}`) }));
    // also when it is a parent of a directory being created
    await expect(ensureSafeDir(d, join(d, 'tofu'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('refuses an unsafe directory inside the cache directory', async () => {
    const d = tmp();
    mkdirSync(join(d, 'tofu'), { mode: 0o700 });
    chmodSync(join(d, 'tofu'), 0o733);
    await expect(ensureSafeDir(d, join(d, 'tofu', 'x'))).rejects.toMatchObject({ message: expect.stringContaining(`${join(d, 'tofu')} is writable by group and others`) });
    expect(() => openTrustState({ cacheDir: d }).store()).toThrow(/tofu is writable by group and others/);
  });

  it.runIf(isRoot)('refuses a directory owned by another user, saying the owner and the fix', () => {
    const d = tmp();
    chownSync(d, 4242, 4242);
    expect(() => checkDirSync(d)).toThrow(expect.objectContaining({ message: expect.stringContaining(`owned by uid 4242, not by this user (uid 0)`), hint: expect.stringContaining(`chown -R 0 ${d}`) }));
    expect(() => openTrustState({ cacheDir: d }).metadata()).toThrow(/owned by uid 4242/);
  });

  it('refuses a file where the cache directory should be; a file where the metadata cache should be only costs the cache', () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'x');
    expect(() => checkDirSync(join(d, 'f'))).toThrow(/is not a directory/);
    writeFileSync(join(d, 'metadata'), 'x');
    expect(() => openTrustState({ cacheDir: d }).store()).not.toThrow();
  });
});
