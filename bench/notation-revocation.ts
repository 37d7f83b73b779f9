/**
 * Bench row: the webhook under load with Notation revocation checks on and a warm cache.
 * `npx tsx bench/notation-revocation.ts` (needs `docker-registry`). Images signed by a leaf whose
 * CRL is served on 127.0.0.1 (requests counted) are pushed to the real registry; the webhook
 * (production resolver, in this process; the generator, bench/load.ts, in a process of its own)
 * verifies one Pod per request with verdicts reused for 1 s only (`cacheTTLSeconds: 1`), so under
 * load the digests are verified again (registry, signature, revocation checker) all the time; once
 * with the trust policy's revocation `skip` and once `enforce`. Targets: the p99 with revocation within 1 ms (or 20 %) of
 * the p99 without, and no CRL request while measuring.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { webhookResolverFor } from '../src/cli/resolver.js';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { createTestCA, writeTestPki } from '../src/demo/pki.js';
import type { Descriptor } from '../src/registry/contract.js';
import { parseReference } from '../src/reference/parse.js';
import { startWebhookServer } from '../src/webhook/server.js';
import { startTestServer, type TestServer } from '../test/support/http-server.js';
import { startRegistry } from '../test/support/notary-env.js';
import { makeCert, makeCrl } from '../test/support/notation-revocation/pki.js';
import { pushImage } from '../test/support/oci-push.js';
import { pushRevocableSignature } from '../test/support/notation-revocation/sign.js';
import { runLoadIsolated } from './load.js';
import { podReview } from './webhook.js';
import { writeTrustStoreCert } from '../test/support/notation/trust-store.js';

const REPOS = 10;
const PER_REPO = 5;
/** Requests per second (BENCH_RATE; the warm-up runs at a quarter of it first). */
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = 5;
/** Verdicts expire every second: under load, digests are verified again (registry, signature, revocation checker) all the time. */
const TTL_SECONDS = 1;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);


/** A root and a leaf whose CRL the test server serves; REPOS × PER_REPO images pushed and signed by the leaf. */
async function signedImages(registryHost: string, crl: TestServer, dir: string): Promise<string[]> {
  const root = await makeCert({ cn: 'bench revocation CA', ca: true });
  const leaf = await makeCert({ cn: 'bench signer', issuer: root, crl: [`${crl.url}/ca.crl`] });
  const crlBytes = await makeCrl(root, { number: 1, entries: [{ serial: 999_999, date: new Date(Date.now() - 3_600_000) }] });
  crl.handle((req, res) => void (req.url === '/ca.crl' ? res.writeHead(200, { 'content-length': crlBytes.length }).end(Buffer.from(crlBytes)) : res.writeHead(404).end()));
  const target = { url: `http://${registryHost}` };
  const images: string[] = [];
  for (let r = 0; r < REPOS; r++) {
    for (let t = 0; t < PER_REPO; t++) {
      const name = `bench/app${r}`;
      const d: Descriptor = await pushImage(target, name, `v${t}`);
      await pushRevocableSignature(target, name, d, leaf, root);
      images.push(`${registryHost}/${name}@${d.digest}`);
    }
  }
  writeTrustStoreCert(join(dir, 'store'), 'ca', 'bench', root.der);
  return images;
}

interface RevocationBench {
  readonly dir: string;
  readonly registryHost: string;
  readonly images: readonly string[];
  readonly crl: TestServer;
  readonly ca: ReturnType<typeof createTestCA>;
  readonly pki: { readonly certFile: string; readonly keyFile: string };
}

function specWith(b: RevocationBench, revocation: 'skip' | 'enforce'): Spec {
  return SpecSchema.parse({
    mode: 'verify',
    cacheTTLSeconds: TTL_SECONDS,
    registries: [{ host: b.registryHost, plainHTTP: true }],
    trust: [
      {
        images: [`${b.registryHost}/**`],
        notation: {
          trustPolicy: { version: '1.0', trustPolicies: [{ name: 'b', registryScopes: ['*'], signatureVerification: { level: 'strict', override: { revocation } }, trustStores: ['ca:bench'], trustedIdentities: ['*'] }] },
          trustStore: join(b.dir, 'store'),
        },
      },
    ],
  });
}

/** The webhook under `revocation`: warmed, then RATE req/s for SECONDS; with the CRL requests made meanwhile. */
async function measure(b: RevocationBench, revocation: 'skip' | 'enforce') {
  const spec = specWith(b, revocation);
  {
    // One admission's worth first: a configuration that denies is reported with its reason.
    const resolver = webhookResolverFor(spec, {});
    const r = await resolver.resolve(parseReference(b.images[0]!), spec.trust[0]!);
    await resolver.close?.();
    if (!r.ok) throw new Error(`revocation ${revocation}: ${b.images[0]} is refused: ${r.error.code}: ${r.error.message}`);
  }
  const webhook = await startWebhookServer({ spec, resolver: webhookResolverFor(spec, {}), ...b.pki, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  try {
    const bodies = (n: number, step: number) => Array.from({ length: n }, (_, i) => podReview(i, b.images[(i * step) % b.images.length]!));
    const load = { origin: webhook.url, path: '/validate?timeout=10s', ca: b.ca.certPem, check: 'allowed' as const };
    const phases = [
      { rate: Math.max(1, Math.floor(RATE / 4)), durationMs: 2000, bodies: bodies(Math.max(1, Math.floor(RATE / 2)), 1) },
      { rate: RATE, durationMs: 3000, bodies: bodies(RATE * 3, 3), maxInFlight: 2000 },
    ];
    const [warm, steady] = await runLoadIsolated({ ...load, phases });
    if (warm!.errors + steady!.errors > 0) throw new Error(`warm-up (revocation ${revocation}): ${JSON.stringify({ warm, steady }).slice(0, 600)}`);
    const before = b.crl.requests.length;
    const [measured] = await runLoadIsolated({ ...load, phases: [{ rate: RATE, durationMs: SECONDS * 1000, bodies: bodies(RATE * SECONDS, 7), maxInFlight: 2000 }] });
    return { ...measured!, crlRequests: b.crl.requests.length - before };
  } finally {
    await webhook.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'np-bench-notation-rev-'));
  const registry = await startRegistry(dir, 30_000, dir);
  const crl = await startTestServer((_req, res) => void res.writeHead(404).end());
  try {
    const images = await signedImages(registry.host, crl, dir);
    log(`pushed and signed ${images.length} images`);
    const ca = createTestCA();
    const b: RevocationBench = { dir, registryHost: registry.host, images, crl, ca, pki: writeTestPki(dir, ca) };
    const off = await measure(b, 'skip');
    const on = await measure(b, 'enforce');
    const rows = [
      ['webhook, Notation, verdicts reused 1 s, revocation skip: p99', `${off.p99Ms.toFixed(2)} ms (${off.ok}/${off.sent} ok)`, '', ''],
      ['webhook, Notation, verdicts reused 1 s, revocation on, warm CRL cache: p99', `${on.p99Ms.toFixed(2)} ms (${on.ok}/${on.sent} ok)`, '≤ skip + max(1 ms, 20 %)', on.p99Ms <= off.p99Ms + Math.max(1, off.p99Ms * 0.2) ? 'PASS' : 'MISS'],
      ['  CRL requests while measuring', String(on.crlRequests), '0', on.crlRequests === 0 && on.errors === 0 ? 'PASS' : 'MISS'],
    ];
    console.log(`Notation revocation bench: ${RATE} req/s for ${SECONDS} s, ${images.length} images over ${REPOS} repositories, real docker-registry`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    await crl.close();
    await registry.daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
