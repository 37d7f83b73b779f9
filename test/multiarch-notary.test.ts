/**
 * Multi-platform images with Notary v1 against the real notary-server and `docker-registry`: a
 * multi-platform index pushed with the registry API and its bytes signed as a tag's target by the
 * real `notary` CLI. The signed digest is the index's; `platforms` checks that the index the
 * registry serves for that digest lists every platform, `pinPlatform` pins a platform manifest
 * bound to the signed digest by the verified index bytes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notaryResolverFor } from '../src/cli/resolver.js';
import { SpecSchema, TrustRuleSchema, type TrustRuleInput } from '../src/config/schema.js';
import { parseReference } from '../src/reference/parse.js';
import type { NotaryResolver } from '../src/trust/notary/resolver.js';
import { startNotaryEnv, type NotaryEnv } from './support/notary-env.js';
import { pushPlatformIndex, type PushedIndex } from './support/oci-push.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

const BOTH = ['linux/amd64', 'linux/arm64'];

describeWithTools(NOTARY_ENV_TOOLS, 'multi-platform images with Notary v1 (real notary-server and docker-registry)', () => {
  let env: NotaryEnv;
  let resolver: NotaryResolver;
  let both: PushedIndex;
  let partial: PushedIndex;
  const REPO = 'nv/app';

  /** Signs `bytes` as the target `tag` of the GUN with the real notary CLI (in `targets`). */
  async function notarySign(tag: string, bytes: Buffer): Promise<void> {
    const file = join(env.tempDir, `${tag}.index.json`);
    await writeFile(file, bytes);
    const add = await env.notary(['add', env.gunOf(REPO), tag, file]);
    if (add.code !== 0) throw new Error(`notary add: ${add.stderr}`);
  }

  beforeAll(async () => {
    env = await startNotaryEnv({ repos: [{ name: REPO, tags: ['seed'], sign: 'targets' }] });
    const target = { url: env.registryUrl };
    both = await pushPlatformIndex(target, REPO, '1', BOTH);
    partial = await pushPlatformIndex(target, REPO, 'partial', ['linux/amd64']);
    await pushPlatformIndex(target, REPO, 'unsigned', BOTH);
    await notarySign('1', both.index.bytes);
    await notarySign('partial', partial.index.bytes);
    // signed bytes the registry never received: the registry cannot serve an index hashing to them
    await notarySign('ghost', Buffer.concat([both.index.bytes, Buffer.from('\n')]));
    const pub = await env.notary(['publish', env.gunOf(REPO)]);
    if (pub.code !== 0) throw new Error(`notary publish: ${pub.stderr}`);
    resolver = notaryResolverFor(SpecSchema.parse({ registries: [{ host: env.registryHost, plainHTTP: true }] }), {});
  }, 300_000);

  afterAll(async () => {
    await resolver?.close();
    await env?.stop();
  });

  const rule = (o: Partial<TrustRuleInput>) =>
    TrustRuleSchema.parse({ images: ['**'], server: env.notaryUrl, ca: env.caFile, rootKeys: env.rootKeyIds[env.gunOf(REPO)], ...o });
  const image = (suffix: string) => `${env.registryHost}/${REPO}${suffix}`;
  const pass = async (suffix: string, o: Partial<TrustRuleInput>) => {
    const r = await resolver.resolve(parseReference(image(suffix)), rule(o));
    if (!r.ok) throw new Error(`expected ${suffix} to pass: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const fail = async (suffix: string, o: Partial<TrustRuleInput>) => {
    const r = await resolver.resolve(parseReference(image(suffix)), rule(o));
    if (r.ok) throw new Error(`expected ${suffix} to fail, got ${r.value.digest}`);
    return r.error;
  };

  describe('platforms', () => {
    it('the signed index lists every platform: pinned to the index digest', async () => {
      const r = await pass(':1', { platforms: BOTH });
      expect(r.digest).toBe(both.index.digest);
      expect(r.role).toBe('targets');
      expect(r.platform).toBe('index signed, lists linux/amd64, linux/arm64');
    });

    it('a listed platform missing from the signed index fails naming it', async () => {
      const e = await fail(':partial', { platforms: BOTH });
      expect(e.code).toBe('PLATFORM');
      expect(e.message).toContain(`platform linux/arm64 is missing from the index ${partial.index.digest}`);
    });

    it('the registry has no index hashing to the signed digest: fails', async () => {
      const e = await fail(':ghost', { platforms: BOTH });
      expect(e.code).toBe('REGISTRY_NOT_FOUND');
    });

    it('an unsigned tag fails as before (platform manifests are no Notary targets)', async () => {
      expect((await fail(':unsigned', { platforms: BOTH })).code).toBe('UNSIGNED');
    });

    it('verify mode: the signed index digest passes, with its platforms checked', async () => {
      expect((await pass(`@${both.index.digest}`, { platforms: BOTH })).digest).toBe(both.index.digest);
      expect((await fail(`:partial@${partial.index.digest}`, { platforms: BOTH })).code).toBe('PLATFORM');
    });
  });

  describe('pinPlatform', () => {
    it('pins the platform manifest of the signed index, saying the index is signed', async () => {
      const r = await pass(':1', { pinPlatform: 'linux/arm64' });
      expect(r.digest).toBe(both.children['linux/arm64']!.digest);
      expect(r.tag).toBe('1');
      expect(r.platform).toBe(`linux/arm64 of index ${both.index.digest.slice(0, 19)}; the index is signed`);
    });

    it('a platform the signed index lacks, an unsigned index, an index the registry lacks: fail', async () => {
      expect((await fail(':partial', { pinPlatform: 'linux/arm64' })).code).toBe('PLATFORM');
      expect((await fail(':unsigned', { pinPlatform: 'linux/amd64' })).code).toBe('UNSIGNED');
      expect((await fail(':ghost', { pinPlatform: 'linux/amd64' })).code).toBe('REGISTRY_NOT_FOUND');
    });

    it('verify mode: repo:tag@<platform manifest> passes through the tag\'s signed index; without the tag it fails saying why', async () => {
      const amd = both.children['linux/amd64']!.digest;
      const r = await pass(`:1@${amd}`, { pinPlatform: 'linux/amd64' });
      expect(r.digest).toBe(amd);
      expect(r.platform).toContain('the index is signed');
      const e = await fail(`@${amd}`, { pinPlatform: 'linux/amd64' });
      expect(e.code).toBe('UNSIGNED');
      expect(e.hint).toContain('write the tag too');
      const other = await fail(`:1@${both.children['linux/arm64']!.digest}`, { pinPlatform: 'linux/amd64' });
      expect(other.code).toBe('DIGEST_MISMATCH');
    });
  });
});
