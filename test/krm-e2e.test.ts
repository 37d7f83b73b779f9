/**
 * The KRM function end to end against the REAL notary-server and registry: trust data signed by the
 * real notary CLI in `targets`, in a `targets/releases` delegation, with a server-held (rotated)
 * snapshot key, an unsigned repository and an unsigned tag in a signed repository. Run through
 * `runKrm` with the production resolver and through the built CLI as a subprocess.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { productionResolver } from '../src/cli/resolver.js';
import { SpecSchema, type Spec } from '../src/config/schema.js';
import { runKrm } from '../src/krm/run.js';
import { buildCliBundle, errorsOf, imagesIn, parseList, parseStream, type Bundle } from './support/attack/cli.js';
import { run } from './support/exec.js';
import { startNotaryEnv, TEST_PASSPHRASE, type NotaryEnv } from './support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

const WEB = 'acme/web:1.0'; // signed in targets
const WEB_NIGHTLY = 'acme/web:nightly'; // pushed, never signed, in a signed repository
const API = 'acme/api:2.0'; // signed in targets/releases
const ROT = 'acme/rot:v1'; // signed in targets, snapshot key held by the server (root v2)
const UNSIGNED = 'acme/unsigned:0.1'; // no trust data at all
const TOFU = 'acme/tofu:1.0'; // signed; its root is replaced later by a different one

/** Resolver with an empty environment (no DOCKER_CONTENT_TRUST_SERVER, no debug). */
const resolverFor = (spec: Spec) => productionResolver(spec, {});

describeWithTools(NOTARY_ENV_TOOLS, 'KRM function end to end (real notary-server, registry, notary CLI)', () => {
  let env: NotaryEnv;
  let bundle: Bundle;
  let work: string;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([
      startNotaryEnv({
        repos: [
          { name: 'acme/web', tags: ['1.0'], sign: 'targets', unsignedTags: ['nightly'] },
          { name: 'acme/api', tags: ['2.0'], sign: 'releases' },
          { name: 'acme/rot', tags: ['v1'], sign: 'targets', rotateSnapshot: true },
          { name: 'acme/unsigned', tags: ['0.1'], sign: 'none' },
          { name: 'acme/tofu', tags: ['1.0'], sign: 'targets' },
        ],
      }),
      buildCliBundle(),
    ]);
    work = await mkdtemp(join(tmpdir(), 'notary-pin-krm-e2e-'));
  }, 300_000);

  afterAll(async () => {
    await env?.stop();
    await bundle?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ref = (key: string) => env.images[key]!.reference;
  const pinnedRef = (key: string) => `${env.images[key]!.reference}@${env.images[key]!.digest}`;
  const repoOf = (key: string) => key.slice(0, key.indexOf(':'));

  /** One rule per GUN with its own root key IDs pinned; the unsigned GUN pins the web root's. */
  function specObject(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const rule = (repo: string, keysOf = repo) => ({
      name: repo,
      images: [`${env.gunOf(repo)}`],
      server: env.notaryUrl,
      ca: env.caFile,
      rootKeys: env.rootKeyIds[env.gunOf(keysOf)],
      timeoutSeconds: 10,
    });
    return {
      mode: 'pin',
      trust: [rule('acme/web'), rule('acme/api'), rule('acme/rot'), rule('acme/unsigned', 'acme/web')],
      ...extra,
    };
  }
  const fnConfig = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'notary-pin.dev/v1alpha1',
    kind: 'NotaryPin',
    metadata: { name: 'pin' },
    spec: specObject(extra),
  });

  /** Deployment (two containers), CronJob and Pod, with comments, as YAML items (indented for a list). */
  function workloads(images: { web: string; api: string; rot: string; pod: string }): string {
    return `# head comment of the web Deployment
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'deploy/web.yaml'
  spec:
    replicas: 2 # two replicas
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: web
          image: ${images.web} # the front end
        - name: api
          # the API, signed in targets/releases
          image: "${images.api}"
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: report
    namespace: shop
  spec:
    schedule: "0 3 * * *" # nightly
    jobTemplate:
      spec:
        template:
          spec:
            restartPolicy: OnFailure
            containers:
            - name: report
              image: ${images.rot}
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: shop
  spec:
    initContainers:
    - name: init
      image: ${images.web}
    containers:
    - name: main
      image: ${images.pod} # the pod's image
`;
  }

  function resourceList(items: string, config: unknown = fnConfig()): string {
    const cfg = stringify({ functionConfig: config }).trimEnd();
    return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}${cfg}\n`;
  }

  const goodImages = () => ({ web: ref(WEB), api: ref(API), rot: ref(ROT), pod: ref(WEB) });
  const badImages = () => ({ web: ref(WEB), api: ref(API), rot: ref(UNSIGNED), pod: ref(WEB_NIGHTLY) });

  function expectPinned(text: string): void {
    const out = parseList(text);
    const [deploy, cron, pod] = out.items;
    expect(deploy!.spec.template.spec.containers.map((c: any) => c.image)).toEqual([pinnedRef(WEB), pinnedRef(API)]);
    expect(cron!.spec.jobTemplate.spec.template.spec.containers[0].image).toBe(pinnedRef(ROT));
    expect(pod!.spec.initContainers[0].image).toBe(pinnedRef(WEB));
    expect(pod!.spec.containers[0].image).toBe(pinnedRef(WEB));
    // EXACTLY the registry's digests, and each differs from the others
    expect(new Set([WEB, API, ROT].map((k) => env.images[k]!.digest)).size).toBe(3);
    for (const img of imagesIn(out.items)) expect(img).toMatch(/^127\.0\.0\.1:\d+\/acme\/[a-z]+:[\w.]+@sha256:[0-9a-f]{64}$/);
    // comments and other fields are preserved
    for (const c of ['# head comment of the web Deployment', '# two replicas', '# the front end', '# the API, signed in targets/releases', '# nightly', "# the pod's image"]) {
      expect(text).toContain(c);
    }
    expect(deploy!.spec.replicas).toBe(2);
    expect(cron!.spec.schedule).toBe('0 3 * * *');
    expect(errorsOf(out)).toEqual([]);
  }

  function expectFailedUnchanged(text: string, inputText: string): void {
    const out = parseList(text);
    const input = parseList(inputText);
    expect(out.items).toEqual(input.items); // nothing lost, nothing pinned
    const errors = errorsOf(out);
    expect(errors).toHaveLength(2);
    const unsignedRepo = errors.find((e) => e.message.includes(ref(UNSIGNED)));
    expect(unsignedRepo).toMatchObject({
      resourceRef: { apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', namespace: 'shop' },
      field: { path: 'spec.jobTemplate.spec.template.spec.containers[0].image', currentValue: ref(UNSIGNED) },
    });
    expect(unsignedRepo!.tags?.code).toMatch(/^(TRUST_NOT_FOUND|UNSIGNED)$/);
    const unsignedTag = errors.find((e) => e.message.includes(ref(WEB_NIGHTLY)));
    expect(unsignedTag).toMatchObject({
      resourceRef: { apiVersion: 'v1', kind: 'Pod', name: 'debug', namespace: 'shop' },
      field: { path: 'spec.containers[0].image', currentValue: ref(WEB_NIGHTLY) },
      tags: { code: 'UNSIGNED' },
    });
    expect(unsignedTag!.message).toMatch(/hint:/);
    expect(unsignedRepo!.message).toMatch(/hint:/);
  }

  it('runKrm + production resolver: pins signed tags (targets, targets/releases, rotated snapshot) to the registry digests', async () => {
    const input = resourceList(workloads(goodImages()));
    const res = await runKrm(input, { resolverFor });
    expect(res.stderr.join('\n')).toContain('5 image fields in 3 resources: 5 pinned');
    expect(res.exitCode).toBe(0);
    expectPinned(res.stdout);
    const roles = Object.fromEntries(res.outcomes.map((o) => [String(o.use.image), o.status === 'pinned' ? o.resolution.role : o.status]));
    expect(roles).toEqual({ [ref(WEB)]: 'targets', [ref(API)]: 'targets/releases', [ref(ROT)]: 'targets' });
    // the file annotations survive
    expect(parseList(res.stdout).items[0]!.metadata.annotations['internal.config.kubernetes.io/path']).toBe('deploy/web.yaml');
  });

  it('runKrm: an unsigned repository and an unsigned tag fail with results naming image, resource and field; items unchanged', async () => {
    const input = resourceList(workloads(badImages()));
    const res = await runKrm(input, { resolverFor });
    expect(res.exitCode).toBe(1);
    expectFailedUnchanged(res.stdout, input);
    expect(res.stdout).toContain('# the front end');
  });

  it('enforcement: warn on the rule for shop (a namespaced rule) pins the signed images and reports the unsigned ones as not enforced; exit 0', async () => {
    const base = specObject();
    const warnShop = (base.trust as Record<string, unknown>[]).map((r) => ({ ...r, name: `${String(r.name)} (shop)`, namespaces: ['shop'], enforcement: 'warn' }));
    const config = { ...fnConfig(), spec: { ...base, trust: [...warnShop, ...(base.trust as unknown[])] } };
    const input = resourceList(workloads(badImages()), config);
    const res = await runKrm(input, { resolverFor });
    expect(res.exitCode).toBe(0);
    const out = parseList(res.stdout);
    const [deploy, cron, pod] = out.items;
    expect(deploy!.spec.template.spec.containers.map((c: any) => c.image)).toEqual([pinnedRef(WEB), pinnedRef(API)]);
    expect(cron!.spec.jobTemplate.spec.template.spec.containers[0].image).toBe(ref(UNSIGNED)); // left as written
    expect(pod!.spec.containers[0].image).toBe(ref(WEB_NIGHTLY));
    expect(errorsOf(out)).toEqual([]);
    const notEnforced: any[] = (out.results ?? []).filter((r: any) => r.tags?.outcome === 'not-enforced');
    expect(notEnforced.map((r: any) => [r.severity, r.field.currentValue, r.tags.enforcement]).sort()).toEqual(
      [['warning', ref(UNSIGNED), 'warn'], ['warning', ref(WEB_NIGHTLY), 'warn']].sort(),
    );
    expect(notEnforced.find((r: any) => r.field.currentValue === ref(WEB_NIGHTLY)).message).toContain('NOT ENFORCED (enforcement: warn on rule acme/web (shop))');
    // in another namespace the namespaced rules do not apply: the later (enforced) rules fail the run
    const elsewhere = await runKrm(input.split('namespace: shop').join('namespace: prod'), { resolverFor });
    expect(elsewhere.exitCode).toBe(1);
    expect(errorsOf(parseList(elsewhere.stdout))).toHaveLength(2);
  });

  it('the built CLI (stdin → stdout, exit code) pins the same digests and fails closed the same way', async () => {
    const good = await bundle.run([], { input: resourceList(workloads(goodImages())) });
    expect(good.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(good.code).toBe(0);
    expectPinned(good.stdout);
    expect(good.stderr).toContain('5 pinned');

    const badInput = resourceList(workloads(badImages()));
    const bad = await bundle.run([], { input: badInput });
    expect(bad.code).toBe(1);
    expectFailedUnchanged(bad.stdout, badInput);
    expect(bad.stderr).toContain('FAILED');
    expect(bad.stderr).toContain(ref(WEB_NIGHTLY));
  });

  it('verify mode over the pinned output passes and changes nothing; over tags it fails with NOT_PINNED', async () => {
    const pinned = await runKrm(resourceList(workloads(goodImages())), { resolverFor });
    expect(pinned.exitCode).toBe(0);
    const verified = await runKrm(pinned.stdout, { resolverFor, overrides: { mode: 'verify' } });
    expect(verified.exitCode).toBe(0);
    expect(parseList(verified.stdout).items).toEqual(parseList(pinned.stdout).items);
    expect(verified.outcomes.every((o) => o.status === 'verified')).toBe(true);

    const cli = await bundle.run(['--mode', 'verify'], { input: pinned.stdout });
    expect(cli.code).toBe(0);
    expect(parseList(cli.stdout).items).toEqual(parseList(pinned.stdout).items);

    const tags = await runKrm(resourceList(workloads(goodImages())), { resolverFor, overrides: { mode: 'verify' } });
    expect(tags.exitCode).toBe(1);
    expect(errorsOf(parseList(tags.stdout)).map((e) => e.tags?.code)).toEqual(Array(5).fill('NOT_PINNED'));

    // a digest that is in the registry but signed for nothing: UNSIGNED in verify mode
    const nightly = `${env.gunOf('acme/web')}@${env.images[WEB_NIGHTLY]!.digest}`;
    const forged = await runKrm(pinned.stdout.split(pinnedRef(ROT)).join(nightly), { resolverFor, overrides: { mode: 'verify' } });
    expect(forged.exitCode).toBe(1);
    expect(errorsOf(parseList(forged.stdout)).map((e) => [e.tags?.code, e.field?.path])).toEqual([
      ['UNSIGNED', 'spec.jobTemplate.spec.template.spec.containers[0].image'],
    ]);
  });

  it('plain stream with --config FILE: pinned stream out; on failure nothing on stdout, exit 1', async () => {
    const cfgFile = join(work, 'notary-pin.yaml');
    await writeFile(cfgFile, stringify(fnConfig({ reference: 'digest' })));
    const asStream = (imgs: ReturnType<typeof goodImages>) =>
      parseStream(`items:\n${workloads(imgs)}`)
        .flatMap((d) => d.items as object[])
        .map((o) => stringify(o))
        .join('---\n');
    const good = asStream(goodImages());
    const res = await runKrm(good, { resolverFor, configFile: cfgFile });
    expect(res.exitCode).toBe(0);
    const docs = parseStream(res.stdout);
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'CronJob', 'Pod']);
    expect(imagesIn(docs)).toEqual([WEB, API, ROT, WEB, WEB].map((k) => `${env.gunOf(repoOf(k))}@${env.images[k]!.digest}`));
    expect(res.stdout).not.toContain('ResourceList');

    const cli = await bundle.run(['--config', cfgFile], { input: good });
    expect(cli.code).toBe(0);
    expect(parseStream(cli.stdout)).toEqual(docs);

    const bad = await bundle.run(['--config', cfgFile], { input: asStream(badImages()) });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(ref(UNSIGNED));
    expect(bad.stderr).toContain(ref(WEB_NIGHTLY));

    const out = join(work, 'out.yaml');
    const toFile = await bundle.run(['--config', cfgFile, '-o', out, '-q'], { input: good });
    expect([toFile.code, toFile.stdout, toFile.stderr]).toEqual([0, '', '']);
  });

  it('rootKeys pinning: the GUN root key IDs pass, another GUN\'s are refused with TRUST_ROOT_UNTRUSTED naming the IDs', async () => {
    const ok = await runKrm(resourceList(workloads(goodImages())), { resolverFor });
    expect(ok.exitCode).toBe(0);
    const spec = specObject();
    const trust = spec.trust as Record<string, unknown>[];
    trust[0] = { ...trust[0], rootKeys: env.rootKeyIds[env.gunOf('acme/api')] }; // web pinned to api's root
    const input = resourceList(workloads(goodImages()), { ...fnConfig(), spec });
    const res = await runKrm(input, { resolverFor });
    expect(res.exitCode).toBe(1);
    const out = parseList(res.stdout);
    expect(out.items).toEqual(parseList(input).items);
    const errors = errorsOf(out);
    expect(errors.length).toBe(3); // the three uses of the web image
    for (const e of errors) {
      expect(e.tags).toMatchObject({ code: 'TRUST_ROOT_UNTRUSTED', role: 'root' });
      expect(e.message).toContain(env.rootKeyIds[env.gunOf('acme/web')]![0]!);
      expect(e.message).toMatch(/hint:/);
    }
  });

  it('TOFU with a cacheDir: the first run stores the root; a different root for that GUN is refused later', async () => {
    const cacheDir = join(work, 'tofu-cache');
    const tofuSpec = (): Record<string, unknown> => ({
      cacheDir,
      trust: [{ images: [env.gunOf('acme/tofu')], server: env.notaryUrl, ca: env.caPem, tofu: true }],
    });
    const items = `- apiVersion: v1
  kind: Pod
  metadata: {name: tofu}
  spec:
    containers:
    - name: c
      image: ${ref(TOFU)}
`;
    const cfg = { apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: tofuSpec() };
    // without TOFU the unpinned root is refused, and nothing is stored
    const noTofu = await runKrm(resourceList(items, { ...cfg, spec: { ...tofuSpec(), trust: [{ ...(tofuSpec().trust as object[])[0], tofu: false }] } }), { resolverFor });
    expect(noTofu.exitCode).toBe(1);
    expect(errorsOf(parseList(noTofu.stdout))[0]!.tags?.code).toBe('TRUST_ROOT_UNTRUSTED');

    const first = await runKrm(resourceList(items, cfg), { resolverFor });
    expect(first.exitCode).toBe(0);
    expect(imagesIn(parseList(first.stdout).items)).toEqual([pinnedRef(TOFU)]);
    expect((await readdir(join(cacheDir, 'tofu'))).length).toBe(1);
    const again = await runKrm(resourceList(items, cfg), { resolverFor });
    expect(again.exitCode).toBe(0);

    // Replace the GUN's trust data on the server with a new root key (not signed by the old one).
    const otherTrust = join(work, 'other-trust');
    const del = await env.notary(['delete', env.gunOf('acme/tofu'), '--remote']);
    expect(del.code, del.stderr).toBe(0);
    const manifest = join(work, 'tofu.manifest.json');
    await writeFile(manifest, env.images[TOFU]!.manifest);
    for (const args of [['init', env.gunOf('acme/tofu')], ['add', env.gunOf('acme/tofu'), '1.0', manifest], ['publish', env.gunOf('acme/tofu')]]) {
      const r = await env.notary(args, { trustDir: otherTrust });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const newRoot = parse((await env.fetchMetadata(env.gunOf('acme/tofu'), 'root')).toString('utf8')) as { signed: { roles: { root: { keyids: string[] } } } };
    expect(newRoot.signed.roles.root.keyids).not.toEqual(env.rootKeyIds[env.gunOf('acme/tofu')]);

    // a fresh cache would accept it (TOFU), the stored root refuses it
    const fresh = await runKrm(resourceList(items, { ...cfg, spec: { ...tofuSpec(), cacheDir: join(work, 'tofu-cache-2') } }), { resolverFor });
    expect(fresh.exitCode).toBe(0);
    const input = resourceList(items, cfg);
    const refused = await runKrm(input, { resolverFor });
    expect(refused.exitCode).toBe(1);
    const out = parseList(refused.stdout);
    expect(out.items).toEqual(parseList(input).items);
    const [e] = errorsOf(out);
    // same root version, other content: a fork of the trusted root
    expect(e!.tags).toEqual({ code: 'TRUST_ROLLBACK', role: 'root' });
    expect(e!.message).toContain('differs from the trusted root');
    expect(e!.message).toMatch(/hint:/);

    // a higher root version that does not chain from the stored root (rotated by the new owner)
    const rot = await run('notary', ['-s', env.notaryUrl, '--tlscacert', env.caFile, '-d', otherTrust, 'key', 'rotate', env.gunOf('acme/tofu'), 'root'], {
      input: 'yes\n',
      env: { NOTARY_ROOT_PASSPHRASE: TEST_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE: TEST_PASSPHRASE, NOTARY_SNAPSHOT_PASSPHRASE: TEST_PASSPHRASE },
      timeoutMs: 30_000,
    });
    expect(rot.code, rot.stderr).toBe(0);
    const v2 = parse((await env.fetchMetadata(env.gunOf('acme/tofu'), 'root')).toString('utf8')) as { signed: { version: number } };
    expect(v2.signed.version).toBe(2);
    const refused2 = await runKrm(input, { resolverFor });
    expect(refused2.exitCode).toBe(1);
    const out2 = parseList(refused2.stdout);
    expect(out2.items).toEqual(parseList(input).items);
    const [e2] = errorsOf(out2);
    expect(e2!.tags?.code).toMatch(/^TRUST_(ROOT_UNTRUSTED|SIGNATURE)$/);
    expect(e2!.tags?.role).toBe('root');
    expect(e2!.message).toMatch(/hint:/);
  });

  it('spec validation applies to the real config (an unknown field is CONFIG_INVALID; items unchanged)', async () => {
    const input = resourceList(workloads(goodImages()), fnConfig({ trsut: [] }));
    const res = await runKrm(input, { resolverFor });
    expect(res.exitCode).toBe(1);
    const out = parseList(res.stdout);
    expect(out.items).toEqual(parseList(input).items);
    expect(errorsOf(out)[0]!.tags?.code).toBe('CONFIG_INVALID');
    expect(errorsOf(out)[0]!.message).toContain('trsut');
    expect(() => SpecSchema.parse(specObject())).not.toThrow();
  });
});
