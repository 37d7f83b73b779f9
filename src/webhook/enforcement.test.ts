import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCA, writeTestPki, type TestCertAuthority } from '../demo/pki.js';
import { evaluate } from '../engine/evaluate.js';
import { decide } from './decide.js';
import { parseAdmissionReview, MAX_WARNING_LENGTH } from './review.js';
import { startWebhookServer, type WebhookServer } from './server.js';
import { postReview, send } from '../../test/support/webhook/client.js';
import { FakeResolver } from '../../test/support/webhook/fake-resolver.js';
import { fixture, SIGNED, testSpec, UNSIGNED } from '../../test/support/webhook/fixtures.js';

/** pod-create.v1 (namespace shop) with its web container on an unsigned digest. */
function unsignedPod(namespace = 'shop') {
  const f = fixture('pod-create.v1');
  f.request.namespace = namespace;
  f.request.object.metadata.namespace = namespace;
  f.request.object.spec.containers[0].image = `127.0.0.1:5000/shop/web:1.4.2@${UNSIGNED}`;
  return f;
}

function review(body: unknown) {
  const r = parseAdmissionReview(body);
  if (!r.ok) throw new Error(r.message);
  return r.review;
}

const rules = (extra: Record<string, unknown>[]) => testSpec({ trust: [...extra, { name: 'local', images: ['127.0.0.1:5000/**'], server: 'https://127.0.0.1:4443' }] });

async function decideWith(spec: ReturnType<typeof testSpec>, body = unsignedPod()) {
  return decide(review(body), { spec, resolver: new FakeResolver({ signed: [SIGNED] }), evaluate }, { budgetMs: 5000 });
}

describe('webhook enforcement', () => {
  it('enforce denies; warn admits with one short warning per failed image; audit admits silently', async () => {
    const enforce = await decideWith(testSpec());
    expect(enforce.response.response.allowed).toBe(false);

    const warn = await decideWith(testSpec({ enforcement: 'warn' }));
    expect(warn.reason).toBe('not_enforced');
    expect(warn.response.response.allowed).toBe(true);
    const warnings = warn.response.response.warnings ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^notary-pin: NOT ENFORCED \(spec\.enforcement: warn\): "127\.0\.0\.1:5000\/shop\/web:1\.4\.2@sha256:b{64}" at spec\.containers\[0\]\.image/);
    expect(warnings[0]!.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
    expect(warn.waived?.map((w) => [w.error.code, w.rule, w.enforcement])).toEqual([['UNSIGNED', 'local', 'warn']]);

    const audit = await decideWith(testSpec({ enforcement: 'audit' }));
    expect(audit.reason).toBe('not_enforced');
    expect(audit.response.response).toEqual({ uid: audit.response.response.uid, allowed: true });
    expect(audit.waived).toHaveLength(1);
  });

  it('per-namespace rules: warn in dev-*, enforce in prod-*, from the review namespace', async () => {
    const spec = rules([
      { name: 'prod', images: ['127.0.0.1:5000/**'], namespaces: ['prod-*'], server: 'https://127.0.0.1:4443', enforcement: 'enforce' },
      { name: 'dev', images: ['127.0.0.1:5000/**'], namespaces: ['dev-*'], server: 'https://127.0.0.1:4443', enforcement: 'warn' },
    ]);
    const prod = await decideWith(spec, unsignedPod('prod-eu'));
    expect(prod.response.response.allowed).toBe(false);
    expect(prod.failures.map((f) => f.rule)).toEqual(['prod']);
    const dev = await decideWith(spec, unsignedPod('dev-1'));
    expect(dev.response.response.allowed).toBe(true);
    expect(dev.response.response.warnings?.[0]).toContain('enforcement: warn on rule dev');
    // the object without metadata.namespace is judged in the review's namespace
    const bare = unsignedPod('dev-1');
    delete bare.request.object.metadata.namespace;
    expect((await decideWith(spec, bare)).response.response.allowed).toBe(true);
    // neither: the last rule, enforce by default
    expect((await decideWith(spec, unsignedPod('shop'))).response.response.allowed).toBe(false);
  });

  it('invalid input is never waived', async () => {
    const f = unsignedPod();
    f.request.object.spec.containers[0].image = 'NOT A REF!';
    const res = await decideWith(testSpec({ enforcement: 'audit' }), f);
    expect(res.response.response.allowed).toBe(false);
    expect(res.failures.map((x) => x.error.code)).toEqual(['REFERENCE_INVALID']);
  });
});

describe('webhook enforcement: logs and metrics', () => {
  let dir: string;
  let ca: TestCertAuthority;
  let server: WebhookServer;
  const lines: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'notary-pin-enforcement-'));
    ca = createTestCA();
    const { certFile, keyFile } = writeTestPki(dir, ca);
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        cb();
      },
    });
    server = await startWebhookServer({
      spec: rules([{ name: 'dev', images: ['127.0.0.1:5000/**'], namespaces: ['dev-*'], server: 'https://127.0.0.1:4443', enforcement: 'audit' }]),
      resolver: new FakeResolver({ signed: [SIGNED] }),
      certFile,
      keyFile,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'info' }, stream),
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an audited failure is admitted, logged with its rule and counted by rule, outcome and enforcement', async () => {
    const reply = await postReview(server.url, unsignedPod('dev-1'), { ca: ca.certPem });
    expect(reply.json().response.allowed).toBe(true);
    expect(reply.json().response.warnings).toBeUndefined();
    const denied = await postReview(server.url, unsignedPod('shop'), { ca: ca.certPem });
    expect(denied.json().response.allowed).toBe(false);
    const log = lines.map((l) => JSON.parse(l)).find((l) => l.reason === 'not_enforced');
    expect(log).toMatchObject({ allowed: true, notEnforced: [{ code: 'UNSIGNED', rule: 'dev', enforcement: 'audit', field: 'spec.containers[0].image' }] });
    const m = (await send(`${server.url}/metrics`, { method: 'GET', ca: ca.certPem })).body;
    expect(m).toMatch(/notary_pin_webhook_images_total\{rule="dev",outcome="not_enforced",enforcement="audit"\} 1/);
    expect(m).toMatch(/notary_pin_webhook_images_total\{rule="dev",outcome="verified",enforcement="audit"\} 1/);
    expect(m).toMatch(/notary_pin_webhook_images_total\{rule="local",outcome="failed",enforcement="enforce"\} 1/);
    expect(m).toMatch(/notary_pin_webhook_requests_total\{outcome="allowed",reason="not_enforced"\} 1/);
  });
});
