/**
 * The kpt kit, proven with the real kpt and a real notary-server: `kpt fn eval --exec` on the example
 * package, and `kpt fn render --allow-exec` with the repository's root Kptfile pipeline.
 */
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run } from '../support/exec.js';
import type { NotaryEnv } from '../support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from '../support/tools.js';
import {
  API,
  copyWithRegistry,
  pinned,
  REPO_ROOT,
  useConsumerEnv,
  UNSIGNED,
  unsignedDeployment,
  WEB,
  writeConfig,
} from './support.js';

const EXAMPLE = join(REPO_ROOT, 'fn', 'kpt', 'example');
const WRAPPER = join(REPO_ROOT, 'fn', 'kpt', 'notary-pin');
const KPT_TIMEOUT_MS = 60_000;

async function readAll(dir: string, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) out[f] = await readFile(join(dir, f), 'utf8');
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const WORKLOAD_FILES = ['web.yaml', 'api.yaml', 'jobs.yaml'] as const;

/** The pinned example, as kpt writes it back: every image pinned, comments and quoting kept. */
function expectPinnedExample(files: Record<string, string>, env: NotaryEnv): void {
  const web = pinned(env, WEB);
  const api = pinned(env, API);
  expect(files['web.yaml']).toContain(`image: ${api} # runs the schema migration shipped with the API`);
  expect(files['web.yaml']).toContain(`# The tag is what people read; notary-pin appends the signed digest.\n          image: ${web}\n`);
  expect(files['web.yaml']).toContain('# Not a workload: notary-pin leaves it exactly as it is.');
  expect(files['web.yaml']).toContain('replicas: 2 # two replicas behind the Service');
  expect(files['api.yaml']).toContain(`image: "${api}" # quoted on purpose: the quoting style is kept`);
  expect(files['api.yaml']).toContain('# The API, signed through the targets/releases delegation');
  expect(files['jobs.yaml']).toContain(`image: ${web}\n`);
  expect(files['jobs.yaml']).toContain('command: ["/app/report"] # same image, different entrypoint');
  // Exactly the digests the registry and the trust data have, nowhere a bare tag left.
  const imageLines = Object.values(files).flatMap((t) => t.split('\n').filter((l) => /^\s*image:/.test(l)));
  expect(imageLines).toHaveLength(4);
  for (const line of imageLines) expect(line).toMatch(/@sha256:[0-9a-f]{64}"?( #|$)/);
}

describeWithTools(['kpt', ...NOTARY_ENV_TOOLS], 'kpt kit (real kpt, real notary-server)', () => {
  const ctx = useConsumerEnv('kpt');

  /** A copy of the example package pointing at the env, with its notary-pin.yaml rewritten. */
  async function examplePackage(name: string, withUnsigned = false): Promise<string> {
    const dir = join(ctx.work, name);
    await copyWithRegistry(EXAMPLE, dir, ctx.env.registryHost);
    await writeConfig(join(dir, 'notary-pin.yaml'), ctx.env, { localConfig: true });
    if (withUnsigned) await writeFile(join(dir, 'unsigned.yaml'), unsignedDeployment(ctx.env));
    return dir;
  }

  it('kpt fn eval --exec --fn-config pins the signed images to the exact signed digests and keeps comments', async () => {
    const pkg = await examplePackage('eval-ok');
    const res = await run('kpt', ['fn', 'eval', pkg, '--exec', WRAPPER, '--fn-config', join(pkg, 'notary-pin.yaml')], {
      env: { NOTARY_PIN_BUNDLE: ctx.bundle },
      timeoutMs: KPT_TIMEOUT_MS,
    });
    expect(res.timedOut).toBe(false);
    expect(res.code, res.stderr).toBe(0);
    expectPinnedExample(await readAll(pkg, WORKLOAD_FILES), ctx.env);
    // kpt shows the function's results: one per image field (4 fields: 2 web, 2 api).
    expect(res.stderr).toContain('[PASS]');
    expect(res.stderr).toContain(`[info] apps/v1/StatefulSet/api spec.template.spec.containers[0].image: ${ctx.env.images[API]!.reference}: pinned to ${ctx.env.images[API]!.digest} (signed by targets/releases)`);
    expect(res.stderr).toContain(`pinned to ${ctx.env.images[WEB]!.digest} (signed by targets)`);
  }, KPT_TIMEOUT_MS + 10_000);

  it('kpt fn eval fails on an unsigned image, shows the results, and leaves every file unchanged', async () => {
    const pkg = await examplePackage('eval-unsigned', true);
    const before = await readAll(pkg, [...WORKLOAD_FILES, 'unsigned.yaml']);
    const res = await run('kpt', ['fn', 'eval', pkg, '--exec', WRAPPER, '--fn-config', join(pkg, 'notary-pin.yaml')], {
      env: { NOTARY_PIN_BUNDLE: ctx.bundle },
      timeoutMs: KPT_TIMEOUT_MS,
    });
    expect(res.timedOut).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('[FAIL]');
    // kpt shows the results of the failed function: the unsigned image as an error.
    expect(res.stderr).toMatch(new RegExp(`\\[error\\] apps/v1/Deployment/unsigned [^\\n]*${escapeRe(ctx.env.images[UNSIGNED]!.reference)}`));
    expect(await readAll(pkg, [...WORKLOAD_FILES, 'unsigned.yaml'])).toEqual(before);
  }, KPT_TIMEOUT_MS + 10_000);

  it('spec.provenance: annotation through kpt: the annotation lands in the files, a second eval changes no byte', async () => {
    const pkg = await examplePackage('eval-provenance');
    const cfgFile = join(pkg, 'notary-pin.yaml');
    const cfg = parse(await readFile(cfgFile, 'utf8')) as { spec: Record<string, unknown> };
    cfg.spec.provenance = 'annotation';
    await writeFile(cfgFile, stringify(cfg));
    const kpt = () => run('kpt', ['fn', 'eval', pkg, '--exec', WRAPPER, '--fn-config', cfgFile], { env: { NOTARY_PIN_BUNDLE: ctx.bundle }, timeoutMs: KPT_TIMEOUT_MS });
    const first = await kpt();
    expect(first.code, first.stderr).toBe(0);
    const files = await readAll(pkg, WORKLOAD_FILES);
    expectPinnedExample(files, ctx.env);
    const api = parse(files['api.yaml']!) as { metadata: { annotations: Record<string, string> } };
    expect(JSON.parse(api.metadata.annotations['notary-pin.dev/images']!)).toEqual([
      { path: 'spec.template.spec.containers[0].image', ref: ctx.env.images[API]!.reference, digest: ctx.env.images[API]!.digest, system: 'notary', signer: 'targets/releases' },
    ]);
    expect(files['api.yaml']).not.toContain('config.kubernetes.io/index');
    const second = await kpt();
    expect(second.code, second.stderr).toBe(0);
    expect(await readAll(pkg, WORKLOAD_FILES)).toEqual(files);
  }, 2 * KPT_TIMEOUT_MS + 10_000);

  it('--lock-file through the exec wrapper: the lock beside the Kptfile (in .krmignore) is written, and --locked fails on a moved digest', async () => {
    const pkg = await examplePackage('eval-lock');
    const lock = join(pkg, 'images.lock.yaml');
    await writeFile(join(pkg, '.krmignore'), 'images.lock.yaml\n');
    const kpt = (args: string) =>
      run('kpt', ['fn', 'eval', pkg, '--exec', `${WRAPPER} ${args}`, '--fn-config', join(pkg, 'notary-pin.yaml')], {
        env: { NOTARY_PIN_BUNDLE: ctx.bundle },
        timeoutMs: KPT_TIMEOUT_MS,
      });
    const write = await kpt(`--lock-file ${lock}`);
    expect(write.code, write.stderr).toBe(0);
    expectPinnedExample(await readAll(pkg, WORKLOAD_FILES), ctx.env);
    const text = await readFile(lock, 'utf8');
    expect(text).toContain(`"${ctx.env.images[WEB]!.reference}": {digest: "${ctx.env.images[WEB]!.digest}", system: notary, signer: "targets"}`);
    expect(text).toContain(`"${ctx.env.images[API]!.reference}": {digest: "${ctx.env.images[API]!.digest}", system: notary, signer: "targets/releases"}`);
    const locked = await kpt(`--lock-file ${lock} --locked`);
    expect(locked.code, locked.stderr).toBe(0);

    const stale = `sha256:${'0'.repeat(64)}`;
    await writeFile(lock, text.replace(ctx.env.images[WEB]!.digest, stale));
    const before = await readAll(pkg, WORKLOAD_FILES);
    const moved = await kpt(`--lock-file ${lock} --locked`);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain(stale);
    expect(moved.stderr).toContain(ctx.env.images[WEB]!.digest);
    expect(await readAll(pkg, WORKLOAD_FILES)).toEqual(before);
    expect(await readFile(lock, 'utf8')).toBe(text.replace(ctx.env.images[WEB]!.digest, stale));
  }, 3 * KPT_TIMEOUT_MS + 10_000);

  /**
   * The repository's root Kptfile, .krmignore and wrapper, laid out as in the checkout (with the
   * bundle at dist/ where the wrapper looks by default) plus deliberately broken YAML that the
   * .krmignore must keep out of the package.
   */
  async function rootPackage(name: string, withUnsigned = false): Promise<string> {
    const root = join(ctx.work, name);
    await mkdir(join(root, 'fn', 'kpt'), { recursive: true });
    await cp(join(REPO_ROOT, 'Kptfile'), join(root, 'Kptfile'));
    await cp(join(REPO_ROOT, '.krmignore'), join(root, '.krmignore'));
    await cp(WRAPPER, join(root, 'fn', 'kpt', 'notary-pin'));
    await copyWithRegistry(EXAMPLE, join(root, 'fn', 'kpt', 'example'), ctx.env.registryHost);
    await writeConfig(join(root, 'fn', 'kpt', 'example', 'notary-pin.yaml'), ctx.env, { localConfig: true });
    if (withUnsigned) await writeFile(join(root, 'fn', 'kpt', 'example', 'unsigned.yaml'), unsignedDeployment(ctx.env));
    await mkdir(join(root, 'dist'));
    await symlink(ctx.bundle, join(root, 'dist', 'notary-pin.mjs'));
    await mkdir(join(root, 'testdata'));
    await writeFile(join(root, 'testdata', 'broken.yaml'), 'kind: [unterminated\n');
    return root;
  }

  it('kpt fn render --allow-exec runs the root Kptfile pipeline and pins fn/kpt/example', async () => {
    const root = await rootPackage('render-ok');
    const res = await run('kpt', ['fn', 'render', '--allow-exec'], { cwd: root, timeoutMs: KPT_TIMEOUT_MS });
    expect(res.timedOut).toBe(false);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('./fn/kpt/notary-pin --config fn/kpt/example/notary-pin.yaml');
    expectPinnedExample(await readAll(join(root, 'fn', 'kpt', 'example'), WORKLOAD_FILES), ctx.env);
    expect(await readFile(join(root, 'testdata', 'broken.yaml'), 'utf8')).toBe('kind: [unterminated\n');
  }, KPT_TIMEOUT_MS + 10_000);

  it('kpt fn render stops on an unsigned image and writes nothing', async () => {
    const root = await rootPackage('render-unsigned', true);
    const dir = join(root, 'fn', 'kpt', 'example');
    const before = await readAll(dir, [...WORKLOAD_FILES, 'unsigned.yaml']);
    const res = await run('kpt', ['fn', 'render', '--allow-exec'], { cwd: root, timeoutMs: KPT_TIMEOUT_MS });
    expect(res.timedOut).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('[FAIL]');
    expect(res.stderr).toContain(ctx.env.images[UNSIGNED]!.reference);
    expect(await readAll(dir, [...WORKLOAD_FILES, 'unsigned.yaml'])).toEqual(before);
  }, KPT_TIMEOUT_MS + 10_000);
});
