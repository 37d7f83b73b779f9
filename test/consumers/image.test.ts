/**
 * The container image's entrypoint, without Docker: the bundle is built by the same script the
 * Dockerfile's build stage runs, ONLY the file the run stage copies is laid out in an otherwise
 * empty app directory, and it is started exactly as the ENTRYPOINT says (node + the bundle, no
 * shell), as the image's user where possible, with the image's environment only: no PATH, an empty
 * HOME, NODE_ENV=production. The entrypoint facts are read from the Dockerfile itself.
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { NotaryEnv } from '../support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from '../support/tools.js';
import { API, buildBundle, notaryPinConfig, pinned, removeDir, REPO_ROOT, startConsumerEnv, tempDir, UNSIGNED, WEB } from './support.js';

const TIMEOUT_MS = 30_000;

/** What the Dockerfile's run stage says about the entrypoint. */
interface ImageSpec {
  entrypoint: string[];
  /** Source path in the build stage of the file copied to the entrypoint's script. */
  copiedFrom: string;
  /** Every `COPY --from=build <src> <dest>` of the run stage. */
  copies: Array<{ from: string; to: string }>;
  /** The run stage's WORKDIR. */
  workdir: string;
  user: { uid: number; gid: number };
  env: Record<string, string>;
  buildCommand: string;
}

async function readImageSpec(): Promise<ImageSpec> {
  const text = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n');
  const froms = lines.flatMap((l, i) => (/^FROM /.test(l) ? [i] : []));
  const runStage = lines.slice(froms.at(-1) ?? 0);
  const one = (re: RegExp, from: string[] = runStage): RegExpMatchArray => {
    for (const l of from) {
      const m = l.match(re);
      if (m) return m;
    }
    throw new Error(`Dockerfile: no line matches ${re}`);
  };
  const entrypoint = JSON.parse(one(/^ENTRYPOINT (\[.*\])\s*$/)[1]!) as string[];
  const copies = runStage.flatMap((l) => {
    const m = l.match(/^COPY --from=build (\S+) (\S+)\s*$/);
    return m ? [{ from: m[1]!, to: m[2]! }] : [];
  });
  const entrypointTarget = (JSON.parse(one(/^ENTRYPOINT (\[.*\])\s*$/)[1]!) as string[])[1];
  const copy = copies.find((c) => c.to === entrypointTarget);
  if (!copy) throw new Error(`Dockerfile: nothing is copied to the entrypoint's script ${entrypointTarget}`);
  const user = one(/^USER (\d+):(\d+)\s*$/);
  const env: Record<string, string> = {};
  for (const l of runStage) {
    const m = l.match(/^ENV (\w+)=(\S+)\s*$/);
    if (m) env[m[1]!] = m[2]!;
  }
  return {
    entrypoint,
    copiedFrom: copy.from,
    copies,
    workdir: one(/^WORKDIR (\S+)\s*$/)[1]!,
    user: { uid: Number(user[1]), gid: Number(user[2]) },
    env,
    buildCommand: one(/^RUN (node scripts\/build\.mjs)\b/, lines)[1]!,
  };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('container image entrypoint (Dockerfile run stage, without Docker)', () => {
  let spec: ImageSpec;
  let work: string | undefined;
  let appDir = '';
  let script = '';

  beforeAll(async () => {
    spec = await readImageSpec();
    work = await tempDir('image');
    // The build stage: `node scripts/build.mjs` (into a temp root, see buildBundle).
    const built = await buildBundle(join(work, 'build'));
    expect(spec.buildCommand).toBe('node scripts/build.mjs');
    expect(spec.copiedFrom).toBe('/src/dist/notary-pin.mjs');
    // The run stage: only the copied files (the loader, the bundle it loads, the licences), in
    // WORKDIR, readable by the image's user.
    appDir = join(work, 'image', ...spec.workdir.split('/').filter(Boolean));
    await mkdir(appDir, { recursive: true });
    const target = spec.entrypoint[1]!;
    expect(target.startsWith(`${spec.workdir}/`)).toBe(true);
    script = join(appDir, target.slice(spec.workdir.length + 1));
    const builtDir = dirname(built);
    for (const c of spec.copies) {
      expect(c.from.startsWith('/src/dist/'), c.from).toBe(true);
      expect(c.to.startsWith(`${spec.workdir}/`), c.to).toBe(true);
      const to = join(appDir, c.to.slice(spec.workdir.length + 1));
      await copyFile(join(builtDir, c.from.slice('/src/dist/'.length)), to);
      await chmod(to, 0o644);
    }
    await mkdir(join(work, 'home'));
    for (const d of [work, join(work, 'image'), appDir, join(work, 'home')]) await chmod(d, 0o755);
  }, 180_000);

  afterAll(async () => {
    await removeDir(work);
  });

  /** Runs the entrypoint: argv = ENTRYPOINT (node mapped to this node) + args, no shell, image env only. */
  function entrypoint(args: string[], input = '', extraEnv: Record<string, string> = {}): Promise<Result> {
    expect(spec.entrypoint[0]).toMatch(/\/node$/);
    const asImageUser = process.getuid?.() === 0;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
        cwd: appDir,
        shell: false,
        env: { ...spec.env, HOME: join(work!, 'home'), ...extraEnv },
        ...(asImageUser && { uid: spec.user.uid, gid: spec.user.gid }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
  }

  it('the Dockerfile runs node on the bundle as a non-root user with NODE_ENV=production', () => {
    expect(spec.entrypoint).toEqual(['/nodejs/bin/node', '/app/notary-pin.mjs']);
    expect(spec.user.uid).not.toBe(0);
    expect(spec.env).toEqual({ NODE_ENV: 'production' });
  });

  it('ships the loader, the bundle it loads and the third-party licences', () => {
    expect(spec.copies.map((c) => c.from).sort()).toEqual(['/src/dist/notary-pin.cjs', '/src/dist/notary-pin.cjs.LEGAL.txt', '/src/dist/notary-pin.mjs']);
    expect(spec.copies.find((c) => c.from.endsWith('.LEGAL.txt'))?.to).toBe('/app/THIRD-PARTY-LICENSES.txt');
  });

  it('works, silently and with the same output, when no code cache can be written (no usable tmp dir)', async () => {
    const readOnly = join(work!, 'read-only');
    await mkdir(readOnly, { recursive: true });
    await chmod(readOnly, 0o555);
    const noTmp = join(readOnly, 'tmp');
    const plain = await entrypoint(['--help']);
    const res = await entrypoint(['--help'], '', { TMPDIR: noTmp });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe(plain.stdout);
    const fn = await entrypoint(['--config', '/nonexistent/config.yaml'], '', { TMPDIR: noTmp });
    expect(fn.code).toBe(1);
    expect(fn.stderr).toMatch(/^notary-pin: error: /);
  }, TIMEOUT_MS);

  it('a function run prints the same with no code cache, while writing it, and from it', async () => {
    const tmp = join(work!, 'cache-tmp');
    await mkdir(tmp);
    await chmod(tmp, 0o1777);
    const dir = join(REPO_ROOT, 'testdata', 'pin-deployment');
    const args = ['--config', join(dir, 'fn-config.yaml'), '-i', join(dir, 'resources.yaml')];
    const off = await entrypoint(args, '', { NODE_DISABLE_COMPILE_CACHE: '1', TMPDIR: tmp });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('@sha256:');
    expect(await readdir(tmp)).toEqual([]);
    const writing = await entrypoint(args, '', { TMPDIR: tmp });
    const [cacheDir] = await readdir(tmp);
    expect(cacheDir).toMatch(/^notary-pin-compile-cache-/);
    expect(await readdir(join(tmp, cacheDir!))).toHaveLength(1);
    const fromCache = await entrypoint(args, '', { TMPDIR: tmp });
    for (const r of [writing, fromCache]) expect([r.code, r.stdout, r.stderr]).toEqual([off.code, off.stdout, off.stderr]);
  }, TIMEOUT_MS);

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = await entrypoint(['--version']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
  }, TIMEOUT_MS);

  it('--help lists the function (default), webhook and demo commands', async () => {
    const res = await entrypoint(['--help']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Usage: notary-pin/);
    for (const cmd of ['fn', 'webhook', 'demo']) expect(res.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  }, TIMEOUT_MS);

  it('webhook --help shows the serving flags', async () => {
    const res = await entrypoint(['webhook', '--help']);
    expect(res.code, res.stderr).toBe(0);
    for (const flag of ['--config', '--tls-cert-file', '--tls-private-key-file', '--port']) expect(res.stdout).toContain(flag);
  }, TIMEOUT_MS);

  it('a usage error exits 2', async () => {
    const res = await entrypoint(['--no-such-flag']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--no-such-flag');
  }, TIMEOUT_MS);

  describeWithTools([...NOTARY_ENV_TOOLS], 'the function, against a real notary-server', () => {
    let env: NotaryEnv | undefined;

    beforeAll(async () => {
      env = await startConsumerEnv();
    }, 180_000);

    afterAll(async () => {
      await env?.stop();
    });

    const pod = (image: string, name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image }] },
    });

    it('a ResourceList on stdin (functionConfig with an inline CA, as in a container) → pinned ResourceList with results', async () => {
      const input = stringify({
        apiVersion: 'config.kubernetes.io/v1',
        kind: 'ResourceList',
        items: [pod(env!.images[WEB]!.reference, 'web'), pod(env!.images[API]!.reference, 'api')],
        functionConfig: notaryPinConfig(env!, { inlineCa: true }),
      });
      const res = await entrypoint([], input);
      expect(res.code, res.stderr).toBe(0);
      const out = parse(res.stdout) as { kind: string; items: ReturnType<typeof pod>[]; results: { severity: string }[] };
      expect(out.kind).toBe('ResourceList');
      expect(out.items.map((i) => i.spec.containers[0]!.image)).toEqual([pinned(env!, WEB), pinned(env!, API)]);
      expect(out.results.map((r) => r.severity)).toEqual(['info', 'info']);
    }, TIMEOUT_MS);

    it('a plain stream with --config (the documented `kustomize build . | docker run -i … --config`) → pinned stream', async () => {
      const { writeFile } = await import('node:fs/promises');
      const cfgDir = join(work!, 'cfg');
      await mkdir(cfgDir, { recursive: true });
      await chmod(cfgDir, 0o755);
      const cfg = join(cfgDir, 'config.yaml');
      await writeFile(cfg, stringify(notaryPinConfig(env!, { inlineCa: true })), { mode: 0o644 });
      const input = `${stringify(pod(env!.images[WEB]!.reference, 'web'))}---\n${stringify(pod(env!.images[API]!.reference, 'api'))}`;
      const res = await entrypoint(['--config', cfg], input);
      expect(res.code, res.stderr).toBe(0);
      const docs = parseAllDocuments(res.stdout).map((d) => d.toJS() as ReturnType<typeof pod>);
      expect(docs.map((d) => d.spec.containers[0]!.image)).toEqual([pinned(env!, WEB), pinned(env!, API)]);
    }, TIMEOUT_MS);

    it('an unsigned image: exit 1, items unchanged, an error result naming it', async () => {
      const items = [pod(env!.images[WEB]!.reference, 'web'), pod(env!.images[UNSIGNED]!.reference, 'unsigned')];
      const input = stringify({
        apiVersion: 'config.kubernetes.io/v1',
        kind: 'ResourceList',
        items,
        functionConfig: notaryPinConfig(env!, { inlineCa: true }),
      });
      const res = await entrypoint([], input);
      expect(res.code).toBe(1);
      const out = parse(res.stdout) as { items: unknown[]; results: { severity: string; message: string }[] };
      expect(out.items).toEqual(items);
      const errors = out.results.filter((r) => r.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toContain(env!.images[UNSIGNED]!.reference);
    }, TIMEOUT_MS);
  });
});
