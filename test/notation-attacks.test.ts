/**
 * Notation attack rows through the function (runKrm with the production resolver) against the
 * in-process OCI registry with the referrers API on: a flood of referrers, an oversize envelope, a
 * signature for another repository's image, a tag index that is not an index. Each must fail closed
 * with a message that says which check failed, and write nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionResolver } from '../src/cli/resolver.js';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { createDemoNotationSigner, putDemoImage, putDemoSignature, type DemoNotationSigner } from '../src/demo/notation-signer.js';
import { startOciRegistry, type OciRegistry } from '../src/demo/oci-registry.js';
import { runKrm } from '../src/krm/run.js';
import { MediaTypes, type Descriptor } from '../src/registry/contract.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';

const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: "${image}"}]}\n`;

describe('Notation attack rows (in-process registry, referrers API)', () => {
  let registry: OciRegistry;
  let signer: DemoNotationSigner;
  let storeDir: string;

  beforeAll(async () => {
    registry = await startOciRegistry();
    signer = createDemoNotationSigner(new Date());
    storeDir = mkdtempSync(join(tmpdir(), 'np-notation-attacks-'));
    writeTrustStoreCert(storeDir, 'ca', 'demo', signer.rootPem);
  });
  afterAll(async () => {
    await registry?.close();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  });

  const spec = (): Spec =>
    SpecSchema.parse({
      registries: [{ host: registry.host, plainHTTP: true, timeoutSeconds: 5 }],
      trust: [
        {
          images: [`${registry.host}/**`],
          notation: {
            trustPolicy: { version: '1.0', trustPolicies: [{ name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:demo'], trustedIdentities: ['*'] }] },
            trustStore: storeDir,
          },
        },
      ],
    });
  const pin = async (image: string) => {
    const res = await runKrm(pod(image), { resolverFor: (s) => productionResolver(s, {}), spec: spec() });
    return { ...res, text: res.stderr.join('\n') };
  };

  /** A signature manifest (current form) for `subject` whose one layer is `layer`. */
  function putSignatureManifest(repo: string, subject: Descriptor, layer: Descriptor): string {
    const empty = Buffer.from('{}');
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        artifactType: MediaTypes.notarySignature,
        config: { mediaType: MediaTypes.ociEmpty, digest: registry.putBlob(repo, empty), size: 2 },
        layers: [layer],
        subject,
      }),
    );
    return registry.putManifest(repo, bytes, MediaTypes.ociManifest);
  }

  it('baseline: a signed image pins', async () => {
    putDemoSignature(registry, 'good/app', putDemoImage(registry, 'good/app', 'v1', 'good'), signer);
    const r = await pin(`${registry.host}/good/app:v1`);
    expect(r.text).toContain('(Notation, notary.x509)');
    expect(r.exitCode).toBe(0);
  });

  it('10,000 referrers: refused past the bound, in bounded time, nothing written', async () => {
    const subject = putDemoImage(registry, 'flood/app', 'v1', 'flood');
    const layer = { mediaType: MediaTypes.jws, digest: registry.putBlob('flood/app', Buffer.from('{}')), size: 2 };
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, artifactType: MediaTypes.notarySignature, config: { mediaType: MediaTypes.ociEmpty, digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [layer], subject, annotations: { i: String(i) } }));
      registry.putManifest('flood/app', bytes, MediaTypes.ociManifest);
    }
    const t0 = Date.now();
    const r = await pin(`${registry.host}/flood/app:v1`);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.text).toContain('[REGISTRY_TOO_LARGE]');
    expect(r.text).toMatch(/more than \d+ referrers/);
  }, 60_000);

  it('an envelope announced at 64 MiB is refused before it is fetched', async () => {
    const subject = putDemoImage(registry, 'big/app', 'v1', 'big');
    const digest = registry.putBlob('big/app', Buffer.from('not really big'));
    putSignatureManifest('big/app', subject, { mediaType: MediaTypes.jws, digest, size: 64 * 1024 * 1024 });
    const before = registry.requests.length;
    const r = await pin(`${registry.host}/big/app:v1`);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/REGISTRY_TOO_LARGE/);
    expect(registry.requests.slice(before).some((q) => q.url.includes(`/blobs/${digest}`))).toBe(false);
  });

  it('a valid signature of another repository\'s image, copied next to this one: integrity fails', async () => {
    const other = putDemoImage(registry, 'victim/app', 'v1', 'victim');
    const target = putDemoImage(registry, 'attacker/app', 'v1', 'attacker');
    const envelope = signer.sign(other);
    putSignatureManifest('attacker/app', target, { mediaType: MediaTypes.jws, digest: registry.putBlob('attacker/app', Buffer.from(envelope)), size: envelope.length });
    const r = await pin(`${registry.host}/attacker/app:v1`);
    expect(r.exitCode).toBe(1);
    expect(r.text).toContain('[NOTATION_INTEGRITY]');
    expect(r.text).toContain(other.digest);
  });

  it('an envelope that is not one (garbage in the layer) is reported for that signature', async () => {
    const subject = putDemoImage(registry, 'junk/app', 'v1', 'junk');
    const junk = Buffer.from('{"payload": 1}');
    const sig = putSignatureManifest('junk/app', subject, { mediaType: MediaTypes.jws, digest: registry.putBlob('junk/app', junk), size: junk.length });
    const r = await pin(`${registry.host}/junk/app:v1`);
    expect(r.exitCode).toBe(1);
    expect(r.text).toContain(`signature ${sig}`);
    expect(r.text).toContain('[NOTATION_ENVELOPE]');
  });
});
