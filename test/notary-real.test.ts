/**
 * End to end against the real tools: notary-server (TLS, its own CA), trust data signed by the real
 * notary CLI (ecdsa-x509 root, ecdsa targets, ed25519 timestamp, targets/releases delegation, a
 * server-held snapshot key with root v2), resolved by this resolver with the real TUF verifier.
 * Skipped when the tools are not installed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrustRuleSchema, type TrustRuleInput } from '../src/config/schema.js';
import type { ImageReference } from '../src/reference/image-reference.js';
import { startNotaryEnv, type NotaryEnv } from './support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';
import { startTestServer } from './support/http-server.js';
import { createNotaryResolver, type NotaryResolver } from '../src/trust/notary/resolver.js';
import { notaryHandler } from '../src/demo/notary-handler.js';
import { error, value } from './support/notary/helpers.js';

const execFileP = promisify(execFile);

describeWithTools(NOTARY_ENV_TOOLS, 'notary resolver against real notary-server data', () => {
  let env: NotaryEnv;
  let resolver: NotaryResolver;
  let cacheDir: string;
  const fetches: string[] = [];

  beforeAll(async () => {
    env = await startNotaryEnv({
      repos: [
        { name: 'library/app', tags: ['1.0', '2.0'], sign: 'targets', unsignedTags: ['3.0'] },
        { name: 'library/rel', tags: ['1.0'], sign: 'releases' },
        { name: 'team/rotated', tags: ['v1'], sign: 'targets', rotateSnapshot: true },
        { name: 'library/unsigned', tags: ['latest'], sign: 'none' },
      ],
    });
    cacheDir = await mkdtemp(join(tmpdir(), 'np-real-cache-'));
    resolver = createNotaryResolver({ env: {}, homeDir: cacheDir, cacheDir, onFetch: (gun, role) => fetches.push(`${gun} ${role}`) });
  }, 300_000);

  afterAll(async () => {
    await resolver?.close();
    await env?.stop();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  const ref = (repo: string, tag?: string, digest?: string): ImageReference => ({
    original: `${env.registryHost}/${repo}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
    domain: env.registryHost,
    path: repo,
    repository: `${env.registryHost}/${repo}`,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  });
  const rule = (repo: string, o: Partial<TrustRuleInput> = {}) =>
    TrustRuleSchema.parse({
      images: ['**'],
      server: env.notaryUrl,
      ca: env.caFile,
      rootKeys: env.rootKeyIds[env.gunOf(repo)] ?? ['0'.repeat(64)],
      ...o,
    });

  it('resolves tags signed in targets to the registry digest, in one round of 4 requests', async () => {
    const img = env.images['library/app:1.0']!;
    fetches.length = 0;
    expect(value(await resolver.resolve(ref('library/app', '1.0'), rule('library/app')))).toEqual({
      digest: img.digest,
      tag: '1.0',
      role: 'targets',
      gun: img.gun,
      verifiedAt: expect.any(Date),
    });
    expect(fetches.map((f) => f.split(' ')[1]).sort()).toEqual(['root', 'snapshot', 'targets', 'timestamp']);
    expect(value(await resolver.resolve(ref('library/app', '2.0'), rule('library/app'))).digest).toBe(env.images['library/app:2.0']!.digest);
    expect(fetches).toHaveLength(4); // cached
  });

  it('resolves tags signed in the targets/releases delegation', async () => {
    const img = env.images['library/rel:1.0']!;
    expect(value(await resolver.resolve(ref('library/rel', '1.0'), rule('library/rel')))).toMatchObject({ digest: img.digest, role: 'targets/releases' });
  });

  it('resolves a repository whose snapshot key is held by the server (root v2)', async () => {
    const img = env.images['team/rotated:v1']!;
    expect(value(await resolver.resolve(ref('team/rotated', 'v1'), rule('team/rotated'))).digest).toBe(img.digest);
  });

  it('confirms a signed digest and rejects an unsigned tag', async () => {
    const img = env.images['library/app:2.0']!;
    expect(value(await resolver.resolve(ref('library/app', undefined, img.digest), rule('library/app')))).toMatchObject({ tag: '2.0' });
    const e = error(await resolver.resolve(ref('library/app', '3.0'), rule('library/app')));
    expect(e.code).toBe('UNSIGNED');
  });

  it('reports a repository without trust data as TRUST_NOT_FOUND', async () => {
    const e = error(await resolver.resolve(ref('library/unsigned', 'latest'), rule('library/unsigned')));
    expect(e.code).toBe('TRUST_NOT_FOUND');
  });

  it('fails closed with a trust.ca hint when the CA is not configured', async () => {
    const e = error(await resolver.resolve(ref('library/app', '1.0'), rule('library/app', { ca: undefined, name: 'no-ca' })));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.hint).toMatch(/trust\.ca/);
  });

  it('rejects a root that the pinned key IDs do not name', async () => {
    const e = error(await resolver.resolve(ref('library/app', '1.0'), rule('library/app', { rootKeys: env.rootKeyIds[env.gunOf('library/rel')] })));
    expect(e.code).toBe('TRUST_ROOT_UNTRUSTED');
  });

  it('TOFU: accepts and remembers the first root', async () => {
    const img = env.images['library/rel:1.0']!;
    const r = rule('library/rel', { rootKeys: undefined, tofu: true, name: 'tofu' });
    expect(value(await resolver.resolve(ref('library/rel', '1.0'), r)).digest).toBe(img.digest);
    const again = createNotaryResolver({ env: {}, homeDir: cacheDir, cacheDir });
    try {
      expect(value(await again.resolve(ref('library/rel', '1.0'), r)).digest).toBe(img.digest);
    } finally {
      await again.close();
    }
  });

  it("resolves offline from the notary client's trust dir", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'np-real-offline-'));
    try {
      const img = env.images['library/rel:1.0']!;
      const res = await env.notary(['lookup', img.gun, '1.0'], { trustDir: dir });
      expect(res.code).toBe(0);
      const offline = createNotaryResolver({ env: {} });
      try {
        const r = TrustRuleSchema.parse({ images: ['**'], trustDir: dir, rootKeys: env.rootKeyIds[img.gun] });
        expect(value(await offline.resolve(ref('library/rel', '1.0'), r))).toMatchObject({ digest: img.digest, role: 'targets/releases' });
      } finally {
        await offline.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a delegation real notary declares but never published (delegation add + publish, nothing signed in it) fails closed until something is signed in it', async () => {
    await env.addRepos([{ name: 'team/pending', tags: ['1.0'], sign: 'targets' }]);
    const gun = env.gunOf('team/pending');
    const pub = join(env.tempDir, 'pending-delegate.pem');
    await execFileP('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(env.tempDir, 'pending-delegate.key'), '-out', pub, '-days', '30', '-subj', '/CN=pending']);
    for (const args of [['delegation', 'add', gun, 'targets/releases', pub, '--all-paths'], ['publish', gun]]) {
      expect((await env.notary(args)).code).toBe(0);
    }
    // What notary-server serves now: targets declares targets/releases, the snapshot does not list it.
    const snapshot = JSON.parse((await env.fetchMetadata(gun, 'snapshot')).toString('utf8')) as { signed: { meta: Record<string, unknown> } };
    expect(Object.keys(snapshot.signed.meta).sort()).toEqual(['root', 'targets']);
    const r = createNotaryResolver({ env: {}, homeDir: cacheDir });
    try {
      const e = error(await r.resolve(ref('team/pending', '1.0'), rule('team/pending')));
      expect(e.code).toBe('TRUST_MISMATCH');
      expect(e.role).toBe('targets/releases');
      expect(e.hint).toContain('--roles targets/releases');
      // A rule that does not ask for the delegation is unaffected.
      expect(value(await r.resolve(ref('team/pending', '1.0'), rule('team/pending', { signers: ['targets'] }))).digest).toBe(env.images['team/pending:1.0']!.digest);
    } finally {
      await r.close();
    }
    // Once something is signed in the delegation, the snapshot lists it and the repository resolves.
    const signed = await env.sign('team/pending', '2.0', { role: 'targets/releases' });
    const again = createNotaryResolver({ env: {}, homeDir: cacheDir });
    try {
      expect(value(await again.resolve(ref('team/pending', '2.0'), rule('team/pending'))).digest).toBe(signed.digest);
      expect(value(await again.resolve(ref('team/pending', '1.0'), rule('team/pending'))).digest).toBe(env.images['team/pending:1.0']!.digest);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('rejects the trust data of another GUN served for this one', async () => {
    const victim = env.gunOf('library/rel');
    const other = env.gunOf('library/app');
    const files = new Map<string, Uint8Array>();
    for (const role of ['root', 'timestamp', 'snapshot', 'targets']) files.set(`${role}.json`, new Uint8Array(await env.fetchMetadata(other, role)));
    const fake = await startTestServer(notaryHandler(new Map([[victim, files]])));
    const r = createNotaryResolver({ env: {}, homeDir: cacheDir });
    try {
      // pinned to the other GUN's root keys: the root certificate does not name this GUN
      const pinned = error(await r.resolve(ref('library/rel', '1.0'), rule('library/rel', { server: fake.url, ca: undefined, rootKeys: env.rootKeyIds[other] })));
      expect(pinned.code).toMatch(/^TRUST_(MISMATCH|ROOT_UNTRUSTED)$/);
      expect(pinned.role).toBe('root');
      // TOFU without a cache dir is refused before any fetch
      const before = fake.requests.length;
      const noStore = error(await r.resolve(ref('library/rel', '1.0'), rule('library/rel', { server: fake.url, ca: undefined, rootKeys: undefined, tofu: true })));
      expect(noStore.code).toBe('CONFIG_INVALID');
      expect(fake.requests.length).toBe(before);
      // TOFU with a store: the other GUN's root still does not name this GUN
      const tofuDir = await mkdtemp(join(tmpdir(), 'np-real-tofu-'));
      const withStore = createNotaryResolver({ env: {}, homeDir: tofuDir, cacheDir: tofuDir });
      try {
        const e = error(await withStore.resolve(ref('library/rel', '1.0'), rule('library/rel', { server: fake.url, ca: undefined, rootKeys: undefined, tofu: true })));
        expect(e.code).toMatch(/^TRUST_(MISMATCH|ROOT_UNTRUSTED)$/);
      } finally {
        await withStore.close();
        await rm(tofuDir, { recursive: true, force: true });
      }
    } finally {
      await r.close();
      await fake.close();
    }
  });
});
