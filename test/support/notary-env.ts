/**
 * Starts the REAL components for integration tests and the benchmark:
 *
 * - `notary-server` (TLS with a throw-away CA, `trust_service: local`, in-memory storage),
 * - the distribution registry (`docker-registry serve`, plain HTTP, filesystem storage, no auth),
 * - small distinct OCI images built in Node and pushed with `skopeo copy --preserve-digests`,
 * - trust data signed with the real `notary` CLI (targets, a `targets/releases` delegation,
 *   a server-managed snapshot key, or nothing).
 *
 * Everything binds 127.0.0.1 on ports chosen by binding port 0, every command and wait is bounded,
 * and `stop()` (or process exit) kills every process and removes the temp directory.
 *
 * ```ts
 * const env = await startNotaryEnv({ repos: [{ name: 'library/app', tags: ['1.0'], sign: 'targets' }] });
 * env.images['library/app:1.0'].digest; // sha256:… as the registry and the trust data say
 * await env.stop();
 * ```
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestPki, type TestPki } from '../../src/demo/pki.js';
import { makeDelegationKey } from './certs.js';
import { freePort, registerTempDir, startDaemon, waitUntil, type Daemon } from './daemon.js';
import { run, runOk, type RunResult } from './exec.js';
import { httpGet, type HttpResponse } from './http.js';
import { OCI_MANIFEST, writeOciLayout } from './oci-layout.js';
import { findTool } from './find-tool.js';

/** How a repository's tags are signed. `releases` = the `targets/releases` delegation. */
export type SignMode = 'targets' | 'releases' | 'none';

/** Declarative description of one repository. */
export interface RepoSpec {
  /** Repository path in the registry, e.g. `library/app`. */
  name: string;
  /** Tags pushed AND signed (unless `sign: 'none'`). */
  tags: string[];
  /** Default `targets`. `none` pushes the images and creates no trust data at all. */
  sign?: SignMode;
  /** Rotate the snapshot key to the server (`notary key rotate GUN snapshot -r`); root becomes v2. */
  rotateSnapshot?: boolean;
  /** Tags pushed to the registry but never signed (the GUN still has trust data when signed). */
  unsignedTags?: string[];
}

/** Options of {@link startNotaryEnv}. */
export interface NotaryEnvOptions {
  repos?: RepoSpec[];
  /** Bound for each daemon to become ready (default 15 s). */
  readyTimeoutMs?: number;
  /** Keep the temp dir after `stop()` (also `NOTARY_ENV_KEEP=1`), for debugging. */
  keepTempDir?: boolean;
}

/** A pushed image. */
export interface ImageInfo {
  /** Repository path, e.g. `library/app`. */
  repo: string;
  /** Notary GUN: `127.0.0.1:<registry port>/<repo>`. */
  gun: string;
  tag: string;
  /** `sha256:<hex>`: the registry's `Docker-Content-Digest` (= sha256 of the manifest bytes). */
  digest: string;
  /** Manifest size in bytes (the TUF target length). */
  length: number;
  /** `127.0.0.1:<port>/<repo>:<tag>`. */
  reference: string;
  /** The role whose metadata lists this tag, or null when unsigned. */
  signedIn: 'targets' | 'targets/releases' | null;
  /** The manifest bytes as served by the registry. */
  manifest: Buffer;
}

/** Options for {@link NotaryEnv.sign}. */
export interface SignOptions {
  /** Where to sign (default `targets`). */
  role?: 'targets' | 'targets/releases';
}

/** A running environment; see {@link startNotaryEnv}. */
export interface NotaryEnv {
  /** `https://127.0.0.1:<port>` of notary-server. */
  readonly notaryUrl: string;
  /** `127.0.0.1:<port>` of the registry (plain HTTP). */
  readonly registryHost: string;
  /** `http://127.0.0.1:<port>`. */
  readonly registryUrl: string;
  /** PEM file of the CA that issued notary-server's certificate. */
  readonly caFile: string;
  readonly caPem: string;
  /** The signer's notary trust directory (holds the private keys). */
  readonly trustDir: string;
  /** The environment's temp directory (removed by `stop()`). */
  readonly tempDir: string;
  /** Keyed `<repo>:<tag>`, e.g. `library/app:1.0`; updated by `addRepos` / `sign`. */
  readonly images: Record<string, ImageInfo>;
  /** Per GUN: `signed.roles.root.keyids` of the server's current root.json. */
  readonly rootKeyIds: Record<string, string[]>;
  /** Milliseconds spent in each start phase (`pki`, `notaryServer`, `registry`, `push`, `sign`, `total`). */
  readonly timings: Record<string, number>;
  /** Pids of the servers' watchdog processes (each server runs as its child): the bench reads their CPU time. */
  readonly daemonPids: { readonly notaryServer: number; readonly registry: number };
  /** The GUN of a repository path. */
  gunOf(repo: string): string;
  /** Raw bytes of `<role>.json` for `gun` from notary-server; rejects unless 200. */
  fetchMetadata(gun: string, role: string): Promise<Buffer>;
  /** GET on notary-server (path starting with `/`), any status. */
  notaryGet(path: string): Promise<HttpResponse>;
  /** Runs the real `notary` CLI against this server (`-s`, `--tlscacert`, `-d` are added). */
  notary(args: readonly string[], opts?: { trustDir?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Pushes and signs more repositories. */
  addRepos(repos: RepoSpec[]): Promise<void>;
  /**
   * Pushes a NEW distinct image as `repo:tag` and signs it in `role` (initialising trust data or
   * the delegation if needed). Re-signing an existing tag moves it to the new digest.
   */
  sign(repo: string, tag: string, opts?: SignOptions): Promise<ImageInfo>;
  /** Kills every process and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

/** Passphrase for every key the harness creates (test keys only, never a secret). */
export const TEST_PASSPHRASE = 'notary-pin-test-passphrase';

const NOTARY_TIMEOUT_MS = 30_000;
const SKOPEO_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

const passphraseEnv: Record<string, string> = {
  NOTARY_ROOT_PASSPHRASE: TEST_PASSPHRASE,
  NOTARY_TARGETS_PASSPHRASE: TEST_PASSPHRASE,
  NOTARY_SNAPSHOT_PASSPHRASE: TEST_PASSPHRASE,
  NOTARY_DELEGATION_PASSPHRASE: TEST_PASSPHRASE,
};

interface RepoState {
  gun: string;
  initialized: boolean;
  hasReleases: boolean;
  rotated: boolean;
  /** Serialises notary operations on this GUN. */
  chain: Promise<unknown>;
}

function validateSpec(spec: RepoSpec): void {
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(spec.name)) {
    throw new Error(`startNotaryEnv: invalid repository name ${JSON.stringify(spec.name)}`);
  }
  for (const tag of [...spec.tags, ...(spec.unsignedTags ?? [])]) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
      throw new Error(`startNotaryEnv: invalid tag ${JSON.stringify(tag)} for ${spec.name}`);
    }
  }
  if ((spec.sign ?? 'targets') === 'none' && spec.rotateSnapshot) {
    throw new Error(`startNotaryEnv: ${spec.name}: rotateSnapshot needs trust data (sign is 'none')`);
  }
}

function readTail(file: string, n = 4000): string {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > n ? `…${s.slice(-n)}` : s;
  } catch {
    return '';
  }
}

async function startNotaryServer(
  dir: string,
  pki: TestPki,
  readyTimeoutMs: number,
  orphanCleanupDir: string | undefined,
): Promise<{ daemon: Daemon; url: string }> {
  let lastErr: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const configFile = join(dir, 'notary-server.json');
    await writeFile(
      configFile,
      JSON.stringify(
        {
          server: { http_addr: `127.0.0.1:${port}`, tls_cert_file: pki.certFile, tls_key_file: pki.keyFile },
          trust_service: { type: 'local', hostname: '', port: '', key_algorithm: 'ecdsa' },
          storage: { backend: 'memory' },
          logging: { level: 'warn' },
        },
        null,
        2,
      ),
    );
    const logFile = join(dir, 'notary-server.log');
    const daemon = startDaemon('notary-server', 'notary-server', ['-config', configFile, '-logf', 'logfmt'], logFile, orphanCleanupDir);
    const url = `https://127.0.0.1:${port}`;
    try {
      await waitUntil(
        'notary-server health',
        async () => (await httpGet(`${url}/_notary_server/health`, { ca: pki.caPem, timeoutMs: 2_000 })).status === 200,
        { timeoutMs: readyTimeoutMs, daemon, readLog: () => readTail(logFile) },
      );
      return { daemon, url };
    } catch (err) {
      lastErr = err;
      await daemon.stop();
    }
  }
  throw lastErr;
}

/** Starts a real `docker-registry` (distribution 2.8: no referrers API) on 127.0.0.1, storing under `dir`. */
export async function startRegistry(
  dir: string,
  readyTimeoutMs: number,
  orphanCleanupDir: string | undefined,
): Promise<{ daemon: Daemon; host: string }> {
  const storage = join(dir, 'registry-storage');
  await mkdir(storage, { recursive: true });
  let lastErr: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const configFile = join(dir, 'registry.yml');
    await writeFile(
      configFile,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${JSON.stringify(storage)}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        `  secret: ${randomBytes(16).toString('hex')}`,
        '',
      ].join('\n'),
    );
    const logFile = join(dir, 'registry.log');
    const bin = findTool('docker-registry') ?? '/usr/bin/docker-registry';
    const daemon = startDaemon('docker-registry', bin, ['serve', configFile], logFile, orphanCleanupDir);
    const host = `127.0.0.1:${port}`;
    try {
      await waitUntil(
        'registry /v2/',
        async () => (await httpGet(`http://${host}/v2/`, { timeoutMs: 2_000 })).status === 200,
        { timeoutMs: readyTimeoutMs, daemon, readLog: () => readTail(logFile) },
      );
      return { daemon, host };
    } catch (err) {
      lastErr = err;
      await daemon.stop();
    }
  }
  throw lastErr;
}

/**
 * Starts notary-server and a registry, pushes and signs `opts.repos`, and returns the running
 * environment. Always call `stop()` (e.g. in `afterAll`); process exit cleans up as well.
 */
export async function startNotaryEnv(opts: NotaryEnvOptions = {}): Promise<NotaryEnv> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - s);
    }
  };
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  const keep = opts.keepTempDir ?? process.env.NOTARY_ENV_KEEP === '1';
  for (const spec of opts.repos ?? []) validateSpec(spec);

  const tempDir = await mkdtemp(join(tmpdir(), 'notary-pin-env-'));
  const unregister = keep ? () => false : registerTempDir(tempDir);
  const trustDir = join(tempDir, 'trust');
  const layoutsDir = join(tempDir, 'layouts');
  const keysDir = join(tempDir, 'keys');
  await Promise.all([mkdir(trustDir), mkdir(layoutsDir), mkdir(keysDir)]);
  const policyFile = join(tempDir, 'skopeo-policy.json');
  await writeFile(policyFile, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));

  const daemons: Daemon[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(daemons.map((d) => d.stop()));
    if (!keep) {
      await rm(tempDir, { recursive: true, force: true });
      unregister();
    }
  };

  try {
    const pkiP = time('pki', async () => writeTestPki(tempDir));
    const notaryP = pkiP.then((pki) =>
      time('notaryServer', async () => {
        const s = await startNotaryServer(tempDir, pki, readyTimeoutMs, keep ? undefined : tempDir);
        daemons.push(s.daemon);
        return s;
      }),
    );
    const registryP = time('registry', async () => {
      const r = await startRegistry(tempDir, readyTimeoutMs, keep ? undefined : tempDir);
      daemons.push(r.daemon);
      return r;
    });
    // allSettled: on failure every daemon that did start is in `daemons` before stop() runs.
    const settled = await Promise.allSettled([pkiP, notaryP, registryP]);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    const [pki, notary, registry] = await Promise.all([pkiP, notaryP, registryP]);
    const env = new EnvImpl({
      tempDir,
      trustDir,
      layoutsDir,
      keysDir,
      policyFile,
      pki,
      notaryUrl: notary.url,
      registryHost: registry.host,
      daemonPids: { notaryServer: notary.daemon.pid, registry: registry.daemon.pid },
      timings,
      stop,
    });
    if (opts.repos !== undefined && opts.repos.length > 0) await env.addRepos(opts.repos, time);
    timings.total = Math.round(performance.now() - t0);
    return env;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

type Timer = <T>(name: string, f: () => Promise<T>) => Promise<T>;

class EnvImpl implements NotaryEnv {
  readonly notaryUrl: string;
  readonly registryHost: string;
  readonly registryUrl: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly trustDir: string;
  readonly tempDir: string;
  readonly images: Record<string, ImageInfo> = {};
  readonly rootKeyIds: Record<string, string[]> = {};
  readonly timings: Record<string, number>;
  readonly daemonPids: NotaryEnv['daemonPids'];
  readonly stop: () => Promise<void>;

  private readonly layoutsDir: string;
  private readonly keysDir: string;
  private readonly policyFile: string;
  private readonly repos = new Map<string, RepoState>();
  private rootKeyP: Promise<void> | undefined;
  private delegationKeyP: Promise<{ keyFile: string; pubFile: string }> | undefined;

  constructor(init: {
    tempDir: string;
    trustDir: string;
    layoutsDir: string;
    keysDir: string;
    policyFile: string;
    pki: TestPki;
    notaryUrl: string;
    registryHost: string;
    daemonPids: NotaryEnv['daemonPids'];
    timings: Record<string, number>;
    stop: () => Promise<void>;
  }) {
    this.tempDir = init.tempDir;
    this.trustDir = init.trustDir;
    this.layoutsDir = init.layoutsDir;
    this.keysDir = init.keysDir;
    this.policyFile = init.policyFile;
    this.caFile = init.pki.caFile;
    this.caPem = init.pki.caPem;
    this.notaryUrl = init.notaryUrl;
    this.registryHost = init.registryHost;
    this.registryUrl = `http://${init.registryHost}`;
    this.timings = init.timings;
    this.daemonPids = init.daemonPids;
    this.stop = init.stop;
  }

  gunOf(repo: string): string {
    return `${this.registryHost}/${repo}`;
  }

  notaryGet(path: string): Promise<HttpResponse> {
    return httpGet(`${this.notaryUrl}${path}`, { ca: this.caPem, timeoutMs: 10_000 });
  }

  async fetchMetadata(gun: string, role: string): Promise<Buffer> {
    const res = await this.notaryGet(`/v2/${gun}/_trust/tuf/${role}.json`);
    if (res.status !== 200) {
      const err = new Error(`notary-server: GET ${role}.json for ${gun}: HTTP ${res.status}`);
      (err as Error & { status?: number }).status = res.status;
      throw err;
    }
    return res.body;
  }

  notary(args: readonly string[], opts: { trustDir?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(
      'notary',
      ['-s', this.notaryUrl, '--tlscacert', this.caFile, '-d', opts.trustDir ?? this.trustDir, ...args],
      { env: passphraseEnv, timeoutMs: opts.timeoutMs ?? NOTARY_TIMEOUT_MS },
    );
  }

  private async notaryOk(args: readonly string[]): Promise<RunResult> {
    const res = await this.notary(args);
    if (res.timedOut || res.code !== 0) {
      throw new Error(
        `notary ${args.join(' ')} failed (${res.timedOut ? 'timed out' : `exit ${res.code}`}):\n${res.stderr}${res.stdout}`,
      );
    }
    return res;
  }

  async addRepos(specs: RepoSpec[], time?: Timer): Promise<void> {
    for (const spec of specs) validateSpec(spec);
    const names = new Set<string>();
    for (const spec of specs) {
      if (names.has(spec.name) || this.repos.has(spec.name)) {
        throw new Error(`startNotaryEnv: repository ${spec.name} given twice`);
      }
      names.add(spec.name);
    }
    const t: Timer = time ?? ((_n, f) => f());
    // Push every image (in parallel), then sign (GUNs in parallel, each GUN's steps in order).
    const pushed = await t('push', () =>
      Promise.all(
        specs.flatMap((spec) =>
          [...spec.tags, ...(spec.unsignedTags ?? [])].map((tag) => this.pushImage(spec.name, tag)),
        ),
      ),
    );
    const byKey = new Map(pushed.map((img) => [`${img.repo}:${img.tag}`, img]));
    await t('sign', () =>
      Promise.all(
        specs.map(async (spec) => {
          const mode = spec.sign ?? 'targets';
          const state = this.state(spec.name);
          const images = spec.tags.map((tag) => byKey.get(`${spec.name}:${tag}`)!);
          if (mode !== 'none') {
            const role = mode === 'releases' ? 'targets/releases' : 'targets';
            await this.serial(state, () => this.signImages(state, images, role, spec.rotateSnapshot === true));
          }
          for (const img of pushed.filter((i) => i.repo === spec.name)) this.images[`${img.repo}:${img.tag}`] = img;
        }),
      ),
    );
  }

  async sign(repo: string, tag: string, opts: SignOptions = {}): Promise<ImageInfo> {
    validateSpec({ name: repo, tags: [tag] });
    const img = await this.pushImage(repo, tag);
    const state = this.state(repo);
    const role = opts.role ?? 'targets';
    await this.serial(state, () => this.signImages(state, [img], role, false));
    this.images[`${repo}:${tag}`] = img;
    return img;
  }

  private state(repo: string): RepoState {
    let s = this.repos.get(repo);
    if (s === undefined) {
      s = { gun: this.gunOf(repo), initialized: false, hasReleases: false, rotated: false, chain: Promise.resolve() };
      this.repos.set(repo, s);
    }
    return s;
  }

  private serial<T>(state: RepoState, f: () => Promise<T>): Promise<T> {
    const next = state.chain.then(f, f);
    state.chain = next.catch(() => undefined);
    return next;
  }

  /** Builds a distinct OCI layout, pushes it with skopeo, and reads back the registry's manifest. */
  private async pushImage(repo: string, tag: string): Promise<ImageInfo> {
    const dir = join(this.layoutsDir, randomUUID());
    const layout = await writeOciLayout(dir, tag, `notary-pin test image ${repo}:${tag} ${randomUUID()}\n`);
    const reference = `${this.registryHost}/${repo}:${tag}`;
    await runOk(
      'skopeo',
      [
        '--policy', this.policyFile, 'copy', '--quiet', '--preserve-digests',
        '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${reference}`,
      ],
      { timeoutMs: SKOPEO_TIMEOUT_MS, env: { REGISTRY_AUTH_FILE: join(this.tempDir, 'auth.json') } },
    );
    const res = await httpGet(`${this.registryUrl}/v2/${repo}/manifests/${tag}`, {
      headers: { Accept: `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json` },
      timeoutMs: 10_000,
    });
    if (res.status !== 200) throw new Error(`registry: GET manifest ${reference}: HTTP ${res.status}`);
    const header = res.headers['docker-content-digest'];
    const digest = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    if (header !== digest || digest !== layout.digest) {
      throw new Error(
        `registry: ${reference}: Docker-Content-Digest ${String(header)}, sha256(body) ${digest}, pushed ${layout.digest} differ`,
      );
    }
    return {
      repo,
      gun: this.gunOf(repo),
      tag,
      digest,
      length: res.body.length,
      reference,
      signedIn: null,
      manifest: res.body,
    };
  }

  /** One root key shared by every GUN (as Docker does); created once before the first `init`. */
  private ensureRootKey(): Promise<void> {
    this.rootKeyP ??= this.notaryOk(['key', 'generate', 'ecdsa', '--role', 'root']).then(() => undefined);
    return this.rootKeyP;
  }

  /** One `targets/releases` key (PKCS#8 P-256 from openssl) imported once into the trust dir. */
  private ensureDelegationKey(): Promise<{ keyFile: string; pubFile: string }> {
    this.delegationKeyP ??= (async () => {
      const k = await makeDelegationKey(this.keysDir, 'releases');
      await this.notaryOk(['key', 'import', k.keyFile, '--role', 'targets/releases']);
      return k;
    })();
    return this.delegationKeyP;
  }

  /** Signs `images` (all of one GUN) in `role`, creating trust data / delegation / rotation first. */
  private async signImages(
    state: RepoState,
    images: ImageInfo[],
    role: 'targets' | 'targets/releases',
    rotateSnapshot: boolean,
  ): Promise<void> {
    const gun = state.gun;
    const needReleases = role === 'targets/releases' && !state.hasReleases;
    let staged = false;
    if (!state.initialized) {
      await this.ensureRootKey();
      await this.notaryOk(['init', gun]);
      staged = true;
    }
    if (needReleases) {
      const k = await this.ensureDelegationKey();
      await this.notaryOk(['delegation', 'add', gun, 'targets/releases', k.pubFile, '--all-paths']);
      staged = true;
    }
    if (staged && (needReleases || rotateSnapshot)) {
      // The delegation (and a repository to rotate) must exist on the server before use.
      await this.notaryOk(['publish', gun]);
      staged = false;
      state.initialized = true;
      if (needReleases) state.hasReleases = true;
    }
    if (rotateSnapshot && !state.rotated) {
      await this.notaryOk(['key', 'rotate', gun, 'snapshot', '-r']);
      state.rotated = true;
    }
    for (const img of images) {
      const file = join(this.layoutsDir, `${randomUUID()}.manifest.json`);
      await writeFile(file, img.manifest);
      await this.notaryOk(['add', gun, img.tag, file, ...(role === 'targets' ? [] : ['--roles', role])]);
    }
    await this.notaryOk(['publish', gun]);
    state.initialized = true;
    if (needReleases) state.hasReleases = true;
    for (const img of images) img.signedIn = role;
    const root = JSON.parse((await this.fetchMetadata(gun, 'root')).toString('utf8')) as {
      signed?: { roles?: { root?: { keyids?: unknown } } };
    };
    const keyids = root.signed?.roles?.root?.keyids;
    if (!Array.isArray(keyids) || !keyids.every((k) => typeof k === 'string')) {
      throw new Error(`notary-server: root.json for ${gun} has no root key IDs`);
    }
    this.rootKeyIds[gun] = keyids as string[];
  }
}

