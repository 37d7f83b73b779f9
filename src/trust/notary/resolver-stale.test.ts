/**
 * The Notary resolver's staleIfErrorMs with the memory cache only (no cacheDir): trust data verified
 * earlier answers only while the trust server cannot be reached, and never once a later load failed
 * verification (fail closed).
 */
import { describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { createFakeRegistry } from '../../../test/support/fake-registry.js';
import { TrustRuleSchema } from '../../config/schema.js';
import { startTestServer } from '../../../test/support/http-server.js';
import { TufRepoBuilder } from './sign/repo.js';
import { createNotaryResolver } from './resolver.js';
import { notaryHandler } from '../../demo/notary-handler.js';
import { D, asFiles, error, value, ref, useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const tls = useTestTls();
const { cleanup } = tls;

async function setup() {
  const b = new TufRepoBuilder({ gun: GUN });
  b.addTarget('v1', { digest: D(1), length: 100 });
  const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
  let t = Date.now();
  const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cache: { ttlMs: 1000, staleIfErrorMs: 3_600_000 }, now: () => new Date(t) });
  cleanup.push(() => s.close(), () => r.close());
  const rule = TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds });
  const resolve = async () => r.resolve(ref(`${GUN}:v1`), rule);
  return { s, resolve, later: (ms: number) => (t += ms) };
}

describe('Notary resolver: stale if error (memory cache)', () => {
  it('server unreachable past the TTL: the data verified earlier answers, marked stale', async () => {
    const { s, resolve, later } = await setup();
    expect(value(await resolve()).stale).toBeUndefined();
    s.handle((req) => void req.socket.destroy());
    later(1500);
    const stale = value(await resolve());
    expect(stale.digest).toBe(D(1));
    expect(stale.stale).toBeDefined();
  });

  it('a load that failed verification drops the held data: a later outage does not bring it back', async () => {
    const { s, resolve, later } = await setup();
    expect(value(await resolve()).digest).toBe(D(1));
    // past the TTL the server serves trust data under other root keys: not the pinned root
    const forged = new TufRepoBuilder({ gun: GUN });
    forged.addTarget('v1', { digest: D(2), length: 100 });
    s.handle(notaryHandler(new Map([[GUN, asFiles(forged.build())]])));
    later(1500);
    const refused = error(await resolve());
    expect(refused.code).not.toBe('TRUST_FETCH');
    // then the server cannot be reached: denied, not answered from the data verified before
    s.handle((req) => void req.socket.destroy());
    expect(error(await resolve()).code).toBe('TRUST_FETCH');
  });
});

describe('Notary resolver: platform rules reuse what the registry said', () => {
  it('a warm review asks the registry nothing (the index by digest); an outage of the registry answers it stale', async () => {
    const registry = createFakeRegistry();
    const repo = 'registry.example:5000/team/app';
    const index = registry.addIndex(repo, 'multi', [
      { desc: registry.addImage(repo, undefined, 'amd64'), platform: 'linux/amd64' },
      { desc: registry.addImage(repo, undefined, 'arm64'), platform: 'linux/arm64' },
    ]);
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('multi', { digest: index.digest, length: index.size });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
    let t = Date.now();
    const r = createNotaryResolver({
      env: {}, homeDir: '/nonexistent', cache: { ttlMs: 1000, staleIfErrorMs: 3_600_000 }, now: () => new Date(t), registry: () => registry,
    });
    cleanup.push(() => s.close(), () => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds, platforms: ['linux/amd64', 'linux/arm64'] });
    const resolve = async () => r.resolve(ref(`${GUN}:multi`), rule);
    expect(value(await resolve()).digest).toBe(index.digest);
    const asked = registry.calls.length;
    expect(asked).toBeGreaterThan(0);
    expect(value(await resolve()).stale).toBeUndefined();
    expect(registry.calls.length).toBe(asked);
    registry.before = () => {
      throw new PinError({ code: 'REGISTRY_FETCH', message: 'connect ECONNREFUSED', hint: 'check the registry' });
    };
    t += 1500;
    const stale = value(await resolve());
    expect(stale.digest).toBe(index.digest);
    expect(stale.stale).toMatch(/ECONNREFUSED/);
  });
});
