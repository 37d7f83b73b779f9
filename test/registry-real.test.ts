/**
 * The OCI registry client against the REAL distribution registry (Debian `docker-registry`, 2.8: no
 * referrers API), so the referrers tag schema fallback is exercised for real: images and signatures
 * pushed the way notation 1.x does (signature manifest, then the `sha256-<hex>` index), and a real
 * notation-made OCI layout (test/fixtures/notation/oci-layouts/e2e-valid-signature, see its NOTICE)
 * pushed with skopeo.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient } from '../src/registry/client.js';
import { RegistryConfigSchema } from '../src/registry/config.js';
import { signatureManifests, type SignatureCandidate } from '../src/registry/signatures.js';
import { MediaTypes, type Descriptor, type RegistryClient } from '../src/registry/contract.js';
import type { Daemon } from './support/daemon.js';
import { runOk } from './support/exec.js';
import { startRegistry } from './support/notary-env.js';
import { pushImage, pushManifest, pushSignature } from './support/oci-push.js';
import { describeWithTools } from './support/tools.js';

const LAYOUT = join(import.meta.dirname, 'fixtures/notation/oci-layouts/e2e-valid-signature');
const SUBJECT = 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';
const SIGNATURE = 'sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f';
const INDEX = 'sha256:13e107e0dd246f07ff18998a3d39e226965c41477a1bc1765f7617632ff3f283';
const ENVELOPE = 'sha256:c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50';

async function all(it: AsyncIterable<SignatureCandidate>): Promise<SignatureCandidate[]> {
  const out: SignatureCandidate[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describeWithTools(['docker-registry', 'skopeo'], 'registry client against the real docker-registry (referrers tag fallback)', () => {
  let dir: string;
  let daemon: Daemon;
  let host: string;
  let client: RegistryClient;
  const notes: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'np-registry-real-'));
    ({ daemon, host } = await startRegistry(dir, 15_000, undefined));
    client = createRegistryClient({
      registries: [RegistryConfigSchema.parse({ host, plainHTTP: true })],
      env: {},
      homeDir: dir,
      debug: (m) => notes.push(m),
    });
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resolves a tag, lists both signature forms through the fallback tag, and fetches the envelopes', async () => {
    const t = { url: `http://${host}` };
    const img = await pushImage(t, 'team/app', 'v1');
    const a = await pushSignature(t, 'team/app', img, { form: 'artifactType', envelope: Buffer.from('{"jws":"A"}') });
    const b = await pushSignature(t, 'team/app', img, { form: 'legacy', envelope: Buffer.from([0xd2, 0x84]), envelopeMediaType: MediaTypes.cose });
    const repo = { host, name: 'team/app' };
    const resolved = await client.resolve(repo, 'v1');
    expect(resolved).toEqual({ mediaType: MediaTypes.ociManifest, digest: img.digest, size: img.size });
    const refs = await client.referrers(repo, img.digest, { artifactType: MediaTypes.notarySignature });
    expect(refs.map((d) => d.digest)).toEqual([a.digest, b.digest]);
    expect(notes.some((n) => n.includes('no referrers API (404)'))).toBe(true);
    const sigs = await all(signatureManifests(client, repo, img.digest));
    expect(sigs.map((s) => s.ok && s.signature.form)).toEqual(['artifactType', 'legacy']);
    const envelopes = await Promise.all(sigs.map((s) => (s.ok ? client.fetchBlob(repo, s.signature.envelope) : Promise.reject(s.error))));
    expect(Buffer.from(envelopes[0]!).toString()).toBe('{"jws":"A"}');
    expect([...envelopes[1]!]).toEqual([0xd2, 0x84]);
  });

  it('has no referrers when the sha256-<hex> tag is an image, not an index', async () => {
    const t = { url: `http://${host}` };
    const img = await pushImage(t, 'team/other', 'v1');
    await pushImage(t, 'team/other', img.digest.replace(':', '-'));
    expect(await client.referrers({ host, name: 'team/other' }, img.digest)).toEqual([]);
    expect(notes.some((n) => n.includes('not an image index: no referrers'))).toBe(true);
  });

  it('finds the signature of a real notation-made OCI layout pushed with skopeo', async () => {
    const policy = join(dir, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    // skopeo copies only named manifests: a copy of the layout whose index.json also names the signature manifest.
    const layout = join(dir, 'layout');
    await cp(LAYOUT, layout, { recursive: true });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    index.manifests.find((m) => m.digest === SIGNATURE)!.annotations = { 'org.opencontainers.image.ref.name': 'notation-signature' };
    await writeFile(join(layout, 'index.json'), JSON.stringify(index));
    for (const tag of ['v1', 'notation-signature']) {
      await runOk('skopeo', [
        '--policy', policy, 'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false',
        `oci:${layout}:${tag}`, `docker://${host}/e2e:${tag}`,
      ], { timeoutMs: 60_000, env: { REGISTRY_AUTH_FILE: join(dir, 'auth.json') } });
    }
    // The layout's referrers tag index, byte for byte (skopeo 1.9 would rewrite an index, so it cannot preserve its digest).
    const tagIndex = readFileSync(join(layout, 'blobs/sha256', INDEX.slice(7)));
    await pushManifest({ url: `http://${host}` }, 'e2e', SUBJECT.replace(':', '-'), tagIndex, MediaTypes.ociIndex);
    const repo = { host, name: 'e2e' };
    const subject: Descriptor = await client.resolve(repo, 'v1');
    expect(subject).toEqual({ mediaType: MediaTypes.ociManifest, digest: SUBJECT, size: 517 });
    expect((await client.resolve(repo, SUBJECT.replace(':', '-'))).digest).toBe(INDEX);
    const sigs = await all(signatureManifests(client, repo, subject.digest));
    expect(sigs).toHaveLength(1);
    const s = sigs[0]!;
    if (!s.ok) throw s.error;
    expect(s.signature.descriptor.digest).toBe(SIGNATURE);
    expect(s.signature.form).toBe('legacy');
    expect(s.signature.envelope).toMatchObject({ mediaType: MediaTypes.jws, digest: ENVELOPE, size: 2070 });
    const envelope = await client.fetchBlob(repo, s.signature.envelope);
    expect(Buffer.from(envelope).equals(readFileSync(join(LAYOUT, 'blobs/sha256', ENVELOPE.slice(7))))).toBe(true);
  }, 90_000);
});
