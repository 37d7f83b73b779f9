import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifiedState } from './tuf/verifier-contract.js';
import { createTrustStates, openTrustState } from './trust-state.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'np-state-'));
  dirs.push(d);
  return d;
}
const state = (gun: string): VerifiedState => ({
  gun,
  versions: { root: 1, timestamp: 1, snapshot: 1, targets: { targets: 1 } },
  expires: new Date(Date.now() + 3600_000),
  files: { root: new Uint8Array(Buffer.from('ROOT')), timestamp: new Uint8Array(Buffer.from('TS')) },
});

describe('trust state', () => {
  it('background store writes: remember() does not wait; stored() and flush() do, and create 0700 directories', async () => {
    const d = join(tmp(), 'cache');
    const s = openTrustState({ cacheDir: d, storeWrites: 'background' });
    await s.remember('g/a', state('g/a'), { root: true, server: 'https://notary.example', loaded: new Map() });
    await s.stored();
    const tofu = s.store().dirFor('g/a');
    expect(existsSync(join(tofu, 'root.json'))).toBe(true);
    await s.flush();
    expect(readdirSync(join(d, 'metadata')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    for (const p of [d, join(d, 'tofu'), tofu, join(d, 'metadata')]) expect(statSync(p).mode & 0o777).toBe(0o700);
  });

  it('a store write that fails is reported by stored() (the run fails), once', async () => {
    const s = openTrustState({ cacheDir: join('/dev/null', 'cache'), storeWrites: 'background' });
    await s.remember('g/a', state('g/a'), { root: true });
    await expect(s.stored()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(s.flush()).resolves.toBeUndefined();
  });

  it("each-answer store writes: remember() rejects when the write fails", async () => {
    const s = openTrustState({ cacheDir: join('/dev/null', 'cache') });
    await expect(s.remember('g/a', state('g/a'), { root: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it("a command's trust states: one per directory however it is spelled, flushed together", async () => {
    const d = tmp();
    const states = createTrustStates();
    const a = states.open({ cacheDir: d, storeWrites: 'background' });
    expect(states.open({ cacheDir: `${d}/./`, storeWrites: 'background' })).toBe(a);
    await a.remember('g/b', state('g/b'), { root: false, server: 'https://n', loaded: new Map() });
    await states.flush();
    expect(readdirSync(join(d, 'metadata')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(existsSync(join(a.store().dirFor('g/b'), 'versions.json'))).toBe(true);
  });
});
