/**
 * The Argo CD kit: the CMP generate command run exactly as argocd-cmp-server runs it (the command
 * from plugin.yaml, cwd = the application path, the ARGOCD_APP_* / ARGOCD_ENV_* / PARAM_* /
 * ARGOCD_APP_PARAMETERS environment) against a real notary-server, and the sidecar component
 * rendered with the real kubectl kustomize.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { renderLock } from '../../src/krm/lockfile.js';
import { run, type RunResult } from '../support/exec.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from '../support/tools.js';
import {
  API,
  copyWithRegistry,
  pinned,
  removeDir,
  REPO_ROOT,
  useConsumerEnv,
  tempDir,
  UNSIGNED,
  unsignedDeployment,
  WEB,
  writeConfig,
} from './support.js';

const KIT = join(REPO_ROOT, 'fn', 'argocd');
const TIMEOUT_MS = 60_000;
/** Where the sidecar mounts the notary-pin-cmp ConfigMap (plugin.yaml + generate.sh). */
const CMP_CONFIG_DIR = '/home/argocd/cmp-server/config';

interface Doc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } };
}

function images(doc: Doc | undefined): string[] {
  const spec = doc?.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image ?? '');
}

/** plugin.yaml's generate command, with the ConfigMap mount path mapped to this checkout. */
async function generateCommand(): Promise<string[]> {
  const plugin = parse(await readFile(join(KIT, 'plugin.yaml'), 'utf8')) as { spec: { generate: { command: string[]; args?: string[] } } };
  return [...plugin.spec.generate.command, ...(plugin.spec.generate.args ?? [])].map((a) =>
    a.startsWith(`${CMP_CONFIG_DIR}/`) ? join(KIT, a.slice(CMP_CONFIG_DIR.length + 1)) : a,
  );
}

interface AppRun {
  /** The application's `parameters` (name → string), as ARGOCD_APP_PARAMETERS and PARAM_*. */
  params?: Record<string, string>;
  /** The application's plugin env (name → value), as ARGOCD_ENV_<name>. */
  appEnv?: Record<string, string>;
  /** Sidecar-level env (set by the platform in repo-server-patch.yaml). */
  sidecarEnv?: Record<string, string>;
}

describeWithTools(['kubectl', ...NOTARY_ENV_TOOLS], 'Argo CD kit (CMP generate as argocd-cmp-server runs it, real notary-server)', () => {
  const ctx = useConsumerEnv('argocd');
  let command: string[] = [];
  beforeAll(async () => {
    command = await generateCommand();
  });

  /** A copy of one example app pointing at the env, with its notary-pin.yaml trusting it. */
  async function app(example: 'kustomize-app' | 'plain-app', name: string): Promise<string> {
    const dir = join(ctx.work, name);
    await copyWithRegistry(join(KIT, 'example', example), dir, ctx.env.registryHost);
    await writeConfig(join(dir, 'notary-pin.yaml'), ctx.env);
    return dir;
  }

  /** Runs the generate command as the CMP server does: cwd = app path, Argo CD's variables set. */
  function generate(appDir: string, opts: AppRun = {}): Promise<RunResult> {
    const params = opts.params ?? {};
    const vars: Record<string, string> = {
      ARGOCD_APP_NAME: 'shop-web',
      ARGOCD_APP_NAMESPACE: 'shop',
      ARGOCD_APP_REVISION: '0123456789abcdef0123456789abcdef01234567',
      ARGOCD_APP_SOURCE_PATH: 'apps/shop-web',
      ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/acme/deploy.git',
      ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
      ARGOCD_APP_PARAMETERS: JSON.stringify(Object.entries(params).map(([name, string]) => ({ name, string }))),
      KUBE_VERSION: '1.32.4',
      // The sidecar's tool locations (repo-server-patch.yaml sets NOTARY_PIN_BUNDLE the same way).
      NOTARY_PIN_BUNDLE: ctx.bundle,
      ...(opts.sidecarEnv ?? {}),
    };
    for (const [k, v] of Object.entries(params)) vars[`PARAM_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v;
    for (const [k, v] of Object.entries(opts.appEnv ?? {})) vars[`ARGOCD_ENV_${k}`] = v;
    const [cmd, ...args] = command;
    return run(cmd!, args, { cwd: appDir, env: vars, timeoutMs: TIMEOUT_MS });
  }

  it('a kustomize app: prints the built manifests pinned to the exact signed digests and exits 0', async () => {
    const dir = await app('kustomize-app', 'kustomize-ok');
    const res = await generate(dir, { params: { config: 'notary-pin.yaml', mode: 'pin' } });
    expect(res.timedOut).toBe(false);
    expect(res.code, res.stderr).toBe(0);
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as Doc);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.metadata).toEqual({ name: 'web', namespace: 'shop' });
    expect(images(docs[0])).toEqual([pinned(ctx.env, API), pinned(ctx.env, WEB)]);
    expect(res.stdout).not.toContain('NotaryPin');
  }, TIMEOUT_MS + 10_000);

  it('a plain-YAML app: concatenates *.yaml and *.yml (not the config), pins them, exits 0', async () => {
    const dir = await app('plain-app', 'plain-ok');
    const res = await generate(dir);
    expect(res.code, res.stderr).toBe(0);
    const docs = parseAllDocuments(res.stdout)
      .map((d) => d.toJS() as Doc | null)
      .filter((d): d is Doc => d !== null);
    // *.yaml files, then *.yml files, each in name order.
    expect(docs.map((d) => `${d.kind}/${d.metadata?.name}`)).toEqual(['Deployment/web', 'StatefulSet/api']);
    expect(docs.flatMap(images)).toEqual([pinned(ctx.env, WEB), pinned(ctx.env, API)]);
    expect(res.stdout).not.toContain('NotaryPin');
    // Comments survive the round trip (the plain-YAML path is never re-serialised by kustomize).
    expect(res.stdout).toContain('# A plain-YAML application');
  }, TIMEOUT_MS + 10_000);

  it('an unsigned image fails the sync: non-zero exit, nothing on stdout, the reason on stderr', async () => {
    const dir = await app('kustomize-app', 'kustomize-unsigned');
    await writeFile(join(dir, 'unsigned.yaml'), unsignedDeployment(ctx.env));
    const kz = join(dir, 'kustomization.yaml');
    await writeFile(kz, (await readFile(kz, 'utf8')).replace('  - deployment.yaml\n', '  - deployment.yaml\n  - unsigned.yaml\n'));
    const res = await generate(dir);
    expect(res.timedOut).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(ctx.env.images[UNSIGNED]!.reference);
    expect(res.stderr).toContain('TRUST_NOT_FOUND');
    expect(res.stderr).toContain('notary-pin (app shop-web, path apps/shop-web): images are not all signed');
  }, TIMEOUT_MS + 10_000);

  it('the plain-YAML path fails closed too', async () => {
    const dir = await app('plain-app', 'plain-unsigned');
    await writeFile(join(dir, 'unsigned.yaml'), unsignedDeployment(ctx.env));
    const res = await generate(dir);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(ctx.env.images[UNSIGNED]!.reference);
  }, TIMEOUT_MS + 10_000);

  it('images.lock.yaml beside the kustomization: --locked renders when the digests match, fails the sync when a tag moved; never a manifest', async () => {
    const lock = (webDigest: string) =>
      renderLock(
        new Map([
          [ctx.env.images[WEB]!.reference, { digest: webDigest, system: 'notary' as const, signer: 'targets' }],
          [ctx.env.images[API]!.reference, { digest: ctx.env.images[API]!.digest, system: 'notary' as const, signer: 'targets' }],
        ]),
      );
    const dir = await app('kustomize-app', 'kustomize-locked');
    await writeFile(join(dir, 'images.lock.yaml'), lock(ctx.env.images[WEB]!.digest));
    const ok = await generate(dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(images(parseAllDocuments(ok.stdout)[0]!.toJS() as Doc)).toEqual([pinned(ctx.env, API), pinned(ctx.env, WEB)]);
    const stale = `sha256:${'0'.repeat(64)}`;
    await writeFile(join(dir, 'images.lock.yaml'), lock(stale));
    const moved = await generate(dir);
    expect(moved.code).not.toBe(0);
    expect(moved.stdout).toBe('');
    expect(moved.stderr).toContain('LOCK_MISMATCH');
    expect(moved.stderr).toContain(stale);
    expect(moved.stderr).toContain(ctx.env.images[WEB]!.digest);

    const plain = await app('plain-app', 'plain-locked');
    await writeFile(join(plain, 'images.lock.yaml'), lock(ctx.env.images[WEB]!.digest));
    const res = await generate(plain);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain('ImageLock');
  }, 2 * TIMEOUT_MS + 10_000);

  it('the mode parameter (PARAM_MODE) wins over ARGOCD_ENV_NOTARY_PIN_MODE: verify rejects tags', async () => {
    const dir = await app('plain-app', 'verify');
    const verify = await generate(dir, { params: { mode: 'verify' }, appEnv: { NOTARY_PIN_MODE: 'pin' } });
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toBe('');
    expect(verify.stderr).toContain('NOT_PINNED');
    // The app env alone selects the mode when no parameter is given.
    const viaEnv = await generate(dir, { appEnv: { NOTARY_PIN_MODE: 'verify' } });
    expect(viaEnv.code).not.toBe(0);
    expect(viaEnv.stderr).toContain('NOT_PINNED');
    const bad = await generate(dir, { params: { mode: 'yolo' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("mode 'yolo' is not one of: pin, verify");
  }, TIMEOUT_MS + 10_000);

  it('config path: parameter and app env select it; it must stay inside the app; the sidecar env overrides all', async () => {
    const dir = await app('plain-app', 'config-paths');
    await writeConfig(join(dir, 'policy.yaml'), ctx.env);
    const viaParam = await generate(dir, { params: { config: 'policy.yaml' } });
    expect(viaParam.code, viaParam.stderr).toBe(0);
    // Neither the chosen config (policy.yaml) nor the discover file (notary-pin.yaml) is a manifest.
    expect(viaParam.stdout).not.toContain('kind: NotaryPin');
    expect(viaParam.stdout).toContain(pinned(ctx.env, WEB));

    const viaEnv = await generate(dir, { appEnv: { NOTARY_PIN_CONFIG: 'nope.yaml' } });
    expect(viaEnv.code).not.toBe(0);
    expect(viaEnv.stderr).toContain("config file 'nope.yaml' not found");

    for (const escape of ['../config-paths/notary-pin.yaml', '/etc/passwd', 'sub/../../x.yaml']) {
      const res = await generate(dir, { params: { config: escape } });
      expect(res.code, escape).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain('must be relative and inside the application directory');
    }

    await rm(join(dir, 'policy.yaml'));
    const platform = join(ctx.work, 'platform-policy.yaml');
    await writeConfig(platform, ctx.env);
    const enforced = await generate(dir, { params: { config: 'nope.yaml' }, sidecarEnv: { NOTARY_PIN_CONFIG: platform } });
    expect(enforced.code, enforced.stderr).toBe(0);
    expect(enforced.stdout).toContain(pinned(ctx.env, WEB));
    // The app's own notary-pin.yaml (the discover file) is never rendered as a manifest.
    expect(enforced.stdout).not.toContain('kind: NotaryPin');
  }, TIMEOUT_MS + 10_000);
});

describeWithTools(['kubectl'], 'Argo CD kit: sidecar component', () => {
  it('the component adds the CMP sidecar to argocd-repo-server and ships plugin.yaml + generate.sh verbatim', async () => {
    const dir = await tempDir('argocd-component');
    try {
      // A stand-in for the repo-server of an Argo CD install (the volumes the sidecar mounts exist there).
      await writeFile(
        join(dir, 'repo-server.yaml'),
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: {name: argocd-repo-server}',
          'spec:',
          '  template:',
          '    spec:',
          '      containers: [{name: argocd-repo-server, image: quay.io/argoproj/argocd:v2.14.11}]',
          '      volumes: [{name: var-files, emptyDir: {}}, {name: plugins, emptyDir: {}}]',
          '',
        ].join('\n'),
      );
      const { relative } = await import('node:path');
      await writeFile(
        join(dir, 'kustomization.yaml'),
        `resources: [repo-server.yaml]\ncomponents: [${JSON.stringify(relative(dir, KIT))}]\n`,
      );
      const res = await run('kubectl', ['kustomize', dir], { timeoutMs: TIMEOUT_MS });
      expect(res.code, res.stderr).toBe(0);
      const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      const cm = docs.find((d) => d.kind === 'ConfigMap');
      expect(cm?.metadata?.name).toBe('notary-pin-cmp');
      expect(cm?.data?.['generate.sh']).toBe(await readFile(join(KIT, 'generate.sh'), 'utf8'));
      expect(cm?.data?.['plugin.yaml']).toBe(await readFile(join(KIT, 'plugin.yaml'), 'utf8'));
      const pod = docs.find((d) => d.kind === 'Deployment')?.spec?.template?.spec;
      const sidecar = pod?.containers?.find((c: { name: string }) => c.name === 'notary-pin');
      expect(sidecar?.command).toEqual(['/var/run/argocd/argocd-cmp-server']);
      expect(sidecar?.securityContext?.runAsUser).toBe(999);
      expect(sidecar?.volumeMounts?.map((m: { mountPath: string }) => m.mountPath)).toEqual(
        expect.arrayContaining(['/var/run/argocd', '/home/argocd/cmp-server/plugins', CMP_CONFIG_DIR, '/tmp']),
      );
      expect(pod?.containers?.map((c: { name: string }) => c.name)).toContain('argocd-repo-server');
      const install = pod?.initContainers?.find((c: { name: string }) => c.name === 'notary-pin-install');
      expect(install?.image).toMatch(/^ghcr\.io\/notary-pin\/notary-pin:/);
      // The env points at where the install init container copies the bundle.
      const bundleEnv = sidecar?.env?.find((e: { name: string }) => e.name === 'NOTARY_PIN_BUNDLE')?.value;
      expect(install?.command?.join(' ')).toContain(bundleEnv);
    } finally {
      await removeDir(dir);
    }
  }, TIMEOUT_MS + 10_000);
});
