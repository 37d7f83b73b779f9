/**
 * The validating admission webhook end to end: `startWebhookServer` with the production resolver
 * and the REAL notary-server (and registry) behind it, real-shaped AdmissionReview payloads
 * (test/support/webhook/testdata, with the real registry and real digests) sent over HTTPS; the trust server
 * going away mid-run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { notaryResolverFor } from '../src/cli/resolver.js';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { createTestCA, writeTestPki, type TestCertAuthority } from '../src/demo/pki.js';
import { postReview, send } from './support/webhook/client.js';
import { fixtureText, type FixtureName } from './support/webhook/fixtures.js';
import { startWebhookServer, type WebhookServer } from '../src/webhook/server.js';
import { startNotaryEnv, type NotaryEnv } from './support/notary-env.js';
import { startForwarder } from './support/forwarder.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

const AAA = `sha256:${'a'.repeat(64)}`;
const BBB = `sha256:${'b'.repeat(64)}`;

describeWithTools(NOTARY_ENV_TOOLS, 'webhook end to end (real notary-server behind the production resolver)', () => {
  let env: NotaryEnv;
  let tlsDir: string | undefined;
  let ca: TestCertAuthority;
  let certFile: string;
  let keyFile: string;
  const servers: WebhookServer[] = [];
  let webhook: WebhookServer;

  beforeAll(async () => {
    env = await startNotaryEnv({
      repos: [
        { name: 'shop/web', tags: ['1.4.2'], sign: 'targets' },
        { name: 'shop/migrate', tags: ['1'], sign: 'targets' },
        { name: 'shop/api', tags: ['2.0.0', '1.9.0'], sign: 'releases' },
        { name: 'shop/exporter', tags: ['1'], sign: 'targets' },
        { name: 'shop/report', tags: ['3.1'], sign: 'targets', unsignedTags: ['3.2'] },
        { name: 'shop/postgres', tags: ['16'], sign: 'releases' },
        { name: 'tools/busybox', tags: ['1.36'], sign: 'targets' },
      ],
    });
    tlsDir = mkdtempSync(join(tmpdir(), 'notary-pin-webhook-'));
    ca = createTestCA();
    ({ certFile, keyFile } = writeTestPki(tlsDir, ca));
    webhook = await start(spec());
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    await env?.stop();
  });

  /** Verify mode, one rule per repository with its root key IDs pinned; registry.k8s.io excluded. */
  function spec(server = env.notaryUrl): Spec {
    const repos = ['shop/web', 'shop/migrate', 'shop/api', 'shop/exporter', 'shop/report', 'shop/postgres', 'tools/busybox'];
    return SpecSchema.parse({
      mode: 'verify',
      exclude: ['registry.k8s.io/**'],
      trust: repos.map((r) => ({ name: r, images: [env.gunOf(r)], server, ca: env.caFile, rootKeys: env.rootKeyIds[env.gunOf(r)], timeoutSeconds: 3 })),
    });
  }

  async function start(s: Spec, logger = pino({ level: 'silent' })): Promise<WebhookServer> {
    const w = await startWebhookServer({
      spec: s,
      resolver: notaryResolverFor(s, {}), // what `notary-pin webhook` builds (runWebhook)
      certFile,
      keyFile,
      port: 0,
      host: '127.0.0.1',
      logger,
    });
    servers.push(w);
    return w;
  }

  const digest = (key: string) => env.images[key]!.digest;
  const host = () => env.registryHost;

  /** A fixture with the placeholder registry replaced by the real one and image strings rewritten. */
  function review(name: FixtureName, images: Record<string, string> = {}): any {
    let text = fixtureText(name);
    for (const [from, to] of Object.entries(images)) {
      expect(text, `fixture ${name} has ${from}`).toContain(from);
      text = text.split(from).join(to);
    }
    text = text.split('127.0.0.1:5000').join(host());
    return JSON.parse(text);
  }

  async function post(body: unknown, w: WebhookServer = webhook): Promise<any> {
    const reply = await postReview(w.url, body, { ca: ca.certPem, query: '?timeout=10s', timeoutMs: 20_000 });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    const r = reply.json();
    expect(r.kind).toBe('AdmissionReview');
    expect(r.response.uid).toBe((body as { request: { uid: string } }).request.uid);
    expect(r.response.patch).toBeUndefined(); // never mutates
    return r.response;
  }

  const signedWeb = () => ({ [`shop/web:1.4.2@${AAA}`]: `shop/web:1.4.2@${digest('shop/web:1.4.2')}` });

  it('Pod CREATE with pinned, signed images (digest only and tag@digest) → allowed', async () => {
    const res = await post(review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/migrate:1')}`, ...signedWeb() }));
    expect(res.allowed).toBe(true);
  });

  it('the same Pod with a digest the registry has but nobody signed → denied (403, UNSIGNED)', async () => {
    const res = await post(review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/report:3.2')}`, ...signedWeb() }));
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(403);
    expect(res.status.message).toContain(`shop/migrate@${digest('shop/report:3.2')}`);
  });

  it('Deployment UPDATE (with oldObject) with an unpinned tag → denied, 403, "pin it with notary-pin"; only the new object counts', async () => {
    const body = review('deployment-update.v1', {
      [`shop/exporter@${BBB}`]: `shop/exporter@${digest('shop/exporter:1')}`,
    });
    // the oldObject keeps images with an unsigned digest: they must not count
    expect(JSON.stringify(body.request.oldObject)).toContain(`shop/api:1.9.0@${AAA}`);
    const res = await post(body);
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(403);
    const msg: string = res.status.message;
    expect(msg).toContain('Deployment shop/api');
    expect(msg).toContain('spec.template.spec.containers[0].image (container "api")');
    expect(msg).toContain(`${host()}/shop/api:2.0.0`);
    expect(msg).toContain('pin it with notary-pin');
    expect(msg).toContain('1 image(s) failed');
    expect(msg).not.toContain('hunter2');

    // pinned to the digest the targets/releases delegation signs → allowed
    const fixed = review('deployment-update.v1', {
      [`shop/exporter@${BBB}`]: `shop/exporter@${digest('shop/exporter:1')}`,
      '/shop/api:2.0.0"': `/shop/api:2.0.0@${digest('shop/api:2.0.0')}"`,
    });
    expect((await post(fixed)).allowed).toBe(true);
  });

  it('CronJob with a pinned but unsigned digest → denied; with the signed digest → allowed; tag@other-digest → denied', async () => {
    const unsigned = await post(review('cronjob-create.v1', { [`shop/report:3.1@${AAA}`]: `shop/report:3.2@${digest('shop/report:3.2')}` }));
    expect(unsigned.allowed).toBe(false);
    expect(unsigned.status.code).toBe(403);
    expect(unsigned.status.message).toContain('spec.jobTemplate.spec.template.spec.containers[0].image');
    expect(unsigned.status.message).toContain(`shop/report:3.2@${digest('shop/report:3.2')}`);

    const mismatch = await post(review('cronjob-create.v1', { [`shop/report:3.1@${AAA}`]: `shop/report:3.1@${digest('shop/report:3.2')}` }));
    expect(mismatch.allowed).toBe(false);
    expect(mismatch.status.code).toBe(403);

    const ok = await post(review('cronjob-create.v1', { [`shop/report:3.1@${AAA}`]: `shop/report:3.1@${digest('shop/report:3.1')}` }));
    expect(ok.allowed).toBe(true);
  });

  it('ephemeralcontainers subresource: an unpinned debug image → denied naming it; pinned and signed → allowed', async () => {
    const denied = await post(review('pod-ephemeralcontainers.v1', signedWeb()));
    expect(denied.allowed).toBe(false);
    expect(denied.status.code).toBe(403);
    expect(denied.status.message).toContain('spec.ephemeralContainers[0].image');
    expect(denied.status.message).toContain(`${host()}/tools/busybox:1.36`);

    const ok = await post(
      review('pod-ephemeralcontainers.v1', { ...signedWeb(), '/tools/busybox:1.36"': `/tools/busybox:1.36@${digest('tools/busybox:1.36')}"` }),
    );
    expect(ok.allowed).toBe(true);
  });

  it('dry run is checked like a real request (denied unpinned, allowed pinned)', async () => {
    const body = review('statefulset-create-dryrun.v1');
    expect(body.request.dryRun).toBe(true);
    const denied = await post(body);
    expect(denied.allowed).toBe(false);
    expect(denied.status.message).toContain('pin it with notary-pin');
    const ok = await post(review('statefulset-create-dryrun.v1', { '/shop/postgres:16"': `/shop/postgres:16@${digest('shop/postgres:16')}"` }));
    expect(ok.allowed).toBe(true);
  });

  it('a ConfigMap → allowed without looking at trust data', async () => {
    const res = await post(review('configmap-create.v1'));
    expect(res.allowed).toBe(true);
  });

  it('the trust server going down → a clear denial (TRUST_FETCH), cached answers still served, recovery when it is back', async () => {
    const notaryPort = Number(new URL(env.notaryUrl).port);
    const fwd = await startForwarder(notaryPort);
    // the notary-server certificate is for 127.0.0.1 whatever the port, so the forwarder is transparent
    const w = await start(spec(`https://127.0.0.1:${fwd.port}`));
    const web = review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/migrate:1')}`, ...signedWeb() });
    expect((await post(web, w)).allowed).toBe(true);

    await fwd.down();
    const cron = review('cronjob-create.v1', { [`shop/report:3.1@${AAA}`]: `shop/report:3.1@${digest('shop/report:3.1')}` });
    const t0 = performance.now();
    const down = await post(cron, w);
    expect(performance.now() - t0).toBeLessThan(9_000);
    expect(down.allowed).toBe(false);
    expect(down.status.code).toBe(403);
    expect(down.status.message).toContain('TRUST_FETCH');
    expect(down.status.message).toContain(`shop/report:3.1@${digest('shop/report:3.1')}`);

    // the webhook keeps serving: health, a cached trust answer, a non-workload
    const health = await send(`${w.url}/healthz`, { method: 'GET', ca: ca.certPem });
    expect(health.status).toBe(200);
    expect((await post(review('configmap-create.v1'), w)).allowed).toBe(true);
    expect((await post(web, w)).allowed).toBe(true);
    const metrics = await send(`${w.url}/metrics`, { method: 'GET', ca: ca.certPem });
    expect(metrics.body).toMatch(/notary_pin_webhook_requests_total\{outcome="denied",reason="policy"\} [1-9]/);
    // both admissions of the Pod relied on trust data fetched before the server went away: its age is observed
    expect(metrics.body).toContain('notary_pin_webhook_trust_data_age_seconds_count 2');

    await fwd.up();
    expect((await post(cron, w)).allowed).toBe(true);
    await fwd.down();
  });

  it('enforcement: warn admits an unsigned digest with a warning naming it; audit admits silently; enforce denies', async () => {
    const body = () => review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/report:3.2')}`, ...signedWeb() });
    const warn = await start({ ...spec(), enforcement: 'warn' });
    const w = await post(body(), warn);
    expect(w.allowed).toBe(true);
    expect(w.warnings).toHaveLength(1);
    expect(w.warnings[0]).toContain('NOT ENFORCED (spec.enforcement: warn)');
    expect(w.warnings[0]).toContain(`shop/migrate@${digest('shop/report:3.2')}`);
    const audit = await start({ ...spec(), enforcement: 'audit' });
    const a = await post(body(), audit);
    expect(a.allowed).toBe(true);
    expect(a.warnings).toBeUndefined();
    const m = (await send(`${audit.url}/metrics`, { method: 'GET', ca: ca.certPem })).body;
    expect(m).toMatch(/notary_pin_webhook_images_total\{rule="shop\/migrate",outcome="not_enforced",enforcement="audit"\} 1/);
    expect((await post(body())).allowed).toBe(false);
  });

  it('staleIfErrorSeconds: trust server down past the TTL → answered from trust data verified earlier (logged, counted); off → denied', async () => {
    const fwd = await startForwarder(Number(new URL(env.notaryUrl).port));
    const url = `https://127.0.0.1:${fwd.port}`;
    const logs: any[] = [];
    const sink = { write: (line: string) => logs.push(JSON.parse(line)) };
    const stale = await start({ ...spec(url), cacheTTLSeconds: 1, staleIfErrorSeconds: 300 }, pino({ level: 'info' }, sink));
    const strict = await start({ ...spec(url), cacheTTLSeconds: 1, staleIfErrorSeconds: 0 });
    const web = review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/migrate:1')}`, ...signedWeb() });
    expect((await post(web, stale)).allowed).toBe(true);
    expect((await post(web, strict)).allowed).toBe(true);

    await fwd.down();
    await new Promise((r) => setTimeout(r, 1_200)); // past the 1 s TTL
    const off = await post(web, strict);
    expect(off.allowed).toBe(false);
    expect(off.status.message).toContain('TRUST_FETCH');
    expect((await post(web, stale)).allowed).toBe(true);
    const m = (await send(`${stale.url}/metrics`, { method: 'GET', ca: ca.certPem })).body;
    expect(m).toMatch(/notary_pin_webhook_stale_images_total\{rule="shop\/web"\} 1/);
    expect(m).toMatch(/notary_pin_webhook_stale_images_total\{rule="shop\/migrate"\} 1/);
    const warned = logs.find((l) => l.stale !== undefined);
    expect(warned?.msg).toContain('stale trust data');
    expect(warned?.stale.map((x: any) => x.rule).sort()).toEqual(['shop/migrate', 'shop/web']);
    // stale data still decides: a digest it does not sign is denied, never admitted
    const unsigned = review('pod-create.v1', { [`shop/migrate@${AAA}`]: `shop/migrate@${digest('shop/report:3.2')}`, ...signedWeb() });
    expect((await post(unsigned, stale)).allowed).toBe(false);
    // a repository never verified before has nothing to fall back on
    const cron = review('cronjob-create.v1', { [`shop/report:3.1@${AAA}`]: `shop/report:3.1@${digest('shop/report:3.1')}` });
    expect((await post(cron, stale)).status.message).toContain('TRUST_FETCH');

    await fwd.up();
    expect((await post(web, stale)).allowed).toBe(true);
    await fwd.down();
  });
});
