import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CrlCache, OcspCache } from './cache.js';
import type { RevocationFetcher } from './source.js';
import { ocspRequest } from './ocsp.js';
import { makeCert, makeCrl } from '../../../../test/support/notation-revocation/pki.js';

const ca = await makeCert({ cn: 'cache CA', ca: true });
const leaf = await makeCert({ cn: 'cache leaf', issuer: ca });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fetcher serving `body(url)` and counting calls; `fail` makes it throw. */
function fakeFetcher(body: (url: string) => Promise<Uint8Array>) {
  const calls: string[] = [];
  const f: RevocationFetcher & { calls: string[]; fail: boolean } = {
    kind: 'fake',
    calls,
    fail: false,
    async crl(url) {
      calls.push(url);
      if (f.fail) throw new Error('network down');
      return body(url);
    },
    async ocsp(url) {
      calls.push(url);
      if (f.fail) throw new Error('network down');
      return body(url);
    },
    async close() {},
  };
  return f;
}

describe('CrlCache', () => {
  it('single-flight: concurrent gets of one URL fetch once', async () => {
    const f = fakeFetcher(() => makeCrl(ca, { number: 1 }));
    const cache = new CrlCache({ fetcher: f });
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.get('http://x/a.crl', new Date())));
    expect(new Set(all).size).toBe(1);
    expect(f.calls).toEqual(['http://x/a.crl']);
  });

  it('memory is bounded; the disk copy is bounded too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-crlcache-'));
    dirs.push(dir);
    const crl = await makeCrl(ca, { number: 1 });
    const f = fakeFetcher(async () => crl);
    const cache = new CrlCache({ fetcher: f, cacheDir: dir, maxEntries: 1 });
    for (let i = 0; i < 7; i++) await cache.get(`http://x/${i}.crl`, new Date());
    expect(readdirSync(join(dir, 'crl')).length).toBeLessThanOrEqual(4);
    await cache.get('http://x/0.crl', new Date());
    expect(f.calls.filter((u) => u === 'http://x/0.crl').length).toBe(2);
  });

  it('an expired copy is refetched; when that fails, the stale copy is returned (it can only prove revocation)', async () => {
    const f = fakeFetcher(() => makeCrl(ca, { number: 1, thisUpdate: new Date(Date.now() - 7_200_000), nextUpdate: new Date(Date.now() + 60_000) }));
    const cache = new CrlCache({ fetcher: f, refreshAheadMs: 0 });
    const first = await cache.get('http://x/a.crl', new Date());
    f.fail = true;
    const later = new Date(Date.now() + 120_000);
    const again = await cache.get('http://x/a.crl', later);
    expect(again).toBe(first);
    expect(f.calls.length).toBe(2);
    const fresh = new CrlCache({ fetcher: f });
    await expect(fresh.get('http://x/a.crl', new Date())).rejects.toThrow(/network down/);
  });
});

describe('a caller that gives up does not fail the others waiting on the same fetch', () => {
  it('CRL: the aborted caller rejects, the other gets the CRL, one fetch', async () => {
    const crl = await makeCrl(ca, { number: 1 });
    const f = fakeFetcher(() => new Promise((r) => setTimeout(() => r(crl), 200)));
    const cache = new CrlCache({ fetcher: f });
    const ac = new AbortController();
    const a = cache.get('http://x/a.crl', new Date(), ac.signal);
    const b = cache.get('http://x/a.crl', new Date());
    ac.abort(new Error('deadline'));
    await expect(a).rejects.toThrow(/deadline/);
    await expect(b).resolves.toBeDefined();
    expect(f.calls.length).toBe(1);
  });
});

describe('OcspCache', () => {
  it('keeps a response until its nextUpdate and never one without', async () => {
    const f = fakeFetcher(async () => new Uint8Array([1]));
    const cache = new OcspCache(f, 2);
    const req = ocspRequest(leaf.cert, ca.cert);
    const now = new Date();
    const der = await cache.get('http://o', req, now);
    cache.put('http://o', req, der, new Date(now.getTime() + 60_000));
    await cache.get('http://o', req, now);
    expect(f.calls.length).toBe(1);
    await cache.get('http://o', req, new Date(now.getTime() + 120_000));
    expect(f.calls.length).toBe(2);
    cache.put('http://p', req, der, undefined);
    await cache.get('http://p', req, now);
    expect(f.calls.length).toBe(3);
  });
});
