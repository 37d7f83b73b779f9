/**
 * Multi-platform images with Notation against the REAL `docker-registry`: indexes (OCI index and
 * Docker manifest list) pushed with the registry API, signatures made by the test signer and stored
 * as notation does (referrers tag schema). Every combination of what is signed — the index, every
 * platform manifest, some of them, nothing — under `platforms` and `pinPlatform`, in pin mode (the
 * function) and verify mode (what the webhook asks; one admission through the real webhook server).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionResolver } from '../src/cli/resolver.js';
import { SpecSchema, TrustRuleSchema, type Spec, type TrustRuleInput } from '../src/config/schema.js';
import type { Resolver } from '../src/engine/port.js';
import { runKrm } from '../src/krm/run.js';
import { parseReference } from '../src/reference/parse.js';
import type { Descriptor } from '../src/registry/contract.js';
import { registerTempDir, type Daemon } from './support/daemon.js';
import { startRegistry } from './support/notary-env.js';
import { makeChain, testKey, type TestChain } from './support/notation/pki.js';
import { signEnvelope } from './support/notation/signer.js';
import { pushImage, pushPlatformIndex, pushSignature, type PushedIndex, type PushTarget } from './support/oci-push.js';
import { describeWithTools } from './support/tools.js';
import { startProductionWebhook } from './support/webhook/production.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';

const BOTH = ['linux/amd64', 'linux/arm64'];

describeWithTools(['docker-registry'], 'multi-platform images with Notation (real docker-registry)', () => {
  let dir: string;
  let unregister: () => void;
  let registry: { daemon: Daemon; host: string };
  let target: PushTarget;
  let trusted: TestChain;
  let resolver: Resolver;
  let notation: TrustRuleInput['notation'];
  const ix: Record<string, PushedIndex> = {};
  let single: Descriptor;
  const repo = (name: string) => `${registry.host}/${name}`;

  async function sign(name: string, subject: Descriptor): Promise<void> {
    const env = signEnvelope({ format: 'jws', subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, chain: trusted.chain });
    await pushSignature(target, name, subject, { form: 'artifactType', envelope: env.envelope, envelopeMediaType: env.mediaType });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'np-multiarch-'));
    unregister = registerTempDir(dir);
    registry = await startRegistry(dir, 30_000, dir);
    target = { url: `http://${registry.host}` };
    trusted = makeChain(testKey('p256', 3));

    ix.indexSigned = await pushPlatformIndex(target, 'ma/index-signed', '1', BOTH);
    await sign('ma/index-signed', ix.indexSigned.index);
    ix.allChildren = await pushPlatformIndex(target, 'ma/all-children', '1', BOTH, { dockerList: true });
    for (const p of BOTH) await sign('ma/all-children', ix.allChildren.children[p]!);
    ix.someChildren = await pushPlatformIndex(target, 'ma/some-children', '1', BOTH);
    await sign('ma/some-children', ix.someChildren.children['linux/amd64']!);
    ix.amd64Only = await pushPlatformIndex(target, 'ma/amd64-only', '1', ['linux/amd64', 'linux/arm/v7']);
    await sign('ma/amd64-only', ix.amd64Only.index);
    ix.unsigned = await pushPlatformIndex(target, 'ma/unsigned', '1', BOTH);
    ix.skipped = await pushPlatformIndex(target, 'ma/skipped', '1', ['linux/amd64']);
    single = await pushImage(target, 'ma/single', '1');
    await sign('ma/single', single);

    writeTrustStoreCert(join(dir, 'truststore'), 'ca', 'team', trusted.root.der);
    writeFileSync(
      join(dir, 'trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          { name: 'team', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] },
          { name: 'legacy', registryScopes: [repo('ma/skipped')], signatureVerification: { level: 'skip' } },
        ],
      }),
    );
    notation = { trustPolicy: join(dir, 'trustpolicy.json'), trustStore: join(dir, 'truststore') };
    resolver = productionResolver(spec([]), {});
  }, 120_000);

  afterAll(async () => {
    await resolver?.close?.();
    await registry?.daemon.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    unregister?.();
  });

  const spec = (trust: TrustRuleInput[], mode: 'pin' | 'verify' = 'pin'): Spec =>
    SpecSchema.parse({ mode, registries: [{ host: registry.host, plainHTTP: true }], trust });
  const rule = (o: Partial<TrustRuleInput>) => TrustRuleSchema.parse({ images: ['**'], notation, ...o });
  const resolve = (image: string, o: Partial<TrustRuleInput>) => resolver.resolve(parseReference(image), rule(o));
  const pass = async (image: string, o: Partial<TrustRuleInput>) => {
    const r = await resolve(image, o);
    if (!r.ok) throw new Error(`expected ${image} to pass: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const fail = async (image: string, o: Partial<TrustRuleInput>) => {
    const r = await resolve(image, o);
    if (r.ok) throw new Error(`expected ${image} to fail, got ${r.value.digest}`);
    return r.error;
  };

  describe('platforms (the index is pinned)', () => {
    it('index signed: pinned to the index digest, the result says the index is signed', async () => {
      const r = await pass(`${repo('ma/index-signed')}:1`, { platforms: BOTH });
      expect(r.digest).toBe(ix.indexSigned!.index.digest);
      expect(r.platform).toBe('index signed, lists linux/amd64, linux/arm64');
    });

    it('index not signed, every listed platform manifest signed (Docker manifest list): pinned to the index, the children named', async () => {
      const r = await pass(`${repo('ma/all-children')}:1`, { platforms: BOTH });
      expect(r.digest).toBe(ix.allChildren!.index.digest);
      expect(r.platform).toContain('index not signed itself; platform manifests verified:');
      for (const p of BOTH) expect(r.platform).toContain(`${p} ${ix.allChildren!.children[p]!.digest.slice(0, 19)}`);
      expect(r.signer).toContain('CN=signer');
    });

    it('some platform manifests signed: fails naming the unsigned platform; passes when the rule lists only the signed one', async () => {
      const e = await fail(`${repo('ma/some-children')}:1`, { platforms: BOTH });
      expect(e.code).toBe('UNSIGNED');
      expect(e.message).toContain(`the index ${ix.someChildren!.index.digest} has no passing signature of its own`);
      expect(e.message).toContain(`platform linux/arm64's manifest ${ix.someChildren!.children['linux/arm64']!.digest} has none either`);
      const r = await pass(`${repo('ma/some-children')}:1`, { platforms: ['linux/amd64'] });
      expect(r.digest).toBe(ix.someChildren!.index.digest);
    });

    it('a listed platform missing from a signed index: fails naming it and what the index lists', async () => {
      const e = await fail(`${repo('ma/amd64-only')}:1`, { platforms: BOTH });
      expect(e.code).toBe('PLATFORM');
      expect(e.message).toContain(`platform linux/arm64 is missing from the index ${ix.amd64Only!.index.digest} (it lists linux/amd64, linux/arm/v7)`);
    });

    it('nothing signed fails; a single-platform image under a platforms rule fails', async () => {
      expect((await fail(`${repo('ma/unsigned')}:1`, { platforms: BOTH })).code).toBe('UNSIGNED');
      const e = await fail(`${repo('ma/single')}:1`, { platforms: BOTH });
      expect(e.code).toBe('PLATFORM');
      expect(e.message).toContain('not an image index');
    });
  });

  describe('pinPlatform (the platform manifest is pinned)', () => {
    it('index signed: pinned to the platform manifest, the result says the index is signed', async () => {
      const r = await pass(`${repo('ma/index-signed')}:1`, { pinPlatform: 'linux/arm64' });
      expect(r.digest).toBe(ix.indexSigned!.children['linux/arm64']!.digest);
      expect(r.platform).toBe(`linux/arm64 of index ${ix.indexSigned!.index.digest.slice(0, 19)}; the index is signed`);
    });

    it('platform manifest signed (index not): pinned to it', async () => {
      const r = await pass(`${repo('ma/some-children')}:1`, { pinPlatform: 'linux/amd64' });
      expect(r.digest).toBe(ix.someChildren!.children['linux/amd64']!.digest);
      expect(r.platform).toContain('the platform manifest is signed');
    });

    it('neither signed: fails saying both were tried', async () => {
      const e = await fail(`${repo('ma/some-children')}:1`, { pinPlatform: 'linux/arm64' });
      expect(e.code).toBe('UNSIGNED');
      expect(e.message).toContain(`neither platform linux/arm64's manifest ${ix.someChildren!.children['linux/arm64']!.digest} nor its index ${ix.someChildren!.index.digest}`);
    });

    it('a platform the index lacks fails; a variant is matched (linux/arm/v7)', async () => {
      expect((await fail(`${repo('ma/amd64-only')}:1`, { pinPlatform: 'linux/arm64' })).message).toContain('platform linux/arm64 is missing');
      const r = await pass(`${repo('ma/amd64-only')}:1`, { pinPlatform: 'linux/arm/v7' });
      expect(r.digest).toBe(ix.amd64Only!.children['linux/arm/v7']!.digest);
    });

    it('the function rewrites the field to repo:tag@<platform manifest digest> and says which platform', async () => {
      const input = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: ${repo('ma/index-signed')}:1\n`;
      const s = spec([{ images: [`${registry.host}/**`], notation, pinPlatform: 'linux/amd64' }]);
      const out = await runKrm(input, { spec: s, resolverFor: (x) => productionResolver(x, {}) });
      expect(out.exitCode).toBe(0);
      expect(out.stdout).toContain(`image: ${repo('ma/index-signed')}:1@${ix.indexSigned!.children['linux/amd64']!.digest}`);
      expect(out.results[0]!.message).toContain(`linux/amd64 of index ${ix.indexSigned!.index.digest.slice(0, 19)}; the index is signed`);
      expect(out.results[0]!.tags?.platform).toContain('linux/amd64');
      // re-running on pinned output changes nothing, and verify mode passes it (through the tag's index)
      const again = await runKrm(out.stdout, { spec: s, resolverFor: (x) => productionResolver(x, {}) });
      expect(again.exitCode).toBe(0);
      expect(again.stdout).toBe(out.stdout);
      const verified = await runKrm(out.stdout, { spec: s, overrides: { mode: 'verify' }, resolverFor: (x) => productionResolver(x, {}) });
      expect(verified.exitCode).toBe(0);
    });
  });

  it('a trust policy at level skip verifies nothing, but still pins pinPlatform\'s manifest and checks the listed platforms', async () => {
    const r = await pass(`${repo('ma/skipped')}:1`, { pinPlatform: 'linux/amd64' });
    expect(r.digest).toBe(ix.skipped!.children['linux/amd64']!.digest);
    expect(r.unverified).toContain('NOT VERIFIED');
    expect((await fail(`${repo('ma/skipped')}:1`, { platforms: BOTH })).message).toContain('platform linux/arm64 is missing');
  });

  describe('verify mode (what the webhook asks): a digest that names an index or a platform manifest', () => {
    it('platforms: an index digest passes when every platform manifest is signed, fails when one is not', async () => {
      expect((await pass(`${repo('ma/all-children')}@${ix.allChildren!.index.digest}`, { platforms: BOTH })).digest).toBe(ix.allChildren!.index.digest);
      expect((await fail(`${repo('ma/some-children')}:1@${ix.someChildren!.index.digest}`, { platforms: BOTH })).message).toContain('linux/arm64');
    });

    it('pinPlatform: a platform manifest with its own signature passes by digest alone', async () => {
      const d = ix.allChildren!.children['linux/amd64']!.digest;
      expect((await pass(`${repo('ma/all-children')}@${d}`, { pinPlatform: 'linux/amd64' })).platform).toBe('platform manifest (linux/amd64) signed');
    });

    it('pinPlatform: a manifest only the index signs needs its tag written: without it the failure says so', async () => {
      const d = ix.indexSigned!.children['linux/amd64']!.digest;
      const e = await fail(`${repo('ma/index-signed')}@${d}`, { pinPlatform: 'linux/amd64' });
      expect(e.code).toBe('UNSIGNED');
      expect(e.hint).toContain('write the tag too');
      const r = await pass(`${repo('ma/index-signed')}:1@${d}`, { pinPlatform: 'linux/amd64' });
      expect(r.digest).toBe(d);
      expect(r.platform).toContain('the index is signed');
    });

    it('pinPlatform: another platform\'s manifest under the tag fails; an index digest fails', async () => {
      const arm = ix.indexSigned!.children['linux/arm64']!.digest;
      const e = await fail(`${repo('ma/index-signed')}:1@${arm}`, { pinPlatform: 'linux/amd64' });
      expect(e.code).toBe('DIGEST_MISMATCH');
      expect(e.message).toContain(`lists ${ix.indexSigned!.children['linux/amd64']!.digest} for platform linux/amd64, not ${arm}`);
      const i = await fail(`${repo('ma/index-signed')}:1@${ix.indexSigned!.index.digest}`, { pinPlatform: 'linux/amd64' });
      expect(i.code).toBe('PLATFORM');
      expect(i.message).toContain('is an image index');
    });

    it('the webhook server admits an index whose platform manifests are signed and denies one with an unsigned platform', async () => {
      const s = spec([
        { images: [`${registry.host}/ma/index-signed`], notation, pinPlatform: 'linux/amd64' },
        { images: [`${registry.host}/**`], notation, platforms: BOTH },
      ], 'verify');
      const webhook = await startProductionWebhook(s, 'np-multiarch-webhook-');
      try {
        const review = (image: string) => ({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: '3f0e1c2a-0000-4000-8000-000000000001',
            kind: { group: '', version: 'v1', kind: 'Pod' },
            resource: { group: '', version: 'v1', resource: 'pods' },
            operation: 'CREATE',
            namespace: 'default',
            object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image }] } },
          },
        });
        const post = async (image: string) => (await webhook.post(review(image))).json().response;
        expect((await post(`${repo('ma/all-children')}:1@${ix.allChildren!.index.digest}`)).allowed).toBe(true);
        const denied = await post(`${repo('ma/some-children')}:1@${ix.someChildren!.index.digest}`);
        expect(denied.allowed).toBe(false);
        expect(denied.status.message).toContain("platform linux/arm64's manifest");
        // pinPlatform: the platform manifest only the index signs is admitted with its tag, denied without it
        const amd = ix.indexSigned!.children['linux/amd64']!.digest;
        expect((await post(`${repo('ma/index-signed')}:1@${amd}`)).allowed).toBe(true);
        const bare = await post(`${repo('ma/index-signed')}@${amd}`);
        expect(bare.allowed).toBe(false);
        expect(bare.status.message).toContain('write the tag too');
      } finally {
        await webhook.close();
      }
    });
  });
});
