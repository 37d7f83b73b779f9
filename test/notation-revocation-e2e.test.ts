/**
 * Notation timestamps and revocation end to end: the REAL `docker-registry` holds the images and
 * their signatures (referrers tag schema), a REAL RFC 3161 TSA made with `openssl ts` countersigns,
 * a CRL server on 127.0.0.1 (counting its requests) serves the CA's CRL, and the built CLI (the
 * function, `revocation fetch`) and the webhook (production resolver) decide.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecSchema } from '../src/config/schema.js';
import type { Descriptor } from '../src/registry/contract.js';
import { bundleCrlFile } from '../src/trust/notation/revocation/source.js';
import { certToPem } from '../src/trust/notary/tuf/certs.js';
import { buildCliBundle, type Bundle } from './support/attack/cli.js';
import { registerTempDir, type Daemon } from './support/daemon.js';
import { startTestServer, type TestServer } from './support/http-server.js';
import { startRegistry } from './support/notary-env.js';
import { makeChain, testKey } from './support/notation/pki.js';
import { signEnvelope } from './support/notation/signer.js';
import { createOpensslTsa } from './support/notation-revocation/openssl-tsa.js';
import { makeCert, makeCrl, type TestCert } from './support/notation-revocation/pki.js';
import { pushRevocableSignature } from './support/notation-revocation/sign.js';
import { pushImage, pushSignature, type PushTarget } from './support/oci-push.js';
import { describeWithTools } from './support/tools.js';
import { startProductionWebhook, type ProductionWebhook } from './support/webhook/production.js';
import { fixture } from './support/webhook/fixtures.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';

const stream = (images: readonly string[]) =>
  images.map((image, i) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`).join('---\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

describeWithTools(['docker-registry', 'openssl'], 'Notation timestamps and revocation end to end (real registry, openssl TSA, CRL server)', () => {
  let dir: string;
  let unregister: () => void;
  let registry: { daemon: Daemon; host: string };
  let target: PushTarget;
  let cli: Bundle;
  let crlServer: TestServer;
  let crlUrl: string;
  let root: TestCert;
  let good: TestCert;
  let revoked: TestCert;
  const img: Record<string, Descriptor> = {};
  const repo = (name: string) => `${registry.host}/${name}`;
  const crlRequests = () => crlServer.requests.filter((r) => r.url === '/ca.crl').length;

  const signRevocable = (name: string, leaf: TestCert): Promise<void> => pushRevocableSignature(target, name, img[name]!, leaf, root);

  function writeConfig(file: string, extra: readonly string[] = []): string {
    const path = join(dir, file);
    writeFileSync(
      path,
      [
        'apiVersion: notary-pin.dev/v1alpha1',
        'kind: NotaryPin',
        'spec:',
        ...extra.map((l) => `  ${l}`),
        '  registries:',
        `  - host: ${registry.host}`,
        '    plainHTTP: true',
        '  trust:',
        '  - name: notation',
        `    images: ["${registry.host}/**"]`,
        '    notation: {trustPolicy: notation/trustpolicy.json, trustStore: notation/truststore}',
        '',
      ].join('\n'),
    );
    return path;
  }

  async function runCli(config: string, images: readonly string[]) {
    const input = join(dir, `in-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(input, stream(images));
    return cli.run(['--config', config, '-i', input], { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }, timeoutMs: 60_000 });
  }
  const failedLine = (stderr: string, name: string) => stderr.split('\n').find((l) => l.startsWith('FAILED') && l.includes(repo(name))) ?? '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'np-notation-rev-e2e-'));
    unregister = registerTempDir(dir);
    const bundle = buildCliBundle();
    registry = await startRegistry(dir, 30_000, dir);
    target = { url: `http://${registry.host}` };
    crlServer = await startTestServer((_req, res) => {
      res.writeHead(404).end();
    });
    crlUrl = `${crlServer.url}/ca.crl`;
    for (const name of ['ts/trusted', 'ts/untrusted', 'ts/none', 'rev/good', 'rev/revoked', 'perm/revoked']) img[name] = await pushImage(target, name, '1');

    // A real TSA (openssl ts), and a signing certificate that expires seconds after it signs.
    mkdirSync(join(dir, 'tsa'));
    const tsa = createOpensslTsa(join(dir, 'tsa'));
    const notAfter = new Date(Math.ceil((Date.now() + 12_000) / 1000) * 1000);
    const short = makeChain(testKey('p256', 5), { notBefore: new Date(Date.now() - 3_600_000), notAfter }, 5);
    for (const name of ['ts/trusted', 'ts/untrusted', 'ts/none']) {
      const s = img[name]!;
      const env = signEnvelope({
        format: 'jws',
        signingTime: new Date(),
        subject: { mediaType: s.mediaType, digest: s.digest, size: s.size },
        chain: short.chain,
        timestamper: (signature) => tsa.stamp(signature, 'sha256'),
      });
      await pushSignature(target, name, s, { form: 'artifactType', envelope: env.envelope, envelopeMediaType: env.mediaType });
    }
    // genTime (± 1.5 s accuracy) must fall inside the certificate's validity for the positive case.
    if (Date.now() > notAfter.getTime() - 2_000) throw new Error('the machine is too slow: the timestamps were made after the short-lived certificate expired');

    // A CA with a CRL on 127.0.0.1; one leaf good, one revoked.
    root = await makeCert({ cn: 'notary-pin e2e revocation CA', ca: true });
    good = await makeCert({ cn: 'notary-pin e2e good signer', issuer: root, serial: 101, crl: [crlUrl] });
    revoked = await makeCert({ cn: 'notary-pin e2e revoked signer', issuer: root, serial: 102, crl: [crlUrl] });
    const crl = await makeCrl(root, { number: 1, entries: [{ serial: 102, date: new Date(Date.now() - 3_600_000), reason: 1 }] });
    crlServer.handle((req, res) => {
      if (req.url !== '/ca.crl') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': crl.length }).end(Buffer.from(crl));
    });
    await signRevocable('rev/good', good);
    await signRevocable('rev/revoked', revoked);
    await signRevocable('perm/revoked', revoked);

    const store = (type: 'ca' | 'tsa', name: string, der: Uint8Array) => writeTrustStoreCert(join(dir, 'notation/truststore'), type, name, der, 'cert.pem');
    store('ca', 'ts', short.root.der);
    store('tsa', 'tsa', tsa.root);
    store('tsa', 'other', root.der); // a CA that is not the TSA's
    store('ca', 'rev', root.der);
    const statement = (name: string, repos: string[], level: string, trustStores: string[]) => ({
      name,
      registryScopes: repos.map(repo),
      signatureVerification: { level },
      trustStores,
      trustedIdentities: ['*'],
    });
    writeFileSync(
      join(dir, 'notation/trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          statement('timestamped', ['ts/trusted'], 'strict', ['ca:ts', 'tsa:tsa']),
          statement('untrusted-tsa', ['ts/untrusted'], 'strict', ['ca:ts', 'tsa:other']),
          statement('no-tsa', ['ts/none'], 'strict', ['ca:ts']),
          statement('revocation-strict', ['rev/good', 'rev/revoked'], 'strict', ['ca:rev']),
          statement('revocation-permissive', ['perm/revoked'], 'permissive', ['ca:rev']),
        ],
      }),
    );
    writeFileSync(join(dir, 'chain-good.pem'), certToPem(good.der) + certToPem(root.der));
    writeFileSync(join(dir, 'chain-revoked.pem'), certToPem(revoked.der) + certToPem(root.der));
    cli = await bundle;
    await sleep(notAfter.getTime() + 2_000 - Date.now()); // the short-lived certificate has now expired
  }, 300_000);

  afterAll(async () => {
    await cli?.cleanup();
    await crlServer?.close();
    await registry?.daemon.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    unregister?.();
  });

  describe('RFC 3161 timestamps (the signing certificate has expired)', () => {
    it('verifies through a timestamp whose TSA is in the policy\'s tsa: store', async () => {
      const r = await runCli(writeConfig('plain.yaml'), [`${repo('ts/trusted')}:1`]);
      expect(r.stderr).not.toContain('FAILED');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${repo('ts/trusted')}:1@${img['ts/trusted']!.digest}`);
    });

    it('fails when the TSA is not trusted, and when the policy has no tsa: store', async () => {
      const r = await runCli(writeConfig('plain.yaml'), [`${repo('ts/untrusted')}:1`, `${repo('ts/none')}:1`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(failedLine(r.stderr, 'ts/untrusted')).toContain('[NOTATION_TIMESTAMP]');
      expect(failedLine(r.stderr, 'ts/untrusted')).toContain('timestamp countersignature');
      expect(failedLine(r.stderr, 'ts/none')).toContain('[NOTATION_TIMESTAMP]');
      expect(failedLine(r.stderr, 'ts/none')).toMatch(/at verification time .*no verified timestamp/);
    });
  });

  describe('revocation (CRL on 127.0.0.1)', () => {
    it('a revoked leaf fails under strict, naming the certificate and the CRL; a good one pins', async () => {
      const r = await runCli(writeConfig('plain.yaml'), [`${repo('rev/revoked')}:1`, `${repo('rev/good')}:1`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const line = failedLine(r.stderr, 'rev/revoked');
      expect(line).toContain('[NOTATION_REVOKED]');
      expect(line).toContain('notary-pin e2e revoked signer');
      expect(line).toContain(crlUrl);
      expect(failedLine(r.stderr, 'rev/good')).toBe('');
    });

    it('a revoked leaf under permissive is pinned with a warning that names the logged failure', async () => {
      const r = await runCli(writeConfig('plain.yaml'), [`${repo('perm/revoked')}:1`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${repo('perm/revoked')}:1@${img['perm/revoked']!.digest}`);
      expect(r.stderr).toMatch(/pinned .*perm\/revoked.*\[logged: NOTATION_REVOKED\]/);
    });

    it('a warm run (CRL cached under cacheDir) makes no revocation request', async () => {
      const config = writeConfig('cached.yaml', ['cacheDir: cache']);
      const before = crlRequests();
      const cold = await runCli(config, [`${repo('rev/good')}:1`]);
      expect(cold.code).toBe(0);
      expect(crlRequests()).toBe(before + 1);
      const warm = await runCli(config, [`${repo('rev/good')}:1`, `${repo('rev/revoked')}:1`]);
      expect(failedLine(warm.stderr, 'rev/revoked')).toContain('[NOTATION_REVOKED]');
      expect(failedLine(warm.stderr, 'rev/good')).toBe('');
      expect(crlRequests()).toBe(before + 1);
    });
  });

  describe('the webhook, revocation on, warm cache', () => {
    let webhook: ProductionWebhook;

    beforeAll(async () => {
      // cacheTTLSeconds 0: every admission verifies the signature again, so only the CRL cache saves the request.
      const spec = SpecSchema.parse({
        mode: 'verify',
        cacheTTLSeconds: 0,
        registries: [{ host: registry.host, plainHTTP: true }],
        trust: [{ images: [`${registry.host}/**`], notation: { trustPolicy: join(dir, 'notation/trustpolicy.json'), trustStore: join(dir, 'notation/truststore') } }],
      });
      webhook = await startProductionWebhook(spec, 'np-notation-rev-webhook-');
    }, 60_000);
    afterAll(async () => {
      await webhook?.close();
    });

    const review = (image: string) => {
      const r = fixture('pod-create.v1');
      r.request.object.spec.initContainers = [];
      r.request.object.spec.containers = [{ name: 'c', image }];
      return r;
    };
    const post = async (image: string) => {
      const reply = await webhook.post(review(image));
      expect(reply.status).toBe(200);
      return reply.json().response;
    };

    it('the first admission fetches the CRL once; the next ones make no revocation request', async () => {
      const goodRef = `${repo('rev/good')}@${img['rev/good']!.digest}`;
      const revokedRef = `${repo('rev/revoked')}@${img['rev/revoked']!.digest}`;
      const before = crlRequests();
      expect((await post(goodRef)).allowed).toBe(true);
      expect(crlRequests()).toBe(before + 1);
      for (let i = 0; i < 10; i++) expect((await post(goodRef)).allowed).toBe(true);
      const denied = await post(revokedRef);
      expect(denied.allowed).toBe(false);
      expect(denied.status.message).toContain('NOTATION_REVOKED');
      expect(crlRequests()).toBe(before + 1);
    });
  });

  // Last: it cuts the network (stops the CRL server).
  describe('the offline revocation bundle (air-gapped)', () => {
    const bundleDir = () => join(dir, 'bundle');

    it('`notary-pin revocation fetch` writes the CRLs of the chains into a bundle directory', async () => {
      const r = await cli.run(['revocation', 'fetch', '-o', bundleDir(), '--chain', join(dir, 'chain-good.pem'), join(dir, 'chain-revoked.pem')], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`wrote ${bundleCrlFile(crlUrl)}`);
      expect(readdirSync(join(bundleDir(), 'crl'))).toHaveLength(1);
    });

    it('`revocation fetch --config … --image …` finds the chains in the images\' signatures (and trusted timestamps)', async () => {
      const out = join(dir, 'bundle-images');
      const images = [`${repo('rev/good')}:1`, `${repo('rev/revoked')}:1`, `${repo('ts/trusted')}:1`];
      const r = await cli.run(['revocation', 'fetch', '-o', out, '--config', writeConfig('plain.yaml'), '--image', ...images], { timeoutMs: 60_000 });
      expect(r.stdout).not.toContain('FAILED');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`wrote ${bundleCrlFile(crlUrl)}`);
      const missing = await cli.run(['revocation', 'fetch', '-o', join(dir, 'bundle-x'), '--config', join(dir, 'plain.yaml'), '--image', `${repo('rev/nothing')}:1`], { timeoutMs: 60_000 });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toMatch(/FAILED .*rev\/nothing:1: .*INCOMPLETE/s);
    });

    it('with the network cut, the bundle decides: good pins, revoked fails', async () => {
      await crlServer.close();
      const before = crlRequests();
      const r = await runCli(writeConfig('offline.yaml', ['revocation: {bundleDir: bundle-images}']), [`${repo('rev/good')}:1`, `${repo('rev/revoked')}:1`]);
      expect(r.code).toBe(1);
      expect(failedLine(r.stderr, 'rev/good')).toBe('');
      expect(failedLine(r.stderr, 'rev/revoked')).toContain('[NOTATION_REVOKED]');
      expect(failedLine(r.stderr, 'rev/revoked')).toContain(`from bundle ${join(dir, 'bundle-images')}`);
      const alone = await runCli(join(dir, 'offline.yaml'), [`${repo('rev/good')}:1`]);
      expect(alone.code).toBe(0);
      expect(crlRequests()).toBe(before);
    });

    it('a bundle missing the CRL fails clearly, naming the URL and the file expected', async () => {
      const missing = join(dir, 'bundle-missing');
      cpSync(bundleDir(), missing, { recursive: true });
      rmSync(join(missing, bundleCrlFile(crlUrl)));
      const r = await runCli(writeConfig('missing.yaml', ['revocation: {bundleDir: bundle-missing}']), [`${repo('rev/good')}:1`]);
      expect(r.code).toBe(1);
      const line = failedLine(r.stderr, 'rev/good');
      expect(line).toContain('[NOTATION_REVOCATION_UNKNOWN]');
      expect(line).toContain(`no CRL for ${crlUrl}`);
      expect(line).toContain(bundleCrlFile(crlUrl));
    });

    it('a bundle whose CRL is past its nextUpdate fails clearly (stale data never says "good")', async () => {
      const stale = join(dir, 'bundle-stale');
      cpSync(bundleDir(), stale, { recursive: true });
      const expired = await makeCrl(root, { number: 2, thisUpdate: new Date(Date.now() - 2 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) });
      writeFileSync(join(stale, bundleCrlFile(crlUrl)), expired);
      const r = await runCli(writeConfig('stale.yaml', ['revocation: {bundleDir: bundle-stale}']), [`${repo('rev/good')}:1`]);
      expect(r.code).toBe(1);
      const line = failedLine(r.stderr, 'rev/good');
      expect(line).toContain('[NOTATION_REVOCATION_UNKNOWN]');
      expect(line).toMatch(/nextUpdate|expired/);
      expect(line).toContain('revocation fetch');
    });
  });
});
