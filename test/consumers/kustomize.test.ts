/**
 * The kustomize kit, proven with the real `kubectl kustomize` and a real notary-server.
 *
 * kubectl's kustomize (v5.5 in kubectl 1.32) has no --enable-exec: it runs `kind: NotaryPin` as an
 * exec PLUGIN ($KUSTOMIZE_PLUGIN_HOME/notary-pin.dev/v1alpha1/notarypin/NotaryPin) with
 * --enable-alpha-plugins, and silently skips exec KRM functions. Both facts are pinned down here.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { run } from '../support/exec.js';
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

const KIT = join(REPO_ROOT, 'fn', 'kustomize');
const PLUGIN_HOME = join(KIT, 'plugin');
const TIMEOUT_MS = 60_000;

interface Doc {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } };
}

function images(doc: Doc): string[] {
  const spec = doc.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image ?? '');
}

describeWithTools(['kubectl', ...NOTARY_ENV_TOOLS], 'kustomize kit (real kubectl kustomize, real notary-server)', () => {
  const ctx = useConsumerEnv('kustomize');

  /** A copy of fn/kustomize/example pointing at the env; the overlay's config trusts it. */
  async function example(name: string): Promise<string> {
    const dir = join(ctx.work, name);
    await copyWithRegistry(join(KIT, 'example'), dir, ctx.env.registryHost);
    await writeConfig(join(dir, 'overlay', 'notary-pin.yaml'), ctx.env);
    return dir;
  }

  /** The README's CI gate: the rendered output through `notary-pin --mode verify` (stdout discarded). */
  const verifyGate = async (rendered: string) => {
    const cfg = await writeConfig(join(ctx.work, `gate-${Math.random().toString(36).slice(2)}.yaml`), ctx.env);
    return run(process.execPath, [ctx.bundle, '--config', cfg, '--mode', 'verify'], { input: rendered, timeoutMs: TIMEOUT_MS });
  };

  const kustomize = (overlay: string) =>
    run('kubectl', ['kustomize', '--enable-alpha-plugins', overlay], {
      env: { KUSTOMIZE_PLUGIN_HOME: PLUGIN_HOME, NOTARY_PIN_BUNDLE: ctx.bundle },
      timeoutMs: TIMEOUT_MS,
    });

  it('the NotaryPin exec plugin pins the overlay (after namePrefix) to the exact signed digests', async () => {
    const dir = await example('plugin-ok');
    const res = await kustomize(join(dir, 'overlay'));
    expect(res.timedOut).toBe(false);
    expect(res.code, res.stderr).toBe(0);
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as Doc);
    expect(docs.map((d) => `${d.kind}/${d.metadata?.name}`)).toEqual(['Deployment/prod-web']);
    expect(images(docs[0]!)).toEqual([pinned(ctx.env, API), pinned(ctx.env, WEB)]);
    // kustomize's bookkeeping annotation went through the function and back.
    expect(res.stdout).not.toContain('kustomize.config.k8s.io/id');
    // The transformer config is not emitted.
    expect(res.stdout).not.toContain('NotaryPin');
    // the defence-in-depth gate passes the pinned output
    const gate = await verifyGate(res.stdout);
    expect(gate.code, gate.stderr).toBe(0);
  }, TIMEOUT_MS + 10_000);

  it('relative paths in the plugin config resolve against the kustomization directory', async () => {
    const dir = await example('plugin-relative');
    const cfgFile = join(dir, 'overlay', 'notary-pin.yaml');
    const cfg = parse(await readFile(cfgFile, 'utf8')) as { spec: { trust: Array<{ ca?: string }> } };
    await writeFile(join(dir, 'overlay', 'notary-ca.pem'), await readFile(ctx.env.caFile));
    for (const rule of cfg.spec.trust) rule.ca = 'notary-ca.pem';
    await writeFile(cfgFile, stringify(cfg));
    const res = await kustomize(join(dir, 'overlay'));
    expect(res.code, res.stderr).toBe(0);
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as Doc);
    expect(images(docs[0]!)).toEqual([pinned(ctx.env, API), pinned(ctx.env, WEB)]);
  }, TIMEOUT_MS + 10_000);

  it('an unsigned image fails the build: non-zero exit, the reason on stderr, nothing on stdout', async () => {
    const dir = await example('plugin-unsigned');
    await writeFile(join(dir, 'base', 'unsigned.yaml'), unsignedDeployment(ctx.env));
    const kz = join(dir, 'base', 'kustomization.yaml');
    await writeFile(kz, (await readFile(kz, 'utf8')).replace('  - deployment.yaml\n', '  - deployment.yaml\n  - unsigned.yaml\n'));
    const res = await kustomize(join(dir, 'overlay'));
    expect(res.timedOut).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(ctx.env.images[UNSIGNED]!.reference);
    expect(res.stderr).toContain('TRUST_NOT_FOUND');
  }, TIMEOUT_MS + 10_000);

  it('kubectl kustomize SKIPS the exec KRM function form silently (why the README sends kubectl users to the plugin form)', async () => {
    const dir = await example('krm-exec');
    // The committed exec-function transformer, pointed at the env and at the wrapper by absolute path.
    const cfg = (await readFile(join(KIT, 'notary-pin-exec.yaml'), 'utf8')).replace('path: ../../../kpt/notary-pin', `path: ${join(REPO_ROOT, 'fn', 'kpt', 'notary-pin')}`);
    expect(cfg).toContain(`path: ${join(REPO_ROOT, 'fn', 'kpt', 'notary-pin')}`);
    await writeFile(join(dir, 'overlay', 'notary-pin.yaml'), cfg.split('registry.example.com').join(ctx.env.registryHost));
    const res = await kustomize(join(dir, 'overlay'));
    expect(res.code, res.stderr).toBe(0);
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as Doc);
    expect(images(docs.find((d) => d.kind === 'Deployment')!)).toEqual([ctx.env.images[API]!.reference, ctx.env.images[WEB]!.reference]);
    // ... and the README's `--mode verify` gate on the rendered output catches it: exit 1, NOT_PINNED for each image
    const gate = await verifyGate(res.stdout);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toBe('');
    expect(gate.stderr).toContain('NOT_PINNED');
    expect(gate.stderr).toContain(ctx.env.images[API]!.reference);
    expect(gate.stderr).toContain(ctx.env.images[WEB]!.reference);
  }, TIMEOUT_MS + 10_000);
});

describeWithTools(['kubectl'], 'kustomize kit: plugin layout', () => {
  it('the plugin sits where kustomize looks for kind NotaryPin of notary-pin.dev/v1alpha1 and is executable', async () => {
    const { access, constants } = await import('node:fs/promises');
    await access(join(PLUGIN_HOME, 'notary-pin.dev', 'v1alpha1', 'notarypin', 'NotaryPin'), constants.X_OK);
    const overlay = await readFile(join(KIT, 'example', 'overlay', 'notary-pin.yaml'), 'utf8');
    expect(overlay).toContain('apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\n');
    const doc = parseAllDocuments(overlay)[0]!.toJS() as Doc;
    expect(doc.metadata?.annotations?.['config.kubernetes.io/function']).toBeUndefined();
  });

  it('without a bundle the plugin fails the build with a clear message (never passes manifests through)', async () => {
    const dir = await tempDir('kustomize-nobundle');
    try {
      await cp(join(KIT, 'example'), dir, { recursive: true });
      const res = await run('kubectl', ['kustomize', '--enable-alpha-plugins', join(dir, 'overlay')], {
        env: { KUSTOMIZE_PLUGIN_HOME: PLUGIN_HOME, NOTARY_PIN_BUNDLE: join(dir, 'missing.mjs') },
        timeoutMs: TIMEOUT_MS,
      });
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain('missing.mjs is missing');
    } finally {
      await removeDir(dir);
    }
  }, TIMEOUT_MS + 10_000);
});
