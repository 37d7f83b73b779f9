/**
 * staleIfErrorSeconds for Notation through the webhook (verify mode, production resolver): the
 * in-process OCI registry is stopped mid-test; earlier verdicts answer past the TTL (logged,
 * counted as stale), never for a digest not verified before; off (0) denies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookResolverFor } from '../src/cli/resolver.js';
import { SpecSchema } from '../src/config/schema.js';
import { startOciRegistry, type OciRegistry } from '../src/demo/oci-registry.js';
import { createTestCA, writeTestPki, type TestCertAuthority } from '../src/demo/pki.js';
import type { Descriptor } from '../src/registry/contract.js';
import { startWebhookServer, type WebhookServer } from '../src/webhook/server.js';
import { makeChain, testKey } from './support/notation/pki.js';
import { signEnvelope } from './support/notation/signer.js';
import { pushImage, pushSignature, type PushTarget } from './support/oci-push.js';
import { postReview, send } from './support/webhook/client.js';
import { fixtureText } from './support/webhook/fixtures.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';

const AAA = `sha256:${'a'.repeat(64)}`;

describe('Notation staleIfErrorSeconds (webhook, in-process registry stopped mid-test)', () => {
  let dir: string;
  let registry: OciRegistry;
  let ca: TestCertAuthority;
  const hooks: WebhookServer[] = [];
  const img: Record<string, Descriptor> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'np-notation-stale-'));
    registry = await startOciRegistry();
    const target: PushTarget = { url: registry.url };
    const chain = makeChain(testKey('p256', 3));
    for (const [name, tag] of [['shop/web', '1.4.2'], ['shop/migrate', '1'], ['shop/migrate', 'old']] as const) img[`${name}:${tag}`] = await pushImage(target, name, tag);
    for (const k of ['shop/web:1.4.2', 'shop/migrate:1']) {
      const s = img[k]!;
      const env = signEnvelope({ format: 'jws', subject: { mediaType: s.mediaType, digest: s.digest, size: s.size }, chain: chain.chain });
      await pushSignature(target, k.split(':')[0]!, s, { form: 'artifactType', envelope: env.envelope, envelopeMediaType: env.mediaType });
    }
    writeTrustStoreCert(join(dir, 'truststore'), 'ca', 'team', chain.root.der);
    writeFileSync(
      join(dir, 'trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [{ name: 'team', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] }],
      }),
    );
    ca = createTestCA();
  }, 120_000);

  afterAll(async () => {
    for (const h of hooks) await h.close();
    await registry?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(staleIfErrorSeconds: number, logger = pino({ level: 'silent' })): Promise<WebhookServer> {
    const { certFile, keyFile } = writeTestPki(mkdtempSync(join(dir, 'tls-')), ca);
    const spec = SpecSchema.parse({
      mode: 'verify',
      cacheTTLSeconds: 1,
      staleIfErrorSeconds,
      registries: [{ host: registry.host, plainHTTP: true }],
      trust: [{ name: 'shop', images: [`${registry.host}/**`], notation: { trustPolicy: join(dir, 'trustpolicy.json'), trustStore: join(dir, 'truststore') } }],
    });
    const h = await startWebhookServer({ spec, resolver: webhookResolverFor(spec, {}), certFile, keyFile, port: 0, host: '127.0.0.1', logger });
    hooks.push(h);
    return h;
  }

  const review = (migrate: string, web: string) =>
    JSON.parse(
      fixtureText('pod-create.v1')
        .split(`shop/migrate@${AAA}`)
        .join(`shop/migrate@${migrate}`)
        .split(`shop/web:1.4.2@${AAA}`)
        .join(`shop/web:1.4.2@${web}`)
        .split('127.0.0.1:5000')
        .join(registry.host),
    );
  const post = async (body: unknown, h: WebhookServer) => {
    const reply = await postReview(h.url, body, { ca: ca.certPem, query: '?timeout=10s', timeoutMs: 20_000 });
    expect(reply.status).toBe(200);
    return reply.json().response;
  };

  it('registry down past the TTL: earlier verdicts admit (logged, counted as stale); off → denied; never an unverified digest', async () => {
    const logs: any[] = [];
    const stale = await start(300, pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) }));
    const strict = await start(0);
    const signed = review(img['shop/migrate:1']!.digest, img['shop/web:1.4.2']!.digest);
    expect((await post(signed, stale)).allowed).toBe(true);
    expect((await post(signed, strict)).allowed).toBe(true);

    await registry.close();
    await new Promise((r) => setTimeout(r, 1_200)); // past the 1 s TTL
    const off = await post(signed, strict);
    expect(off.allowed).toBe(false);
    expect(off.status.message).toContain('REGISTRY_FETCH');
    expect((await post(signed, stale)).allowed).toBe(true);
    const m = (await send(`${stale.url}/metrics`, { method: 'GET', ca: ca.certPem })).body;
    expect(m).toMatch(/notary_pin_webhook_stale_images_total\{rule="shop"\} 2/);
    const warned = logs.find((l) => l.stale !== undefined);
    expect(warned?.msg).toContain('stale trust data');
    expect(warned?.stale).toHaveLength(2);
    // a digest never verified before has nothing to fall back on
    const other = await post(review(img['shop/migrate:old']!.digest, img['shop/web:1.4.2']!.digest), stale);
    expect(other.allowed).toBe(false);
    expect(other.status.message).toContain('REGISTRY_FETCH');
  }, 60_000);
});
