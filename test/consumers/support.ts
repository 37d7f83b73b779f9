/**
 * Shared set-up for the consumer-kit tests (kpt, kustomize, Argo CD, container entrypoint): a real
 * notary environment with the three repositories the kits' examples use, a NotaryPin config
 * pointing at it, the bundle built by the real build script, and copies of the example packages
 * with their placeholder registry replaced by the environment's registry.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll } from 'vitest';
import { runOk } from '../support/exec.js';
import { startNotaryEnv, type NotaryEnv } from '../support/notary-env.js';

/** The repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The registry host the committed examples use; tests replace it with the real registry's. */
export const PLACEHOLDER_REGISTRY = 'registry.example.com';

/** Signed in `targets`. */
export const WEB = 'acme/web:1.4.2';
/** Signed in the `targets/releases` delegation. */
export const API = 'acme/api:2.0.1';
/** Pushed, never signed (the GUN has no trust data at all). */
export const UNSIGNED = 'acme/unsigned:0.1';

/** Starts the one notary environment a consumer test file uses. */
export function startConsumerEnv(): Promise<NotaryEnv> {
  return startNotaryEnv({
    repos: [
      { name: 'acme/web', tags: ['1.4.2'], sign: 'targets' },
      { name: 'acme/api', tags: ['2.0.1'], sign: 'releases' },
      { name: 'acme/unsigned', tags: ['0.1'], sign: 'none' },
    ],
  });
}

/** `image@digest` as notary-pin writes it in the default `tag-and-digest` style. */
export function pinned(env: NotaryEnv, key: string): string {
  const img = env.images[key];
  if (!img) throw new Error(`no image ${key} in the notary env`);
  return `${img.reference}@${img.digest}`;
}

/** The NotaryPin config (as an object) trusting the env's server, with each GUN's root key pinned. */
export function notaryPinConfig(env: NotaryEnv, opts: { localConfig?: boolean; inlineCa?: boolean } = {}): Record<string, unknown> {
  const signedGun = env.gunOf('acme/web');
  const rule = (repo: string, rootKeysOf: string) => ({
    name: repo,
    images: [env.gunOf(repo)],
    server: env.notaryUrl,
    ca: opts.inlineCa ? env.caPem : env.caFile,
    rootKeys: env.rootKeyIds[env.gunOf(rootKeysOf)],
  });
  return {
    apiVersion: 'notary-pin.dev/v1alpha1',
    kind: 'NotaryPin',
    metadata: {
      name: 'notary-pin',
      ...(opts.localConfig && { annotations: { 'config.kubernetes.io/local-config': 'true' } }),
    },
    spec: {
      mode: 'pin',
      reference: 'tag-and-digest',
      trust: [
        rule('acme/web', 'acme/web'),
        rule('acme/api', 'acme/api'),
        // The unsigned GUN has no root of its own: any pinned key will do, the server has nothing.
        { ...rule('acme/unsigned', 'acme/web'), rootKeys: env.rootKeyIds[signedGun] },
      ],
    },
  };
}

/** Writes {@link notaryPinConfig} as YAML. */
export async function writeConfig(
  file: string,
  env: NotaryEnv,
  opts: { localConfig?: boolean; inlineCa?: boolean } = {},
): Promise<string> {
  await writeFile(file, stringify(notaryPinConfig(env, opts)));
  return file;
}

/** A fresh temp directory (remove it with {@link removeDir}). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `notary-pin-${prefix}-`));
}

export function removeDir(dir: string | undefined): Promise<void> {
  return dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true });
}

/** Copies a directory and replaces the placeholder registry with `registryHost` in every YAML file. */
export async function copyWithRegistry(src: string, dest: string, registryHost: string): Promise<void> {
  await cp(src, dest, { recursive: true });
  await replaceRegistry(dest, registryHost);
}

async function replaceRegistry(dir: string, registryHost: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await replaceRegistry(p, registryHost);
    else if (/\.ya?ml$/.test(entry.name)) {
      const text = await readFile(p, 'utf8');
      await writeFile(p, text.split(PLACEHOLDER_REGISTRY).join(registryHost));
    }
  }
}

/** A workload using the unsigned image, to prove the kits fail closed. */
export function unsignedDeployment(env: NotaryEnv): string {
  return [
    '# This image is pushed but never signed: notary-pin must refuse it.',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: unsigned',
    'spec:',
    '  selector:',
    '    matchLabels: {app: unsigned}',
    '  template:',
    '    metadata:',
    '      labels: {app: unsigned}',
    '    spec:',
    '      containers:',
    '        - name: unsigned',
    `          image: ${env.images[UNSIGNED]!.reference}`,
    '',
  ].join('\n');
}

/**
 * Builds the bundle with the real build script (scripts/build.mjs) into `<dir>/dist/notary-pin.mjs`
 * without touching the checkout's dist/: the script writes `<its root>/dist`, so it runs from a
 * temp root whose package.json, src/ and node_modules/ link to the checkout.
 */
export async function buildBundle(dir: string): Promise<string> {
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await cp(join(REPO_ROOT, 'scripts', 'build.mjs'), join(dir, 'scripts', 'build.mjs'));
  for (const name of ['package.json', 'tsconfig.json', 'src', 'node_modules']) {
    await symlink(join(REPO_ROOT, name), join(dir, name));
  }
  await runOk(process.execPath, [join(dir, 'scripts', 'build.mjs')], { timeoutMs: 120_000 });
  return join(dir, 'dist', 'notary-pin.mjs');
}

/** What one consumer test file shares: a running notary env, a temp dir and the built bundle. */
export interface ConsumerContext {
  readonly env: NotaryEnv;
  readonly work: string;
  readonly bundle: string;
}

/**
 * Registers the hooks every consumer test file needs: before its tests, a temp dir, the real
 * notary env and a freshly built bundle (in parallel); after them, everything stopped and removed.
 * The returned object's fields are set once `beforeAll` has run.
 */
export function useConsumerEnv(name: string): ConsumerContext {
  const ctx = {} as { env?: NotaryEnv; work?: string; bundle?: string };
  beforeAll(async () => {
    ctx.work = await tempDir(name);
    [ctx.env, ctx.bundle] = await Promise.all([startConsumerEnv(), buildBundle(join(ctx.work, 'build'))]);
  }, 180_000);
  afterAll(async () => {
    await ctx.env?.stop();
    await removeDir(ctx.work);
  });
  const ready = <K extends keyof typeof ctx>(k: K): NonNullable<(typeof ctx)[K]> => {
    const v = ctx[k];
    if (v === undefined) throw new Error(`consumer env: ${k} is not ready (beforeAll did not run or failed)`);
    return v as NonNullable<(typeof ctx)[K]>;
  };
  return {
    get env() {
      return ready('env');
    },
    get work() {
      return ready('work');
    },
    get bundle() {
      return ready('bundle');
    },
  };
}
