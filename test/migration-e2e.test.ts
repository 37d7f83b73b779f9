/**
 * The Docker Content Trust → Notation migration path end to end: one trust rule carrying both the
 * Notary v1 fields and `notation`, run through the built CLI against the REAL notary-server and
 * docker-registry (distribution 2.8, referrers tag schema). Tags of one repository are signed with
 * the real `notary` CLI, with the project's Notation signer (the same digest), with one of them
 * only, or with each system signing a different digest for the same tag; `require: all | any`
 * (src/trust/combine.ts) decides.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Descriptor } from '../src/registry/contract.js';
import { buildCliBundle, imagesIn, parseList, type Bundle } from './support/attack/cli.js';
import { startNotaryEnv, type ImageInfo, type NotaryEnv } from './support/notary-env.js';
import { LEAF_SUBJECT, makeChain, testKey, type TestChain } from './support/notation/pki.js';
import { signEnvelope } from './support/notation/signer.js';
import { pushImage, pushSignature, type PushTarget } from './support/oci-push.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';
import { writeTrustStoreCert } from './support/notation/trust-store.js';

const REPO = 'shop/storefront';

/** A Deployment per image, as a plain YAML stream. */
const stream = (images: readonly string[]) =>
  images
    .map((image, i) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ${image}\n`)
    .join('---\n');

interface RuleOptions {
  require?: 'all' | 'any';
  enforcement?: 'warn';
}

describeWithTools(NOTARY_ENV_TOOLS, 'migration from Docker Content Trust to Notation (one rule with both systems, real servers)', () => {
  let env: NotaryEnv;
  let cli: Bundle;
  let dir: string;
  let target: PushTarget;
  let chain: TestChain;
  /** Per tag: what the registry's tag points to now. */
  const img: Record<string, Descriptor> = {};
  /** Tag `split`: the digest Notary v1 signed (the registry's tag has moved on since). */
  let splitV1: ImageInfo;

  const ref = (tag: string) => `${env.registryHost}/${REPO}:${tag}`;
  const pinned = (tag: string) => `${ref(tag)}@${img[tag]!.digest}`;

  /** A subject descriptor for an image env.sign pushed (the registry serves its manifest bytes as signed). */
  const subjectOf = (i: ImageInfo): Descriptor => ({ mediaType: (JSON.parse(i.manifest.toString('utf8')) as { mediaType: string }).mediaType, digest: i.digest, size: i.length });

  /** Signs `subject` with the trusted chain and pushes the signature as notation does (manifest, referrers tag). */
  async function notationSign(subject: Descriptor): Promise<void> {
    const e = signEnvelope({ format: 'jws', subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, chain: chain.chain });
    await pushSignature(target, REPO, subject, { form: 'artifactType', envelope: e.envelope, envelopeMediaType: e.mediaType });
  }

  beforeAll(async () => {
    [env, cli] = await Promise.all([startNotaryEnv({ readyTimeoutMs: 30_000 }), buildCliBundle()]);
    dir = await mkdtemp(join(tmpdir(), 'np-migration-e2e-'));
    target = { url: env.registryUrl };
    chain = makeChain(testKey('rsa2048'));

    // Notary v1 (the real notary CLI): `both`, `v1-only`, and `split` at digest A.
    for (const tag of ['both', 'v1-only']) {
      const i = await env.sign(REPO, tag);
      img[tag] = subjectOf(i);
    }
    splitV1 = await env.sign(REPO, 'split');
    // Pushed after: `notation-only`, and `split` again (the registry's tag now names digest B).
    img['notation-only'] = await pushImage(target, REPO, 'notation-only');
    img.split = await pushImage(target, REPO, 'split');
    expect(img.split.digest).not.toBe(splitV1.digest);
    // Notation: the same digest as Notary v1 for `both`; `notation-only`; `split` at B only.
    for (const tag of ['both', 'notation-only', 'split']) await notationSign(img[tag]!);

    // Trust store and strict trust policy in notation's layout and format.
    writeTrustStoreCert(join(dir, 'notation/truststore'), 'ca', 'team', chain.root.der);
    writeFileSync(
      join(dir, 'notation/trustpolicy.json'),
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'storefront',
            registryScopes: [`${env.registryHost}/${REPO}`],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:team'],
            trustedIdentities: [`x509.subject: ${LEAF_SUBJECT}`],
          },
        ],
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await env?.stop();
    await cli?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The config: one rule for the repository with the Notary v1 fields AND notation. */
  function config(o: RuleOptions = {}, mode: 'pin' | 'verify' = 'pin'): Record<string, unknown> {
    const rule: Record<string, unknown> = {
      name: 'storefront',
      images: [env.gunOf(REPO)],
      server: env.notaryUrl,
      ca: env.caFile,
      rootKeys: env.rootKeyIds[env.gunOf(REPO)],
      timeoutSeconds: 10,
      notation: { trustPolicy: join(dir, 'notation/trustpolicy.json'), trustStore: join(dir, 'notation/truststore') },
    };
    if (o.require !== undefined) rule.require = o.require;
    if (o.enforcement !== undefined) rule.enforcement = o.enforcement;
    return { mode, registries: [{ host: env.registryHost, plainHTTP: true, timeoutSeconds: 10 }], trust: [rule] };
  }

  /** The built CLI over a plain stream file, with a HOME that has no notation, docker or notary config. */
  async function runCli(images: readonly string[], o: RuleOptions = {}, mode: 'pin' | 'verify' = 'pin') {
    const name = Math.random().toString(36).slice(2);
    const cfg = join(dir, `config-${name}.yaml`);
    writeFileSync(cfg, stringify({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: config(o, mode) }));
    const input = join(dir, `in-${name}.yaml`);
    const text = stream(images);
    writeFileSync(input, text);
    const r = await cli.run(['--config', cfg, '-i', input], { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }, timeoutMs: 60_000 });
    return { ...r, input: text };
  }

  /** The same through a ResourceList with the config as functionConfig (results carry the wording). */
  async function runList(image: string, o: RuleOptions = {}) {
    const items = `${stream([image]).trimEnd().replace(/^/gm, '  ')}\n`.replace(/^ {2}apiVersion: apps/m, '- apiVersion: apps');
    const fc = { apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: config(o) };
    const input = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}functionConfig: ${JSON.stringify(fc)}\n`;
    const r = await cli.run([], { input, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }, timeoutMs: 60_000 });
    return { ...r, list: parseList(r.stdout), sent: parseList(input) };
  }

  const signerText = `CN=signer, O=notary-pin test, L=Seattle, ST=WA, C=US (Notation, notary.x509)`;
  const line = (stderr: string, prefix: string) => stderr.split('\n').filter((l) => l.startsWith(prefix));

  it('signed by both for the same digest: require all (and require omitted) pins it, saying both verified it', async () => {
    for (const o of [{ require: 'all' }, {}] as const) {
      const r = await runCli([ref('both')], o);
      expect(r.stderr).not.toContain('FAILED');
      expect(r.code).toBe(0);
      expect([...r.stdout.matchAll(/image: (\S+)/g)].map((m) => m[1])).toEqual([pinned('both')]);
      expect(line(r.stderr, 'pinned')).toEqual([`pinned    ${ref('both')} -> ${pinned('both')} (${signerText}; Notary v1 (targets) and Notation both verified it (require: all))  <- Deployment d0 spec.template.spec.containers[0].image`]);
    }
    const list = await runList(ref('both'), { require: 'all' });
    expect(list.code).toBe(0);
    expect(imagesIn(list.list.items)).toEqual([pinned('both')]);
    expect(list.list.results).toEqual([
      expect.objectContaining({
        severity: 'info',
        message: `${ref('both')}: pinned to ${img.both!.digest} (signed by ${signerText}; Notary v1 (targets) and Notation both verified it (require: all))`,
        tags: expect.objectContaining({ outcome: 'pinned', system: 'notation', via: 'Notary v1 (targets) and Notation both verified it (require: all)' }),
      }),
    ]);
  }, 120_000);

  /** The Notation side's words for a digest with no signature (the notation resolver's message). */
  const noNotationSignature = (digest: string) => `no Notation signature in the registry for ${env.registryHost}/${REPO}@${digest}`;
  const failedLines = (stderr: string) => line(stderr, 'FAILED');

  it('signed only with Notary v1: require all fails naming Notation (no signature), nothing written; require any pins, saying Notation did not', async () => {
    const all = await runCli([ref('v1-only')], { require: 'all' });
    expect(all.code).toBe(1);
    expect(all.stdout).toBe(''); // a plain stream: nothing is written when the run fails
    const [failed, ...others] = failedLines(all.stderr);
    expect(others).toEqual([]);
    expect(failed).toContain(`FAILED    ${ref('v1-only')}: Notation (require: all): ${noNotationSignature(img['v1-only']!.digest)};`);
    expect(failed).toMatch(/\[UNSIGNED\] {2}<- Deployment d0 /);
    expect(all.stderr).toContain('0 would pin (not written: the run failed)');

    // A ResourceList comes back with its items as they were, plus the error result.
    const list = await runList(ref('v1-only'), { require: 'all' });
    expect(list.code).toBe(1);
    expect(list.list.items).toEqual(list.sent.items);
    expect(imagesIn(list.list.items)).toEqual([ref('v1-only')]);
    expect(list.list.results).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringContaining(`${ref('v1-only')}: Notation (require: all): ${noNotationSignature(img['v1-only']!.digest)}`), tags: { code: 'UNSIGNED' } }),
    ]);

    const any = await runCli([ref('v1-only')], { require: 'any' });
    expect(any.code).toBe(0);
    expect([...any.stdout.matchAll(/image: (\S+)/g)].map((m) => m[1])).toEqual([pinned('v1-only')]);
    expect(line(any.stderr, 'pinned')).toEqual([
      `pinned    ${ref('v1-only')} -> ${pinned('v1-only')} (targets; Notary v1 verified it (require: any; Notation did not: UNSIGNED))  <- Deployment d0 spec.template.spec.containers[0].image`,
    ]);
  }, 120_000);

  it('signed only with Notation: require all fails naming Notary v1 (tag not signed), nothing written; require any pins, saying Notary v1 did not', async () => {
    const all = await runCli([ref('notation-only')], { require: 'all' });
    expect(all.code).toBe(1);
    expect(all.stdout).toBe('');
    const [failed, ...others] = failedLines(all.stderr);
    expect(others).toEqual([]);
    expect(failed).toContain(`FAILED    ${ref('notation-only')}: Notary v1 (require: all): tag notation-only of ${env.gunOf(REPO)} is not signed by any of targets/releases, targets;`);
    expect(failed).toMatch(/\[UNSIGNED\] {2}<- Deployment d0 /);

    const any = await runCli([ref('notation-only')], { require: 'any' });
    expect(any.code).toBe(0);
    expect([...any.stdout.matchAll(/image: (\S+)/g)].map((m) => m[1])).toEqual([pinned('notation-only')]);
    expect(line(any.stderr, 'pinned')).toEqual([
      `pinned    ${ref('notation-only')} -> ${pinned('notation-only')} (${signerText}; Notation verified it (require: any; Notary v1 did not: UNSIGNED))  <- Deployment d0 spec.template.spec.containers[0].image`,
    ]);
  }, 120_000);

  it('the two systems sign different digests for the tag: pinning it is DIGEST_MISMATCH under require all and any, nothing written; verify mode under all passes neither digest, under any only the one nothing contradicts', async () => {
    expect(splitV1.digest).not.toBe(img.split!.digest);
    for (const require of ['all', 'any'] as const) {
      const r = await runCli([ref('split')], { require });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const [failed, ...others] = failedLines(r.stderr);
      expect(others).toEqual([]);
      expect(failed).toContain(
        `FAILED    ${ref('split')}: Notary v1 signs ${splitV1.digest} for ${ref('split')} but Notation signs ${img.split!.digest} (the rule requires both to agree); hint: find which system signs the wrong image for this tag and sign the tag again for the image it should name (notary add + notary publish, or notation sign that digest), so both name the same digest [DIGEST_MISMATCH]`,
      );
      expect(r.stderr).toContain('notary-pin: 1 image field in 1 resource: 0 would pin (not written: the run failed), 0 verified, 0 excluded, 1 failed');
    }
    // verify mode, require all: neither digest passes; each fails naming the system that does not sign it.
    const a = await runCli([`${ref('split')}@${splitV1.digest}`], { require: 'all' }, 'verify');
    expect(a.code).toBe(1);
    expect(a.stdout).toBe('');
    expect(failedLines(a.stderr)).toEqual([expect.stringContaining(`Notation (require: all): ${noNotationSignature(splitV1.digest)};`)]);
    const b = await runCli([`${ref('split')}@${img.split!.digest}`], { require: 'all' }, 'verify');
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
    expect(failedLines(b.stderr)).toEqual([
      expect.stringContaining(`Notary v1 (require: all): ${ref('split')}@${img.split!.digest}: targets signs ${splitV1.digest} for tag split of ${env.gunOf(REPO)}, not ${img.split!.digest};`),
    ]);
    expect(b.stderr).toMatch(/\[DIGEST_MISMATCH\] {2}<- Deployment d0 /);
    // verify mode, require any (the webhook's view): Notary v1 contradicting B (it signs A for the tag)
    // outweighs Notation's pass, as the pin-mode disagreement above; A passes (Notation only lacks a signature on A).
    const anyB = await runCli([`${ref('split')}@${img.split!.digest}`], { require: 'any' }, 'verify');
    expect(anyB.code).toBe(1);
    expect(anyB.stdout).toBe('');
    expect(failedLines(anyB.stderr)).toEqual([
      expect.stringContaining(`Notary v1 (require: any; a contradiction, not a missing signature): ${ref('split')}@${img.split!.digest}: targets signs ${splitV1.digest} for tag split`),
    ]);
    const anyA = await runCli([`${ref('split')}@${splitV1.digest}`], { require: 'any' }, 'verify');
    expect(anyA.code).toBe(0);
    expect(anyA.stdout).toBe(anyA.input);
    expect(anyA.stderr).toContain('Notary v1 verified it (require: any; Notation did not: UNSIGNED)');
  }, 120_000);

  it('verify mode on the image both signed, pinned as repo:tag@digest and as repo@digest: exit 0, output unchanged, both verified it', async () => {
    for (const image of [pinned('both'), `${env.registryHost}/${REPO}@${img.both!.digest}`]) {
      const r = await runCli([image], {}, 'verify');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(r.input);
      expect(line(r.stderr, 'verified')).toEqual([`verified  ${image} (${signerText}; Notary v1 (targets) and Notation both verified it (require: all))  <- Deployment d0 spec.template.spec.containers[0].image`]);
    }
  }, 120_000);

  it('enforcement: warn on the rule, signed only with Notary v1 under require all: exit 0, a NOT ENFORCED warning naming Notation, the field left as written', async () => {
    const r = await runCli([ref('v1-only')], { require: 'all', enforcement: 'warn' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(r.input); // not pinned: the field is left as written
    const [warned, ...others] = line(r.stderr, 'NOT ENFORCED');
    expect(others).toEqual([]);
    expect(warned).toContain(`NOT ENFORCED ${ref('v1-only')}: Notation (require: all): ${noNotationSignature(img['v1-only']!.digest)};`);
    expect(warned).toMatch(/\[UNSIGNED; enforcement: warn on rule storefront\] {2}<- Deployment d0 /);
    expect(failedLines(r.stderr)).toEqual([]);

    const list = await runList(ref('v1-only'), { require: 'all', enforcement: 'warn' });
    expect(list.code).toBe(0);
    expect(list.list.items).toEqual(list.sent.items);
    expect(imagesIn(list.list.items)).toEqual([ref('v1-only')]);
    expect(list.list.results).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining(`${ref('v1-only')}: NOT ENFORCED (enforcement: warn on rule storefront): Notation (require: all): ${noNotationSignature(img['v1-only']!.digest)}`),
        tags: { code: 'UNSIGNED', outcome: 'not-enforced', enforcement: 'warn', rule: 'storefront' },
      }),
    ]);
  }, 120_000);
});
