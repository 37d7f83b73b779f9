import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../engine/port.js';
import { createTestCA, writeTestPki, type TestCertAuthority } from '../demo/pki.js';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from './server.js';
import { postReview, send } from '../../test/support/webhook/client.js';
import { FakeResolver } from '../../test/support/webhook/fake-resolver.js';
import { fixture, fixtureText, SIGNED, testSpec, type FixtureName } from '../../test/support/webhook/fixtures.js';

/** Collects pino's JSON lines. */
function captureLogs(): { logger: Logger; lines: () => any[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => out.map((l) => JSON.parse(l)) };
}

let tlsDir: string;
let ca: TestCertAuthority;
let certFile: string;
let keyFile: string;
const started: WebhookServer[] = [];

async function start(over: Partial<WebhookServerOptions> = {}): Promise<WebhookServer> {
  const s = await startWebhookServer({
    spec: testSpec(),
    resolver: new FakeResolver({ signed: [SIGNED] }),
    certFile,
    keyFile,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    ...over,
  });
  started.push(s);
  return s;
}

beforeAll(() => {
  tlsDir = mkdtempSync(join(tmpdir(), 'notary-pin-webhook-'));
  ca = createTestCA();
  ({ certFile, keyFile } = writeTestPki(tlsDir, ca));
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  rmSync(tlsDir, { recursive: true, force: true });
});

describe('webhook server: admission reviews over HTTPS', () => {
  let server: WebhookServer;
  let logs: ReturnType<typeof captureLogs>;
  let resolver: FakeResolver;
  beforeAll(async () => {
    logs = captureLogs();
    resolver = new FakeResolver({ signed: [SIGNED] });
    server = await start({ logger: logs.logger, resolver });
  });

  it.each<[FixtureName, boolean, string?]>([
    ['pod-create.v1', true],
    ['deployment-update.v1', false, 'spec.template.spec.containers[0].image (container "api")'],
    ['cronjob-create.v1', true],
    ['pod-ephemeralcontainers.v1', false, 'spec.ephemeralContainers[0].image (container "debugger-x7k2p")'],
    ['statefulset-create-dryrun.v1', false, 'not pinned by digest: pin it with notary-pin'],
    ['configmap-create.v1', true],
    ['pod-delete.v1', true],
    ['replicaset-create.v1beta1', true],
  ])('%s → allowed=%s', async (name, allowed, messagePart) => {
    const reply = await postReview(server.url, fixtureText(name), { ca: ca.certPem, query: '?timeout=10s' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    const body = reply.json();
    const f = fixture(name);
    expect(body.apiVersion).toBe(f.apiVersion);
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe(f.request.uid);
    expect(body.response.allowed).toBe(allowed);
    expect(body.response.patch).toBeUndefined();
    if (!allowed) {
      expect(body.response.status.code).toBe(403);
      expect(body.response.status.message).toContain(messagePart);
    }
    if (name === 'replicaset-create.v1beta1') expect(body.response.warnings?.[0]).toContain('registry.k8s.io/pause:3.10');
  });

  it('logs JSON lines with the request uid and never the object or its secrets', () => {
    const lines = logs.lines();
    const denied = lines.find((l) => l.uid === '3c5e8f0a-1111-4b7e-9d0e-6a7b8c9d0e02');
    expect(denied).toMatchObject({ msg: 'admission request denied', allowed: false, reason: 'policy', kind: 'apps/Deployment', namespace: 'shop', name: 'api', operation: 'UPDATE' });
    expect(denied.failures).toEqual([
      { field: 'spec.template.spec.containers[0].image', image: '127.0.0.1:5000/shop/api:2.0.0', code: 'NOT_PINNED' },
      { field: 'spec.template.spec.containers[1].image', image: `127.0.0.1:5000/shop/exporter@sha256:${'b'.repeat(64)}`, code: 'UNSIGNED' },
    ]);
    expect(lines.find((l) => l.uid === 'c0ffee00-6666-4a1b-9c2d-3e4f5a6b7c06')).toMatchObject({ allowed: true, reason: 'verified' }); // a ConfigMap is looked at too (its data.image is a warning)
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const health = await send(`${server.url}/healthz`, { method: 'GET', ca: ca.certPem });
    expect([health.status, health.body]).toEqual([200, 'ok\n']);
    const ready = await send(`${server.url}/readyz`, { method: 'GET', ca: ca.certPem });
    expect([ready.status, ready.body]).toEqual([200, 'ok\n']);
    const m = await send(`${server.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.body).toMatch(/notary_pin_webhook_requests_total\{outcome="allowed",reason="verified"\} [1-9]/);
    expect(m.body).toMatch(/notary_pin_webhook_requests_total\{outcome="denied",reason="policy"\} [1-9]/);
    expect(m.body).toMatch(/notary_pin_webhook_requests_total\{outcome="allowed",reason="skipped"\} [1-9]/);
    expect(m.body).toContain('notary_pin_webhook_request_duration_seconds_bucket');
    expect(m.body).toMatch(/notary_pin_webhook_image_failures_total\{code="NOT_PINNED"\} [1-9]/);
    const s = resolver.stats();
    expect(s.cacheMisses).toBeGreaterThan(0);
    expect(m.body).toContain(`notary_pin_trust_cache_misses_total ${s.cacheMisses}`);
    expect(m.body).toContain(`notary_pin_trust_cache_hits_total ${s.cacheHits}`);
  });

  it('counts trust fetch errors', async () => {
    const down = new FakeResolver({ signed: [SIGNED], down: ['127.0.0.1:5000/shop/web'] });
    const s = await start({ resolver: down });
    const reply = await postReview(s.url, fixture('pod-create.v1'), { ca: ca.certPem });
    expect(reply.json().response.status.message).toContain('trust data failed (TRUST_FETCH)');
    const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(m.body).toContain('notary_pin_trust_fetch_errors_total 1');
    expect(m.body).toContain('notary_pin_resolver_fetch_errors_total 1');
  });
});

describe('webhook server: hostile input', () => {
  let server: WebhookServer;
  beforeAll(async () => {
    server = await start();
  });

  async function stillServes(): Promise<void> {
    const reply = await postReview(server.url, fixture('pod-create.v1'), { ca: ca.certPem });
    expect(reply.status).toBe(200);
    expect(reply.json().response.allowed).toBe(true);
  }

  it.each<[string, () => Promise<{ status: number; body: string; headers: Record<string, unknown> }>, number, string]>([
    ['malformed JSON', () => postReview(server.url, '{"apiVersion": "admission.k8s.io/v1", ', { ca: ca.certPem }), 400, 'not valid JSON'],
    ['no request', () => postReview(server.url, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, { ca: ca.certPem }), 400, 'request'],
    [
      'no uid',
      () => {
        const f = fixture('pod-create.v1');
        delete f.request.uid;
        return postReview(server.url, f, { ca: ca.certPem });
      },
      400,
      'request.uid',
    ],
    ['JSON null', () => postReview(server.url, 'null', { ca: ca.certPem }), 400, 'not an AdmissionReview'],
    ['text/plain', () => postReview(server.url, fixtureText('pod-create.v1'), { ca: ca.certPem, headers: { 'content-type': 'text/plain' } }), 415, 'application/json'],
    ['no Content-Type', () => send(`${server.url}/validate`, { ca: ca.certPem, body: fixtureText('pod-create.v1') }), 415, 'application/json'],
    ['GET /validate', () => send(`${server.url}/validate`, { method: 'GET', ca: ca.certPem }), 405, 'POST'],
    ['POST /healthz', () => send(`${server.url}/healthz`, { ca: ca.certPem, body: 'x' }), 405, 'GET'],
    ['an unknown path', () => send(`${server.url}/mutate`, { ca: ca.certPem, body: '{}' }), 404, 'no route'],
  ])('%s → a JSON error with the right status, and the server keeps serving', async (_label, call, status, text) => {
    const reply = await call();
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body).error).toContain(text);
    await stillServes();
  });

  it('refuses a body over the cap with 413 (declared and chunked)', async () => {
    const small = await start({ maxBodyBytes: 64 * 1024 });
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const declared = await postReview(small.url, big, { ca: ca.certPem }).catch((e: Error) => e);
    // The server answers before reading the body and closes; the client may see the answer or a reset.
    if (!(declared instanceof Error)) expect(declared.status).toBe(413);
    const chunked = await send(`${small.url}/validate`, {
      ca: ca.certPem,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: Buffer.alloc(200 * 1024, 0x20),
    }).catch((e: Error) => e);
    if (!(chunked instanceof Error)) {
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error).toContain('larger than 65536 bytes');
    }
    expect(declared instanceof Error && chunked instanceof Error).toBe(false);
    const ok = await postReview(small.url, fixture('pod-create.v1'), { ca: ca.certPem });
    expect(ok.json().response.allowed).toBe(true);
  });

  it('answers garbage HTTP with 400 and keeps serving', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: server.port, ca: ca.certPem }, () => sock.end('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')));
      sock.on('data', (d: Buffer) => (data += d.toString()));
      sock.on('close', () => resolve(data));
      sock.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillServes();
  });

  it('rejects TLS below 1.2', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: server.port, ca: ca.certPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => {
        sock.destroy();
        resolve(undefined);
      });
      sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')));
      sock.on('error', (e) => resolve(e));
    });
    expect(err).toBeInstanceOf(Error);
    await stillServes();
  });
});

describe('webhook server: deadlines', () => {
  it('denies (fail closed) before the API server timeout when the resolver never answers', async () => {
    const resolver: Resolver = { resolve: () => new Promise(() => undefined) };
    const s = await start({ resolver });
    const reply = await postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem, query: '?timeout=1s' });
    expect(reply.status).toBe(200);
    const body = reply.json();
    // the unpinned image needs no resolver, but the signed-digest one hangs
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('did not finish in time (webhook timeout 1s); denied (fail closed)');
    const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(m.body).toMatch(/notary_pin_webhook_requests_total\{outcome="error",reason="timeout"\} 1/);
  });
});

describe('webhook server: age of the trust data behind admissions', () => {
  it('observes the oldest verifiedAt of an admitted review in notary_pin_webhook_trust_data_age_seconds', async () => {
    const inner = new FakeResolver({ signed: [SIGNED] });
    const verifiedAt = new Date(Date.now() - 100_000);
    const resolver: Resolver = {
      resolve: async (ref, rule) => {
        const r = await inner.resolve(ref, rule);
        return r.ok ? { ok: true, value: { ...r.value, verifiedAt } } : r;
      },
    };
    const s = await start({ resolver });
    expect((await postReview(s.url, fixture('pod-create.v1'), { ca: ca.certPem })).json().response.allowed).toBe(true);
    expect((await postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem })).json().response.allowed).toBe(false);
    const m = (await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem })).body;
    // one admission, about 100 s old: in the 120 s bucket, not in the 60 s one; the denial is not counted
    expect(m).toContain('notary_pin_webhook_trust_data_age_seconds_count 1');
    expect(m).toContain('notary_pin_webhook_trust_data_age_seconds_bucket{le="60"} 0');
    expect(m).toContain('notary_pin_webhook_trust_data_age_seconds_bucket{le="120"} 1');
  });
});

describe('webhook server: bounded in-flight requests', () => {
  it('answers 429 beyond maxInFlight while the others are busy, and serves again once they finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new FakeResolver({ signed: [SIGNED] });
    const resolver: Resolver = { resolve: async (ref, rule) => (await gate, slow.resolve(ref, rule)) };
    const s = await start({ resolver, maxInFlight: 2 });
    const busy = [1, 2].map(() => postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem, query: '?timeout=10s' }));
    // wait until both are in flight
    for (let i = 0; i < 200; i++) {
      const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
      if (/notary_pin_webhook_in_flight(_requests)? 2/.test(m.body)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const third = await postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem, query: '?timeout=10s' });
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('1');
    release();
    for (const r of await Promise.all(busy)) expect(r.status).toBe(200);
    const after = await postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem, query: '?timeout=10s' });
    expect(after.status).toBe(200);
  });
});

describe('webhook server: config reload', () => {
  it('applies an edited config without a restart, and ignores an invalid one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-webhook-config-'));
    const file = join(dir, 'config.yaml');
    const write = (text: string) => {
      writeFileSync(`${file}.new`, text);
      renameSync(`${file}.new`, file);
    };
    const base = 'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  trust:\n  - images: ["**"]\n    rootKeys: ["' + 'a'.repeat(64) + '"]\n';
    write(base);
    const { loadConfigFile } = await import('../config/load.js');
    const resolvers: Resolver[] = [];
    const resolverFor = () => {
      const r = new FakeResolver({ signed: [SIGNED] });
      resolvers.push(r);
      return r;
    };
    const { logger, lines } = captureLogs();
    const s = await start({ spec: await loadConfigFile(file), resolver: resolverFor(), logger, config: { file, resolverFor, pollIntervalMs: 100 } });
    const review = () => postReview(s.url, fixture('deployment-update.v1'), { ca: ca.certPem, query: '?timeout=10s' });
    expect((await review()).json().response.allowed).toBe(false);

    // Exclude everything: the same review is now allowed, with warnings.
    write(base.replace('spec:\n', 'spec:\n  exclude: ["**"]\n'));
    expect(await s.reloadConfig()).toBe(true);
    const after = (await review()).json().response;
    expect(after.allowed).toBe(true);
    expect(after.warnings.length).toBeGreaterThan(0);
    expect(resolvers).toHaveLength(2);

    // A broken config is refused and the current policy stays.
    write(base.replace('spec:\n', 'spec:\n  exclud: ["**"]\n'));
    expect(await s.reloadConfig()).toBe(false);
    expect((await review()).json().response.allowed).toBe(true);
    expect(lines().some((l: { msg?: string }) => l.msg === 'new config does not load; keeping the current one')).toBe(true);
    const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(m.body).toContain('notary_pin_webhook_config_reloads_total{result="ok"} 1');
    expect(m.body).toContain('notary_pin_webhook_config_reloads_total{result="error"} 1');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('webhook server: certificate reload', () => {
  it('serves a renewed certificate on the next connection without a restart', async () => {
    const dir = join(tlsDir, 'reload');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const first = ca.issue({ cn: 'reload-1' });
    const cf = join(dir, 'tls.crt');
    const kf = join(dir, 'tls.key');
    writeFileSync(cf, first.certPem);
    writeFileSync(kf, first.keyPem);
    const s = await start({ certFile: cf, keyFile: kf, certPollIntervalMs: 200 });
    const before = await send(`${s.url}/healthz`, { method: 'GET', ca: ca.certPem });
    expect(before.fingerprint256).toBe(new X509Certificate(first.certPem).fingerprint256);

    // Replace both files the way a writer should (write aside, rename into place).
    const second = ca.issue({ cn: 'reload-2' });
    writeFileSync(`${kf}.new`, second.keyPem);
    writeFileSync(`${cf}.new`, second.certPem);
    renameSync(`${kf}.new`, kf);
    renameSync(`${cf}.new`, cf);
    const want = new X509Certificate(second.certPem).fingerprint256;
    let seen = before.fingerprint256;
    for (let i = 0; i < 100 && seen !== want; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = (await send(`${s.url}/healthz`, { method: 'GET', ca: ca.certPem })).fingerprint256;
    }
    expect(seen).toBe(want);
    const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(m.body).toContain('notary_pin_webhook_tls_reloads_total{result="ok"} 1');

    // A key that does not match the certificate is ignored; the server keeps the good pair.
    writeFileSync(kf, first.keyPem);
    expect(await s.reloadCertificates()).toBe(false);
    expect((await send(`${s.url}/healthz`, { method: 'GET', ca: ca.certPem })).fingerprint256).toBe(want);
  });
});

describe('webhook server: load', () => {
  it('answers 2,000 requests with 50 in flight without an error', async () => {
    const s = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 50, ca: ca.certPem });
    const bodies = [fixtureText('pod-create.v1'), fixtureText('deployment-update.v1'), fixtureText('configmap-create.v1')];
    const expected = [true, false, true];
    let next = 0;
    const errors: string[] = [];
    const counts = { allowed: 0, denied: 0 };
    const worker = async (): Promise<void> => {
      for (let i = next++; i < 2000; i = next++) {
        try {
          const reply = await postReview(s.url, bodies[i % 3]!, { ca: ca.certPem, agent });
          const allowed = reply.json().response.allowed as boolean;
          if (reply.status !== 200 || allowed !== expected[i % 3]) errors.push(`#${i}: ${reply.status} ${reply.body.slice(0, 200)}`);
          else counts[allowed ? 'allowed' : 'denied']++;
        } catch (e) {
          errors.push(`#${i}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    agent.destroy();
    expect(errors).toEqual([]);
    expect(counts.allowed + counts.denied).toBe(2000);
    expect(counts.denied).toBe(667);
  });
});

describe('webhook server: graceful shutdown', () => {
  it('finishes in-flight requests, reports not ready while draining, then stops', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new FakeResolver({ signed: [SIGNED] });
    const slow: Resolver = { resolve: async (ref, rule) => (await gate, inner.resolve(ref, rule)) };
    const s = await start({ resolver: slow, shutdownDelayMs: 300, shutdownGraceMs: 5000 });
    const inflight = postReview(s.url, fixture('pod-create.v1'), { ca: ca.certPem });
    // wait (bounded) until the request is being processed
    for (let i = 0; i < 100; i++) {
      const m = await send(`${s.url}/metrics`, { method: 'GET', ca: ca.certPem });
      if (m.body.includes('notary_pin_webhook_in_flight_requests 1')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const closing = s.close();
    expect(s.ready()).toBe(false);
    const ready = await send(`${s.url}/readyz`, { method: 'GET', ca: ca.certPem });
    expect([ready.status, ready.body]).toEqual([503, 'shutting down\n']);
    release();
    const reply = await inflight;
    expect(reply.status).toBe(200);
    expect(reply.json().response.allowed).toBe(true);
    await closing;
    await expect(send(`${s.url}/healthz`, { method: 'GET', ca: ca.certPem, timeoutMs: 3000 })).rejects.toThrow();
  });
});
