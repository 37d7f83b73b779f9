import { afterEach, describe, expect, it } from 'vitest';
import { startOciRegistry, type OciRegistry } from '../demo/oci-registry.js';
import { addToReferrersTag, pushImage, pushSignature, sha256, signatureManifest } from '../../test/support/oci-push.js';
import { createRegistryClient } from './client.js';
import { RegistryConfigSchema } from './config.js';
import { signatureManifests, type SignatureCandidate } from './signatures.js';
import { MediaTypes, type RegistryClient } from './contract.js';

const regs: OciRegistry[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(regs.splice(0).map((r) => r.close()));
});
async function setup(referrersApi: boolean) {
  const reg = await startOciRegistry({ referrersApi });
  regs.push(reg);
  const c = createRegistryClient({ registries: [RegistryConfigSchema.parse({ host: reg.host, plainHTTP: true })], env: {}, homeDir: '/nonexistent' });
  clients.push(c);
  const img = await pushImage({ url: reg.url }, 'app', 'v1');
  return { reg, c, img, repo: { host: reg.host, name: 'app' }, t: { url: reg.url } };
}
async function all(it: AsyncIterable<SignatureCandidate>): Promise<SignatureCandidate[]> {
  const out: SignatureCandidate[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('signatureManifests', () => {
  for (const api of [true, false]) {
    it(`finds both signature forms and their envelopes (${api ? 'referrers API' : 'tag fallback'})`, async () => {
      const { c, img, repo, t } = await setup(api);
      const a = await pushSignature(t, 'app', img, { form: 'artifactType', envelope: Buffer.from('jws-A') });
      const b = await pushSignature(t, 'app', img, { form: 'legacy', envelope: Buffer.from('cose-B'), envelopeMediaType: MediaTypes.cose });
      const got = await all(signatureManifests(c, repo, img.digest));
      expect(got.map((x) => x.ok)).toEqual([true, true]);
      const byDigest = new Map(got.map((x) => [x.descriptor.digest, x]));
      const sa = byDigest.get(a.digest)!;
      const sb = byDigest.get(b.digest)!;
      expect(sa.ok && sa.signature.form).toBe('artifactType');
      expect(sb.ok && sb.signature.form).toBe('legacy');
      if (!sa.ok || !sb.ok) throw new Error('unreachable');
      expect(sb.signature.envelope.mediaType).toBe(MediaTypes.cose);
      expect(Buffer.from(await c.fetchBlob(repo, sa.signature.envelope)).toString()).toBe('jws-A');
      expect(Buffer.from(await c.fetchBlob(repo, sb.signature.envelope)).toString()).toBe('cose-B');
    });
  }

  it('reports a signature re-attached to another subject, and one with two layers, as failed candidates', async () => {
    const { reg, c, img, repo, t } = await setup(false);
    const other = await pushImage(t, 'app', 'v2');
    const env = { mediaType: MediaTypes.jws, digest: sha256(Buffer.from('x')), size: 1 };
    // a signature of `other`, listed in img's referrers tag
    const moved = signatureManifest(other, env, { form: 'artifactType' });
    const movedDigest = reg.putManifest('app', moved, MediaTypes.ociManifest);
    await addToReferrersTag(t, 'app', img.digest, { mediaType: MediaTypes.ociManifest, digest: movedDigest, size: moved.length, artifactType: MediaTypes.notarySignature });
    const two = JSON.parse(signatureManifest(img, env, { form: 'legacy' }).toString());
    two.layers.push(env);
    const twoBytes = Buffer.from(JSON.stringify(two));
    const twoDigest = reg.putManifest('app', twoBytes, MediaTypes.ociManifest);
    await addToReferrersTag(t, 'app', img.digest, { mediaType: MediaTypes.ociManifest, digest: twoDigest, size: twoBytes.length });
    const got = await all(signatureManifests(c, repo, img.digest));
    expect(got).toHaveLength(2);
    const [m, w] = got;
    expect(m!.ok).toBe(false);
    expect(!m!.ok && m!.error.message).toContain(`names the subject ${other.digest}`);
    expect(w!.ok).toBe(false);
    expect(!w!.ok && w!.error.code).toBe('REGISTRY_MALFORMED');
  });

  it('fetches untyped referrers to tell, skips non-signatures, and stops at maxSignatures', async () => {
    const { reg, c, img, repo, t } = await setup(false);
    // an untyped referrer that is not a signature (an SBOM in the legacy config form)
    const sbom = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.example.sbom', digest: sha256(Buffer.from('{}')), size: 2 },
      layers: [], subject: { mediaType: img.mediaType, digest: img.digest, size: img.size },
    }));
    const sbomDigest = reg.putManifest('app', sbom, MediaTypes.ociManifest);
    await addToReferrersTag(t, 'app', img.digest, { mediaType: MediaTypes.ociManifest, digest: sbomDigest, size: sbom.length });
    for (let i = 0; i < 5; i++) await pushSignature(t, 'app', img, { form: 'legacy', envelope: Buffer.from(`e${i}`) });
    const got = await all(signatureManifests(c, repo, img.digest, { maxSignatures: 3 }));
    expect(got).toHaveLength(3);
    expect(got.every((x) => x.ok)).toBe(true);
    expect(got.some((x) => x.descriptor.digest === sbomDigest)).toBe(false);
    // lazily: the 4th and 5th signature manifests were never fetched
    const fetched = reg.requests.filter((r) => r.method === 'GET' && /\/manifests\/sha256:/.test(r.url));
    expect(fetched).toHaveLength(4); // the SBOM + 3 signatures
  });
});
