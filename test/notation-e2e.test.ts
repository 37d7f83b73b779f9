/**
 * Notation end to end against the REAL `docker-registry` (distribution 2.8: no referrers API, so
 * signatures are found through the `sha256-<hex>` referrers tag, as notation 1.x stores them):
 * images pushed, signed with the project's test signer (JWS and COSE, both signature manifest
 * forms), signatures pushed the way notation does; then the built CLI pins a plain stream, the
 * webhook (verify mode, production resolver) admits and denies, and hostile registries (one that
 * lies about digests, one that stalls) are refused through the function.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionResolver } from '../src/cli/resolver.js';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { runKrm } from '../src/krm/run.js';
import { MediaTypes, type Descriptor } from '../src/registry/contract.js';
import { buildCliBundle, imagesIn, parseList, type Bundle } from './support/attack/cli.js';
import { registerTempDir, type Daemon } from './support/daemon.js';
import { startTestServer, type TestServer } from './support/http-server.js';
import { startRegistry } from './support/notary-env.js';
import { makeChain, testKey, type TestChain } from './support/notation/pki.js';
import { signEnvelope } from './support/notation/signer.js';
import { pushImage, pushSignature, type PushTarget } from './support/oci-push.js';
import { describeWithTools } from './support/tools.js';
import { startProductionWebhook, type ProductionWebhook } from './support/webhook/production.js';
import { fixtureText } from './support/webhook/fixtures.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';


/** A Deployment per image, as a plain YAML stream (what `kustomize build | notary-pin` sees). */
const stream = (images: readonly string[]) =>
  images
    .map(
      (image, i) =>
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ${image}\n`,
    )
    .join('---\n');

describeWithTools(['docker-registry'], 'Notation end to end (real docker-registry, referrers tag schema)', () => {
  let dir: string;
  let unregister: () => void;
  let registry: { daemon: Daemon; host: string };
  let target: PushTarget;
  let trusted: TestChain;
  let stranger: TestChain;
  let cli: Bundle;
  const img: Record<string, Descriptor> = {};
  const sigs: Record<string, Descriptor> = {};
  const repo = (name: string) => `${registry.host}/${name}`;

  /** Signs `subject` with `chain` and pushes the signature to `name` as notation does (manifest, then the referrers tag index). */
  async function sign(name: string, subject: Descriptor, chain: TestChain, format: 'jws' | 'cose', form: 'artifactType' | 'legacy', attachTo = subject): Promise<Descriptor> {
    const env = signEnvelope({ format, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, chain: chain.chain });
    return pushSignature(target, name, attachTo, { form, envelope: env.envelope, envelopeMediaType: env.mediaType });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'np-notation-e2e-'));
    unregister = registerTempDir(dir);
    const bundle = buildCliBundle();
    registry = await startRegistry(dir, 30_000, dir);
    target = { url: `http://${registry.host}` };
    trusted = makeChain(testKey('rsa2048'));
    stranger = makeChain(testKey('p256', 7), {}, 1);

    for (const [name, tag] of [['shop/web', '1.4.2'], ['shop/migrate', '1'], ['shop/unsigned', '1'], ['shop/wrong', '1'], ['shop/stolen', '1'], ['shop/skipped', '1']] as const) {
      img[name] = await pushImage(target, name, tag);
    }
    img['shop/migrate:old'] = await pushImage(target, 'shop/migrate', 'old'); // unsigned digest of a signed repository
    sigs.web = await sign('shop/web', img['shop/web']!, trusted, 'jws', 'artifactType');
    sigs.migrate = await sign('shop/migrate', img['shop/migrate']!, trusted, 'cose', 'legacy');
    await sign('shop/wrong', img['shop/wrong']!, stranger, 'jws', 'artifactType');
    // web's valid signature (its payload names web's manifest) re-attached to another image
    await sign('shop/stolen', img['shop/web']!, trusted, 'jws', 'artifactType', img['shop/stolen']!);

    // the trust store and policy, in notation's layout and format
    writeTrustStoreCert(join(dir, 'notation/truststore'), 'ca', 'team', trusted.root.der);
    const strict = ['shop/web', 'shop/migrate', 'shop/unsigned', 'shop/wrong', 'shop/stolen'].map(repo);
    writeFileSync(
      join(dir, 'notation/trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'team',
            registryScopes: strict,
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:team'],
            trustedIdentities: ['x509.subject: C=US, ST=WA, L=Seattle, O=notary-pin test, CN=signer'],
          },
          { name: 'legacy', registryScopes: [repo('shop/skipped')], signatureVerification: { level: 'skip' } },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'notary-pin.yaml'),
      [
        'apiVersion: notary-pin.dev/v1alpha1',
        'kind: NotaryPin',
        'spec:',
        '  registries:',
        `  - host: ${registry.host}`,
        '    plainHTTP: true',
        '  trust:',
        '  - name: notation-signed',
        `    images: ["${registry.host}/**"]`,
        '    notation:',
        '      trustPolicy: notation/trustpolicy.json',
        '      trustStore: notation/truststore',
        '',
      ].join('\n'),
    );
    cli = await bundle;
  }, 300_000);

  afterAll(async () => {
    await cli?.cleanup();
    await registry?.daemon.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    unregister?.();
  });

  /** The built CLI over a plain stream file, with a HOME that has no notation or docker config. */
  async function runCli(images: readonly string[], extra: string[] = []) {
    const input = join(dir, `in-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(input, stream(images));
    return cli.run(['--config', join(dir, 'notary-pin.yaml'), '-i', input, ...extra], { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }, timeoutMs: 60_000 });
  }

  describe('the built CLI', () => {
    it('pins JWS (current form) and COSE (legacy form) signed images to exactly repo:tag@<registry digest>', async () => {
      const r = await runCli([`${repo('shop/web')}:1.4.2`, `${repo('shop/migrate')}:1`]);
      expect(r.stderr).not.toContain('FAILED');
      expect(r.code).toBe(0);
      const pinned = [...r.stdout.matchAll(/image: (\S+)/g)].map((m) => m[1]);
      expect(pinned).toEqual([`${repo('shop/web')}:1.4.2@${img['shop/web']!.digest}`, `${repo('shop/migrate')}:1@${img['shop/migrate']!.digest}`]);
      expect(r.stderr).toContain('(CN=signer, O=notary-pin test, L=Seattle, ST=WA, C=US (Notation, notary.x509))');
    });

    it('a ResourceList with the config as functionConfig: items pinned, results name the Notation signer', async () => {
      const fc = {
        apiVersion: 'notary-pin.dev/v1alpha1',
        kind: 'NotaryPin',
        spec: {
          registries: [{ host: registry.host, plainHTTP: true }],
          trust: [{ images: [`${registry.host}/**`], notation: { trustPolicy: join(dir, 'notation/trustpolicy.json'), trustStore: join(dir, 'notation/truststore') } }],
        },
      };
      const items = `${stream([`${repo('shop/migrate')}:1`]).trimEnd().replace(/^/gm, '  ')}\n`.replace(/^ {2}apiVersion: apps/m, '- apiVersion: apps');
      const input = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}functionConfig: ${JSON.stringify(fc)}\n`;
      const r = await cli.run([], { input, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') } });
      expect(r.code).toBe(0);
      const list = parseList(r.stdout);
      expect(imagesIn(list.items)).toEqual([`${repo('shop/migrate')}:1@${img['shop/migrate']!.digest}`]);
      expect(list.results).toEqual([
        expect.objectContaining({ severity: 'info', tags: { outcome: 'pinned', role: 'notary.x509', system: 'notation', signer: 'CN=signer, O=notary-pin test, L=Seattle, ST=WA, C=US' } }),
      ]);
    });

    it('unsigned, wrong signer, a signature of another image: failed results saying why, nothing written', async () => {
      const r = await runCli([`${repo('shop/unsigned')}:1`, `${repo('shop/wrong')}:1`, `${repo('shop/stolen')}:1`, `${repo('shop/web')}:1.4.2`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const line = (name: string) => r.stderr.split('\n').find((l) => l.startsWith('FAILED') && l.includes(`${repo(name)}:1`)) ?? '';
      expect(line('shop/unsigned')).toContain(`no Notation signature in the registry for ${repo('shop/unsigned')}@${img['shop/unsigned']!.digest}`);
      expect(line('shop/unsigned')).toContain('notation sign');
      expect(line('shop/unsigned')).toContain('[UNSIGNED]');
      expect(line('shop/wrong')).toMatch(/\[NOTATION_AUTHENTICITY\]/);
      expect(line('shop/wrong')).toContain('passes trust policy "team"');
      expect(line('shop/stolen')).toMatch(/\[NOTATION_INTEGRITY\]/);
      expect(line('shop/stolen')).toContain(img['shop/web']!.digest); // the payload names another image
    });

    it('verify mode: the signed digest passes, an unsigned digest of the same repository fails', async () => {
      const ok = await runCli([`${repo('shop/migrate')}@${img['shop/migrate']!.digest}`], ['--mode', 'verify']);
      expect(ok.code).toBe(0);
      const bad = await runCli([`${repo('shop/migrate')}:1@${img['shop/migrate:old']!.digest}`], ['--mode', 'verify']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('[UNSIGNED]');
    });

    it('a trust policy statement at level skip pins, and says loudly that nothing was verified', async () => {
      const r = await runCli([`${repo('shop/skipped')}:1`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${repo('shop/skipped')}:1@${img['shop/skipped']!.digest}`);
      expect(r.stderr).toMatch(/^UNVERIFIED pinned .*NOT VERIFIED: trust policy "legacy" is level skip/m);
    });
  });

  describe('the webhook (verify mode, production resolver)', () => {
    let webhook: ProductionWebhook;

    beforeAll(async () => {
      const spec = SpecSchema.parse({
        mode: 'verify',
        registries: [{ host: registry.host, plainHTTP: true }],
        trust: [{ images: [`${registry.host}/**`], notation: { trustPolicy: join(dir, 'notation/trustpolicy.json'), trustStore: join(dir, 'notation/truststore') } }],
      });
      webhook = await startProductionWebhook(spec, 'np-notation-webhook-');
    }, 60_000);
    afterAll(async () => {
      await webhook?.close();
    });

    const AAA = `sha256:${'a'.repeat(64)}`;
    /** The Pod fixture with its two images replaced (`web` may name another repository). */
    const review = (migrate: string, web: string, webRepo = 'shop/web:1.4.2') =>
      JSON.parse(
        fixtureText('pod-create.v1')
          .split(`shop/migrate@${AAA}`)
          .join(`shop/migrate@${migrate}`)
          .split(`shop/web:1.4.2@${AAA}`)
          .join(`${webRepo}@${web}`)
          .split('127.0.0.1:5000')
          .join(registry.host),
      );
    const post = async (body: unknown) => {
      const reply = await webhook.post(body);
      expect(reply.status).toBe(200);
      return reply.json().response;
    };

    it('admits the signed digests and denies an unsigned one, naming it', async () => {
      const ok = await post(review(img['shop/migrate']!.digest, img['shop/web']!.digest));
      expect(ok.allowed).toBe(true);
      const denied = await post(review(img['shop/migrate:old']!.digest, img['shop/web']!.digest));
      expect(denied.allowed).toBe(false);
      expect(denied.status.code).toBe(403);
      expect(denied.status.message).toContain(`shop/migrate@${img['shop/migrate:old']!.digest}`);
      expect(denied.status.message).toContain('no Notation signature in the registry');
      expect(denied.status.message).not.toContain(`shop/web:1.4.2@`);
    });

    it('a digest under a level-skip statement is admitted with a warning saying nothing was verified', async () => {
      const res = await post(review(img['shop/migrate']!.digest, img['shop/skipped']!.digest, 'shop/skipped:1'));
      expect(res.allowed).toBe(true);
      expect(res.warnings).toEqual([
        `notary-pin: admitted WITHOUT signature verification (NOT VERIFIED: trust policy "legacy" is level skip): spec.containers[0].image (container "web"): "${repo('shop/skipped')}:1@${img['shop/skipped']!.digest}"`,
      ]);
    });

    it('denies a digest whose only signature belongs to another image', async () => {
      const denied = await post(review(img['shop/migrate']!.digest, img['shop/stolen']!.digest, 'shop/stolen:1'));
      expect(denied.allowed).toBe(false);
      expect(denied.status.message).toContain('1 image(s) failed');
      expect(denied.status.message).toContain(`shop/stolen:1@${img['shop/stolen']!.digest}`);
      expect(denied.status.message).toContain('NOTATION_INTEGRITY');
    });
  });

  describe('hostile registries, through the function', () => {
    let proxy: TestServer;
    /** Forwards to the real registry, except where `override` answers. */
    let override: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;

    beforeAll(async () => {
      proxy = await startTestServer(async (req, res) => {
        if (override?.(req, res)) return;
        const upstream = await fetch(`http://${registry.host}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } });
        const headers: Record<string, string> = {};
        upstream.headers.forEach((v, k) => (headers[k] = v));
        res.writeHead(upstream.status, headers);
        res.end(req.method === 'HEAD' ? undefined : Buffer.from(await upstream.arrayBuffer()));
      });
    });
    afterAll(async () => {
      await proxy?.close();
    });

    const proxyHost = () => proxy.url.replace('http://', '');
    const spec = (): Spec =>
      SpecSchema.parse({
        registries: [{ host: proxyHost(), plainHTTP: true, timeoutSeconds: 1 }],
        trust: [
          {
            images: [`${proxyHost()}/**`],
            notation: {
              trustPolicy: { version: '1.0', trustPolicies: [{ name: 'any', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] }] },
              trustStore: join(dir, 'notation/truststore'),
            },
          },
        ],
      });
    const pin = async (image: string) => {
      const res = await runKrm(stream([image]), { resolverFor: (s) => productionResolver(s, {}), spec: spec() });
      return res;
    };

    it('through the proxy, unchanged, the signed image pins (the baseline for the rows below)', async () => {
      override = undefined;
      const r = await pin(`${proxyHost()}/shop/web:1.4.2`);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`${proxyHost()}/shop/web:1.4.2@${img['shop/web']!.digest}`);
    });

    it('a registry that serves other bytes for the digest it announces is refused (REGISTRY_DIGEST_MISMATCH), nothing written', async () => {
      const web = img['shop/web']!.digest;
      override = (req, res) => {
        if (!req.url!.endsWith('/shop/web/manifests/1.4.2')) return false;
        // no digest on HEAD (forces a GET), then the unsigned image's bytes announced as web's digest
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest, ...(req.method === 'GET' && { 'docker-content-digest': web }) });
        res.end(req.method === 'HEAD' ? undefined : (img['shop/unsigned'] as Descriptor & { bytes: Buffer }).bytes);
        return true;
      };
      const r = await pin(`${proxyHost()}/shop/web:1.4.2`);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.join('\n')).toContain('REGISTRY_DIGEST_MISMATCH');
    });

    it('a tampered signature manifest (bytes not matching its digest) fails that signature; nothing written', async () => {
      override = (req, res) => {
        if (req.url !== `/v2/shop/web/manifests/${sigs.web!.digest}` || req.method !== 'GET') return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest });
        res.end(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, layers: [] })));
        return true;
      };
      const r = await pin(`${proxyHost()}/shop/web:1.4.2`);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      const text = r.stderr.join('\n');
      expect(text).toContain(`signature ${sigs.web!.digest}`);
      expect(text).toContain('REGISTRY_DIGEST_MISMATCH');
    });

    it('a registry that stalls is bounded by registries[].timeoutSeconds: the run fails in seconds, fail closed', async () => {
      const held: ServerResponse[] = [];
      override = (req, res) => {
        if (!req.url!.includes('sha256-') && !req.url!.includes('/referrers/')) return false;
        held.push(res); // never answered
        return true;
      };
      const t0 = Date.now();
      const r = await pin(`${proxyHost()}/shop/web:1.4.2`);
      const took = Date.now() - t0;
      for (const h of held) h.destroy();
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.join('\n')).toContain('REGISTRY_FETCH');
      expect(took).toBeLessThan(15_000);
    }, 30_000);
  });
});
