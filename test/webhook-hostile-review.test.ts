/**
 * Issue 10 item 5: one hostile review must not occupy the webhook's trust fetching. The webhook
 * (startWebhookServer) runs the Notary resolver over HTTPS against an in-process trust server that
 * serves real (stub-verified) trust data for honest repositories and never answers for the
 * attacker's; the test counts what reaches that server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { createTestCA, writeTestPki, type TestCertAuthority, type TestKeyPair } from '../src/demo/pki.js';
import { notaryHandler, type TrustData } from '../src/demo/notary-handler.js';
import { createNotaryResolver } from '../src/trust/notary/resolver.js';
import { startWebhookServer, type WebhookServer } from '../src/webhook/server.js';
import { startTestServer, type TestServer } from './support/http-server.js';
import { buildStubRepo, createStubVerifier } from './support/notary/stub.js';
import { postReview, send } from './support/webhook/client.js';

const REGISTRY = '127.0.0.1:5000';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const HONEST = ['shop/web', 'shop/api', 'shop/db', 'shop/cache'];

let ca: TestCertAuthority;
let leaf: TestKeyPair;
let tlsDir: string;
let certFile: string;
let keyFile: string;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  ca = createTestCA();
  leaf = ca.issue({ cn: '127.0.0.1' });
  tlsDir = mkdtempSync(join(tmpdir(), 'notary-pin-hostile-'));
  ({ certFile, keyFile } = writeTestPki(tlsDir, ca));
});

afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
  rmSync(tlsDir, { recursive: true, force: true });
});

/** A trust server: honest repositories answered from stub trust data, `attack/*` held forever. */
async function startStallingTrustServer(): Promise<{ server: TestServer; attackRequests: () => number }> {
  const data: TrustData = new Map(
    HONEST.map((name) => {
      const gun = `${REGISTRY}/${name}`;
      return [gun, buildStubRepo({ gun, roles: { targets: { v1: DIGEST } } })] as const;
    }),
  );
  const honest = notaryHandler(data);
  const held: ServerResponse[] = [];
  const server = await startTestServer((req, res) => {
    if ((req.url ?? '').includes('/attack/')) held.push(res);
    else honest(req, res);
  }, leaf);
  cleanup.push(() => server.close());
  return { server, attackRequests: () => server.requests.filter((r) => r.url.includes('/attack/')).length };
}

function spec(server: string, extra: Record<string, unknown>, timeoutSeconds: number): Spec {
  return SpecSchema.parse({
    mode: 'verify',
    trust: [{ images: [`${REGISTRY}/**`], server, ca: ca.certPem, rootKeys: ['a'.repeat(64)], timeoutSeconds }],
    ...extra,
  });
}

async function startWebhook(s: Spec): Promise<WebhookServer> {
  const resolver = createNotaryResolver({ createVerifier: createStubVerifier, env: {}, homeDir: '/nonexistent', cache: { ttlMs: 60_000 } });
  const w = await startWebhookServer({ spec: s, resolver, certFile, keyFile, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  cleanup.push(() => resolver.close(), () => w.close());
  return w;
}

let uid = 0;
function podReview(images: readonly string[]): unknown {
  uid++;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(uid).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: `p${uid}`,
      namespace: 'test',
      operation: 'CREATE',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${uid}`, namespace: 'test' },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  };
}

const attackImages = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `${REGISTRY}/attack/app${from + i}@${DIGEST}`);
const honestImage = (name: string) => `${REGISTRY}/${name}:v1@${DIGEST}`;

async function review(w: WebhookServer, images: readonly string[], timeout: string): Promise<{ allowed: boolean; message: string; ms: number }> {
  const t0 = performance.now();
  const reply = await postReview(w.url, podReview(images), { ca: ca.certPem, query: `?timeout=${timeout}`, timeoutMs: 30_000 });
  const ms = performance.now() - t0;
  expect(reply.status).toBe(200);
  const r = reply.json().response;
  return { allowed: r.allowed, message: r.status?.message ?? '', ms };
}

describe('webhook: a review naming thousands of repositories against a stalling trust server', () => {
  it('over spec.maxRepositoriesPerReview (default 64): denied with TOO_MANY_IMAGES, no trust request sent, honest reviews keep their latency', async () => {
    const { server, attackRequests } = await startStallingTrustServer();
    const w = await startWebhook(spec(server.url, {}, 3));
    const before = await review(w, [honestImage('shop/web')], '10s');
    expect(before.allowed).toBe(true);

    const hostile = await Promise.all([0, 1, 2].map((k) => review(w, attackImages(3000, k * 3000), '10s')));
    for (const h of hostile) {
      expect(h.allowed).toBe(false);
      expect(h.message).toContain('TOO_MANY_IMAGES: its 3000 images name more than 64 distinct repositories, the most verified per review (spec.maxRepositoriesPerReview)');
      expect(h.message).toContain('raise spec.maxRepositoriesPerReview (now 64)');
    }
    // An honest review that needs a fresh fetch, right after: allowed, and no request of the
    // attacker's ever reached the trust server to hold a connection (a stalled request ahead of it
    // would have made it wait for the rule's 3 s timeout).
    const after = await review(w, [honestImage('shop/api')], '10s');
    expect(after.allowed).toBe(true);
    expect(attackRequests()).toBe(0);
    expect(after.ms).toBeLessThan(3000);
  });

  it('under the cap but past the deadline: denied on time listing the waiting images and their server, and no trust request follows the denial', async () => {
    const { server, attackRequests } = await startStallingTrustServer();
    // The cap raised so that 3,000 repositories are attempted: what stops them is the deadline.
    // The rule's timeout (5 s) is longer than the review's (3 s), so the fetches are still stalled at the denial.
    const w = await startWebhook(spec(server.url, { maxRepositoriesPerReview: 3000, concurrency: 64 }, 5));
    const denied = await review(w, attackImages(3000), '3s');
    expect(denied.allowed).toBe(false);
    expect(denied.ms).toBeLessThan(3000); // the webhook's own denial, before the API server's timeout
    expect(denied.message).toContain('did not finish in time (webhook timeout 3s); denied (fail closed)');
    expect(denied.message).toContain('Still waiting for trust data (3000 image(s)):');
    expect(denied.message).toMatch(new RegExp(`attack/app\\d+@${DIGEST}": no verified trust data before the deadline: still waiting for ${server.url}\n`));
    expect(denied.message).toContain('- ... and 2950 more');

    // At most one round of fetches was started before the deadline: spec.concurrency repositories,
    // each asking for its first four files (root, timestamp, snapshot, targets) at once.
    const atDenial = attackRequests();
    expect(atDenial).toBeGreaterThan(0);
    expect(atDenial).toBeLessThanOrEqual(64 * 4);
    // Past the rule's timeout the stalled fetches have failed; nothing was scheduled after them.
    await new Promise((r) => setTimeout(r, 6000));
    expect(attackRequests()).toBe(atDenial);

    const honest = await review(w, [honestImage('shop/db')], '10s');
    expect(honest.allowed).toBe(true);
    expect(attackRequests()).toBe(atDenial);
    const metrics = await send(`${w.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(metrics.body).toMatch(/notary_pin_webhook_image_failures_total\{code="DEADLINE"\} 3000/);
    expect(metrics.body).toMatch(/notary_pin_webhook_trust_data_age_seconds_count 1/);
  });
});
