/** The CLI's resolver: metadata cache writes do not hold up close(); the command's trust states flush them. */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecSchema } from '../config/schema.js';
import { startTestServer } from '../../test/support/http-server.js';
import { notaryHandler } from '../demo/notary-handler.js';
import { D, asFiles, ref, useTestTls, value } from '../../test/support/notary/helpers.js';
import { TufRepoBuilder } from '../trust/notary/sign/repo.js';
import { createTrustStates } from '../trust/notary/trust-state.js';
import { notaryResolverFor, productionResolver } from './resolver.js';

const GUN = 'registry.example:5000/team/app';
const tls = useTestTls();

describe('productionResolver', () => {
  it("close() leaves the disk cache writes running; the command's trust states flush waits for them", async () => {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('v1', { digest: D(1), length: 100 });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
    const cacheDir = mkdtempSync(join(tmpdir(), 'np-cli-resolver-'));
    tls.cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
    const spec = SpecSchema.parse({
      cacheDir,
      trust: [{ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds, signers: ['targets'] }],
    });
    const states = createTrustStates();
    const r = productionResolver(spec, {}, states);
    expect(value(await r.resolve(ref(`${GUN}:v1`), spec.trust[0]!)).digest).toBe(D(1));
    await r.close?.();
    await states.flush();
    const dir = join(cacheDir, 'metadata');
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(0);
    await states.flush(); // nothing left: returns at once
  });

  it('a TOFU/version store that cannot be written makes close() fail (the run then fails); the answer itself did not wait', async () => {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('v1', { digest: D(1), length: 100 });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
    // Cannot be created, even by root: a path under a file.
    const parent = mkdtempSync(join(tmpdir(), 'np-cli-resolver-'));
    writeFileSync(join(parent, 'file'), 'a file where a directory should be');
    const cacheDir = join(parent, 'file', 'cache');
    tls.cleanup.push(() => s.close(), () => rmSync(parent, { recursive: true, force: true }));
    const spec = SpecSchema.parse({
      cacheDir,
      trust: [{ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds, signers: ['targets'] }],
    });
    const states = createTrustStates();
    const r = productionResolver(spec, {}, states);
    expect(value(await r.resolve(ref(`${GUN}:v1`), spec.trust[0]!)).digest).toBe(D(1));
    await expect(r.close?.()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await states.flush();
  });

  /** A trust server holding one signed GUN, and a spec trusting it with no cache directory. */
  async function oneGun() {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('v1', { digest: D(1), length: 100 });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
    tls.cleanup.push(() => s.close());
    const spec = SpecSchema.parse({
      trust: [{ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds, signers: ['targets'] }],
    });
    return { s, spec, rule: spec.trust[0]! };
  }
  const missing = 'registry.example:5000/team/missing';

  it('remembers a failure for the rest of the run: a GUN that failed is not fetched again', async () => {
    const { s, spec, rule } = await oneGun();
    const r = productionResolver(spec, {});
    expect((await r.resolve(ref(`${missing}:v1`), rule)).ok).toBe(false);
    const seen = s.requests.length;
    expect(seen).toBeGreaterThan(0);
    expect((await r.resolve(ref(`${missing}:v2`), rule)).ok).toBe(false);
    expect(s.requests.length).toBe(seen);
    await r.close?.();
  });

  it("the webhook's resolver (notaryResolverFor) does not remember a failure: it asks again", async () => {
    const { s, spec, rule } = await oneGun();
    const r = notaryResolverFor(spec, {});
    expect((await r.resolve(ref(`${missing}:v1`), rule)).ok).toBe(false);
    const seen = s.requests.length;
    expect((await r.resolve(ref(`${missing}:v1`), rule)).ok).toBe(false);
    expect(s.requests.length).toBeGreaterThan(seen);
    await r.close();
  });
});

describe('dispatchingResolver', () => {
  it('sends notation rules to the Notation resolver and the others to Notary v1; closes both and the registry client', async () => {
    const { dispatchingResolver } = await import('./resolver.js');
    const { createFakeRegistry } = await import('../../test/support/fake-registry.js');
    const registry = createFakeRegistry();
    const notarySeen: string[] = [];
    let notaryClosed = false;
    const notary = {
      resolve: async (r: { original: string }) => (notarySeen.push(r.original), { ok: true as const, value: { digest: D(1), role: 'targets', gun: 'x' } }),
      close: async () => void (notaryClosed = true),
    };
    const spec = SpecSchema.parse({
      trust: [
        { images: ['n.example/**'], notation: { trustPolicy: '/nonexistent/trustpolicy.json', trustStore: '/nonexistent' } },
        { images: ['**'], server: 'https://notary.example' },
      ],
    });
    const r = dispatchingResolver(notary, spec, { env: {}, registry });
    expect(value(await r.resolve(ref('v.example/app:v1'), spec.trust[1]!)).digest).toBe(D(1));
    const e = await r.resolve(ref('n.example/app:v1'), spec.trust[0]!);
    expect(e.ok).toBe(false);
    expect(!e.ok && e.error.code).toBe('NOTATION_POLICY');
    expect(notarySeen).toEqual(['v.example/app:v1']);
    await r.close?.();
    expect(notaryClosed).toBe(true);
    expect(registry.closed).toBe(true);
  });

  it('builds nothing for Notation when no notation rule is used', async () => {
    const { dispatchingResolver } = await import('./resolver.js');
    const { createFakeRegistry } = await import('../../test/support/fake-registry.js');
    const registry = createFakeRegistry();
    const spec = SpecSchema.parse({ trust: [{ images: ['**'], server: 'https://notary.example' }] });
    const r = dispatchingResolver({ resolve: async () => ({ ok: true as const, value: { digest: D(1), role: 'targets', gun: 'x' } }) }, spec, { env: {}, registry });
    await r.resolve(ref('v.example/app:v1'), spec.trust[0]!);
    await r.close?.();
    expect(registry.closed).toBe(false);
    expect(registry.calls).toEqual([]);
  });
});

describe('Docker Content Trust retirement, through the function', () => {
  it('a docker.io image under a rule with no server fails with TRUST_SERVER_RETIRED (no request is made), and so does a rule naming notary.docker.io', async () => {
    const { runKrm } = await import('../krm/run.js');
    const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: ${image}}]}\n`;
    for (const rule of [{ images: ['docker.io/**'], rootKeys: ['a'.repeat(64)] }, { images: ['**'], server: 'https://notary.docker.io', rootKeys: ['a'.repeat(64)] }]) {
      const spec = SpecSchema.parse({ trust: [rule] });
      const res = await runKrm(pod('nginx:1.25'), { resolverFor: (s) => productionResolver(s, {}), spec });
      expect(res.exitCode).toBe(1);
      expect(res.stdout).toBe('');
      const text = res.stderr.join('\n');
      expect(text).toContain('[TRUST_SERVER_RETIRED]');
      expect(text).toContain('retired Docker Content Trust\'s trust server notary.docker.io on 2026-12-08');
      expect(text).toContain('README "Migrating from Docker Content Trust"');
    }
  });
});
