/**
 * End to end with the real TUF verifier and TufRepoBuilder metadata, served by an in-process HTTPS
 * notary read API: resolution, wrong-GUN data, a server that publishes between requests, tampered
 * and expired data, rollback and TOFU root changes, cache eviction at role expiry.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustRuleSchema, type TrustRuleInput } from '../../config/schema.js';
import { startTestServer, type TestServer } from '../../../test/support/http-server.js';
import { TufRepoBuilder, tamper } from './sign/repo.js';
import { createNotaryResolver, type NotaryResolverOptions } from './resolver.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';
import { D, asFiles, error, value, ref , useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const OTHER = 'registry.example:5000/team/other';

const tls = useTestTls();
const { cleanup } = tls;


function builder(gun = GUN): TufRepoBuilder {
  const b = new TufRepoBuilder({ gun });
  b.addTarget('v1', { digest: D(1), length: 100 });
  b.addTarget('latest', { digest: D(1), length: 100 });
  b.addDelegation('targets/releases');
  b.addTarget('v1', { digest: D(2), length: 200 }, 'targets/releases');
  return b;
}

async function setup(data: TrustData, o: Partial<NotaryResolverOptions> = {}, byName?: TrustData) {
  const s: TestServer = await startTestServer(notaryHandler(data, byName), tls.leaf);
  const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', ...o });
  cleanup.push(() => s.close(), () => r.close());
  const rule = (x: Partial<TrustRuleInput> = {}) => TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, ...x });
  return { s, r, rule };
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'np-e2e-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('notary resolver end to end (real verifier, builder metadata)', () => {
  it('resolves tags (releases first), latest, digests and tag@digest', async () => {
    const b = builder();
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(b.build())]]));
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rl))).toEqual({ digest: D(2), tag: 'v1', role: 'targets/releases', gun: GUN, verifiedAt: expect.any(Date) });
    expect(value(await r.resolve(ref(GUN), rl))).toMatchObject({ digest: D(1), tag: 'latest', role: 'targets' });
    expect(value(await r.resolve(ref(`${GUN}@${D(1)}`), rl))).toMatchObject({ role: 'targets' });
    expect(value(await r.resolve(ref(`${GUN}:v1@${D(2)}`), rl)).role).toBe('targets/releases');
    expect(error(await r.resolve(ref(`${GUN}:v1@${D(1)}`), rl)).code).toBe('DIGEST_MISMATCH');
    expect(error(await r.resolve(ref(`${GUN}:v9`), rl)).code).toBe('UNSIGNED');
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: b.rootKeyIds().keyIds, signers: ['targets'] }))).digest).toBe(D(1));
    // one load for the default signers (5 files), one for signers [targets] (4 files)
    expect(s.requests).toHaveLength(9);
  });

  it('single flight with the real verifier: 30 concurrent resolves, one fetch per role', async () => {
    const b = builder();
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(b.build())]]));
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    const all = await Promise.all(Array.from({ length: 30 }, () => r.resolve(ref(`${GUN}:v1`), rl)));
    expect(all.every((x) => x.ok && x.value.digest === D(2))).toBe(true);
    expect(s.requests.map((q) => q.url.split('/_trust/tuf/')[1]!.replace(/\.[0-9a-f]{64}/, '')).sort()).toEqual([
      'root.json',
      'snapshot.json',
      'targets.json',
      'targets/releases.json',
      'timestamp.json',
    ]);
  });

  it("fails on another GUN's metadata served for this GUN", async () => {
    const other = builder(OTHER);
    const { r, rule } = await setup(new Map([[GUN, asFiles(other.build())]]));
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: other.rootKeyIds().keyIds })));
    expect(e.code).toMatch(/^TRUST_(MISMATCH|ROOT_UNTRUSTED)$/);
    expect(e.role).toBe('root');
    expect(e.image).toBe(`${GUN}:v1`);
    const t = error(await r.resolve(ref(`${GUN}:v1`), rule({ tofu: true })));
    expect(t.code).toBe('CONFIG_INVALID'); // TOFU needs a cache dir
    const { r: r2, rule: rule2 } = await setup(new Map([[GUN, asFiles(other.build())]]), { cacheDir: tmp() });
    expect(error(await r2.resolve(ref(`${GUN}:v1`), rule2({ tofu: true }))).code).toMatch(/^TRUST_(MISMATCH|ROOT_UNTRUSTED)$/);
  });

  it('refetches by checksum when the server published between requests', async () => {
    const b = builder();
    const v1 = b.build();
    b.addTarget('v1', { digest: D(3), length: 300 }, 'targets/releases');
    b.addTarget('v2', { digest: D(4), length: 400 });
    b.bumpVersion('targets').bumpVersion('targets/releases').bumpVersion('snapshot').bumpVersion('timestamp');
    const v2 = b.build();
    const byName = new Map([[GUN, new Map([...asFiles(v2), ['snapshot.json', v1.snapshot!], ['targets.json', v1.targets!]])]]);
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(v2)]]), {}, byName);
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rl)).digest).toBe(D(3));
    expect(value(await r.resolve(ref(`${GUN}:v2`), rl)).digest).toBe(D(4));
    const names = s.requests.map((q) => q.url.split('/_trust/tuf/')[1]);
    expect(names.filter((n) => /^(snapshot|targets)\.[0-9a-f]{64}\.json$/.test(n!))).toHaveLength(2);
  });

  it('fails closed on tampered targets and expired timestamps, and does not cache the failure', async () => {
    // a delegation signed by the wrong key (snapshot and timestamp consistent with it)
    const b = builder();
    b.signWith('targets/releases', [b.keys.targets]);
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(b.build())]]));
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    const e = error(await r.resolve(ref(`${GUN}:v1`), rl));
    expect(e.code).toBe('TRUST_SIGNATURE');
    expect(e.role).toBe('targets/releases');
    const n = s.requests.length;
    error(await r.resolve(ref(`${GUN}:v1`), rl));
    expect(s.requests.length).toBeGreaterThan(n);

    const old = builder();
    old.setExpires('timestamp', new Date(Date.now() - 1000));
    const { r: r2, rule: rule2 } = await setup(new Map([[GUN, asFiles(old.build())]]));
    const x = error(await r2.resolve(ref(`${GUN}:v1`), rule2({ rootKeys: old.rootKeyIds().keyIds })));
    expect(x.code).toBe('TRUST_EXPIRED');
    expect(x.role).toBe('timestamp');
  });

  it('a file altered on the server (hash no longer what its parent signs) is never accepted', async () => {
    const b = builder();
    const files = b.build();
    const altered = tamper(files.targets!, (x) => {
      (x.targets as Record<string, unknown>)['v1'] = { length: 1, hashes: { sha256: Buffer.alloc(32).toString('base64') } };
    });
    const { r, rule } = await setup(new Map([[GUN, asFiles({ ...files, targets: altered })]]));
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: b.rootKeyIds().keyIds, signers: ['targets'] })));
    // the by-name copy mismatches the snapshot; the by-checksum copy does not exist
    expect(e.code).toMatch(/^TRUST_(NOT_FOUND|MISMATCH|SIGNATURE)$/);
    expect(e.role).toBe('targets');
  });

  it('evicts a cache entry at the earliest role expiry (before the TTL)', async () => {
    let now = Date.now();
    const b = builder();
    b.setExpires('timestamp', new Date(now + 60_000));
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(b.build())]]), { now: () => new Date(now), cache: { ttlMs: 3600_000 } });
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    value(await r.resolve(ref(`${GUN}:v1`), rl));
    now += 59_000;
    value(await r.resolve(ref(`${GUN}:v1`), rl));
    expect(s.requests).toHaveLength(5);
    now += 2_000; // past the timestamp expiry: refetched, and the expired data is refused
    expect(error(await r.resolve(ref(`${GUN}:v1`), rl)).code).toBe('TRUST_EXPIRED');
    expect(s.requests.length).toBeGreaterThan(5);
  });

  it('rollback protection: with a cache dir, older versions are refused later', async () => {
    const cacheDir = tmp();
    const b = builder();
    const v1 = b.build();
    b.bumpVersion('targets').bumpVersion('snapshot').bumpVersion('timestamp');
    const v2 = b.build();
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(v2)]]), { cacheDir });
    const rl = rule({ rootKeys: b.rootKeyIds().keyIds });
    value(await r.resolve(ref(`${GUN}:v1`), rl));
    s.handle(notaryHandler(new Map([[GUN, asFiles(v1)]])));
    r.cache.clear();
    expect(error(await r.resolve(ref(`${GUN}:v1`), rl)).code).toBe('TRUST_ROLLBACK');
  });

  it('TOFU: a later, unrelated root for the GUN is refused', async () => {
    const cacheDir = tmp();
    const first = builder();
    const { r, rule, s } = await setup(new Map([[GUN, asFiles(first.build())]]), { cacheDir });
    const rl = rule({ tofu: true });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rl)).digest).toBe(D(2));
    const impostor = builder();
    impostor.setVersion('root', 2);
    s.handle(notaryHandler(new Map([[GUN, asFiles(impostor.build())]])));
    r.cache.clear();
    const e = error(await r.resolve(ref(`${GUN}:v1`), rl));
    expect(e.code).toMatch(/^TRUST_(ROOT_UNTRUSTED|SIGNATURE|ROLLBACK)$/);
    expect(e.role).toBe('root');
  });

  it('caps metadata at trust.maxMetadataBytes', async () => {
    const b = builder();
    const { r, rule } = await setup(new Map([[GUN, asFiles(b.build())]]));
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: b.rootKeyIds().keyIds, maxMetadataBytes: 200 })));
    expect(e.code).toBe('TRUST_TOO_LARGE');
    expect(e.role).toBe('root');
  });
});
