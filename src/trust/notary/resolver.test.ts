import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TrustRuleSchema, type TrustRuleInput } from '../../config/schema.js';
import { startTestServer, type TestServer } from '../../../test/support/http-server.js';
import { createNotaryResolver, type NotaryResolver, type NotaryResolverOptions } from './resolver.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';
import { buildStubRepo, createStubVerifier } from '../../../test/support/notary/stub.js';
import { error, ref, value } from '../../../test/support/notary/helpers.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});


async function setup(data: TrustData, extra: Partial<NotaryResolverOptions> = {}) {
  const s: TestServer = await startTestServer(notaryHandler(data));
  const fetches: string[] = [];
  const r: NotaryResolver = createNotaryResolver({
    createVerifier: createStubVerifier,
    env: {},
    homeDir: '/nonexistent',
    onFetch: (gun, role) => fetches.push(`${gun} ${role}`),
    ...extra,
  });
  cleanup.push(() => r.close(), () => s.close());
  const rule = (o: Partial<TrustRuleInput> = {}) => TrustRuleSchema.parse({ images: ['**'], server: s.url, rootKeys: ['a'.repeat(64)], ...o });
  return { s, r, rule, fetches };
}


const GUN = '127.0.0.1:5000/app';
const repo = () =>
  new Map([[GUN, buildStubRepo({ gun: GUN, roles: { targets: { v1: D1, v2: D3, latest: D1 }, 'targets/releases': { v1: D2 } } })]]);

describe('notary resolver (stub verifier)', () => {
  it('resolves a tag, preferring targets/releases, then targets', async () => {
    const { r, rule } = await setup(repo());
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule()))).toEqual({ digest: D2, tag: 'v1', role: 'targets/releases', gun: GUN, verifiedAt: expect.any(Date) });
    expect(value(await r.resolve(ref(`${GUN}:v2`), rule()))).toEqual({ digest: D3, tag: 'v2', role: 'targets', gun: GUN, verifiedAt: expect.any(Date) });
  });

  it('uses rule.signers exactly', async () => {
    const { r, rule } = await setup(repo());
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule({ signers: ['targets'] }))).digest).toBe(D1);
    const e = error(await r.resolve(ref(`${GUN}:v2`), rule({ signers: ['targets/releases'] })));
    expect(e.code).toBe('UNSIGNED');
    expect(e.message).toBe(`tag v2 of ${GUN} is not signed by any of targets/releases`);
  });

  it('treats a reference without tag and digest as latest', async () => {
    const { r, rule } = await setup(repo());
    expect(value(await r.resolve(ref(GUN), rule()))).toMatchObject({ digest: D1, tag: 'latest', role: 'targets' });
  });

  it('reports an unsigned tag with the image, roles and a hint', async () => {
    const { r, rule } = await setup(repo());
    const e = error(await r.resolve(ref(`${GUN}:nope`), rule()));
    expect(e.code).toBe('UNSIGNED');
    expect(e.message).toBe(`tag nope of ${GUN} is not signed by any of targets/releases, targets`);
    expect(e.image).toBe(`${GUN}:nope`);
    expect(e.role).toBe('targets/releases, targets');
    expect(e.hint).toMatch(/sign it/);
  });

  it('confirms digest references', async () => {
    const { r, rule } = await setup(repo());
    expect(value(await r.resolve(ref(`${GUN}@${D3}`), rule()))).toEqual({ digest: D3, tag: 'v2', role: 'targets', gun: GUN, verifiedAt: expect.any(Date) });
    expect(value(await r.resolve(ref(`${GUN}@${D2}`), rule()))).toMatchObject({ role: 'targets/releases', tag: 'v1' });
    const e = error(await r.resolve(ref(`${GUN}@sha256:${'9'.repeat(64)}`), rule()));
    expect(e.code).toBe('UNSIGNED');
    expect(e.message).toMatch(/is not a signed target of/);
  });

  it('checks tag@digest against the signed digest of the tag', async () => {
    const { r, rule } = await setup(repo());
    expect(value(await r.resolve(ref(`${GUN}:v1@${D2}`), rule()))).toEqual({ digest: D2, tag: 'v1', role: 'targets/releases', gun: GUN, verifiedAt: expect.any(Date) });
    const e = error(await r.resolve(ref(`${GUN}:v1@${D1}`), rule()));
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(e.role).toBe('targets/releases');
    expect(error(await r.resolve(ref(`${GUN}:zz@${D1}`), rule())).code).toBe('UNSIGNED');
  });

  it('single flight: N concurrent resolves fetch each role once; later resolves hit the cache', async () => {
    const { r, rule, fetches, s } = await setup(repo());
    const rl = rule();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => r.resolve(ref(`${GUN}:${i % 2 ? 'v1' : 'v2'}`), rl)));
    expect(results.every((x) => x.ok)).toBe(true);
    expect(fetches.sort()).toEqual([`${GUN} root`, `${GUN} snapshot`, `${GUN} targets`, `${GUN} targets/releases`, `${GUN} timestamp`]);
    await r.resolve(ref(`${GUN}:v1`), rl);
    expect(s.requests).toHaveLength(5);
  });

  it('keeps trust data per rule identity: another pin set, or a shared cache between resolvers, never reuses it', async () => {
    const { r, rule, fetches } = await setup(repo());
    value(await r.resolve(ref(`${GUN}:v1`), rule()));
    const n = fetches.length;
    value(await r.resolve(ref(`${GUN}:v1`), rule())); // an equal rule (another object): cached
    expect(fetches).toHaveLength(n);
    value(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: ['b'.repeat(64)] }))); // other pins: fetched again
    expect(fetches.length).toBeGreaterThan(n);
    // a second resolver sharing the cache: its own rule (other pins) is a miss, not the first one's entry
    const r2 = createNotaryResolver({ createVerifier: createStubVerifier, env: {}, homeDir: '/nonexistent', cache: r.cache });
    cleanup.push(() => r2.close());
    const misses = r.cache.stats().misses;
    value(await r2.resolve(ref(`${GUN}:v1`), rule({ rootKeys: ['c'.repeat(64)] })));
    expect(r.cache.stats().misses).toBe(misses + 1);
    value(await r2.resolve(ref(`${GUN}:v1`), rule()));
    expect(r.cache.stats().misses).toBe(misses + 1); // the first rule's entry, shared
  });

  it('refetches after the TTL', async () => {
    let t = Date.now();
    const { r, rule, s } = await setup(repo(), { now: () => new Date(t), cache: { ttlMs: 1000 } });
    await r.resolve(ref(`${GUN}:v1`), rule());
    t += 1001;
    await r.resolve(ref(`${GUN}:v1`), rule());
    expect(s.requests).toHaveLength(10);
  });

  it('maps a GUN without trust data to TRUST_NOT_FOUND, carrying the image and role', async () => {
    const { r, rule } = await setup(new Map());
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule()));
    expect(e.code).toBe('TRUST_NOT_FOUND');
    expect(e.image).toBe(`${GUN}:v1`);
    expect(e.role).toBe('root');
    expect(e.hint).toMatch(/no trust data/);
  });

  it('refuses TOFU without a cache dir before fetching, and a rule without any root anchor after reading root', async () => {
    const { r, rule, s } = await setup(repo());
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: undefined, tofu: true })));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.hint).toMatch(/cacheDir/);
    expect(s.requests).toHaveLength(0);
    // No pin, no TOFU: refused by the verifier once root is read (the real verifier's hint naming
    // the key IDs is checked in test/attack-matrix.test.ts).
    const u = error(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: undefined })));
    expect(u.code).toBe('TRUST_ROOT_UNTRUSTED');
    expect(s.requests.some((q) => q.url.endsWith('/root.json'))).toBe(true);
  });

  it('TOFU with a cache dir stores the first root and versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-res-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { r, rule } = await setup(repo(), { cacheDir: dir });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule({ rootKeys: undefined, tofu: true }))).digest).toBe(D2);
    const { createTofuStore } = await import('./tofu.js');
    const rec = await createTofuStore(dir).load(GUN);
    expect(rec.root).toBeDefined();
    expect(rec.versions?.targets).toEqual({ targets: 1, 'targets/releases': 1 });
  });

  it('resolves offline from a trustDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-off-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [name, bytes] of repo().get(GUN)!) {
      const p = join(dir, 'tuf', GUN, 'metadata', name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, bytes);
    }
    const r = createNotaryResolver({ createVerifier: createStubVerifier, env: {} });
    cleanup.push(() => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], trustDir: dir, rootKeys: ['a'.repeat(64)] });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D2);
  });

  it('authenticates with docker config credentials for the trust server (token flow, scope of the GUN)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-auth-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const inner = notaryHandler(repo());
    const basic = `Basic ${Buffer.from('bob:pw-secret').toString('base64')}`;
    let base = '';
    const s = await startTestServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/token') {
        const ok = req.headers.authorization === basic && u.searchParams.get('scope') === `repository:${GUN}:pull`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        return void res.end(ok ? '{"access_token":"T"}' : '{}');
      }
      if (req.headers.authorization !== 'Bearer T') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="notary"` });
        return void res.end();
      }
      inner(req, res);
    });
    base = s.url;
    cleanup.push(() => s.close());
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [new URL(s.url).host]: { auth: Buffer.from('bob:pw-secret').toString('base64') } } }));
    const r = createNotaryResolver({ createVerifier: createStubVerifier, env: { DOCKER_CONFIG: dir } });
    cleanup.push(() => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], server: s.url, rootKeys: ['a'.repeat(64)] });
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D2);
    const tokenRequests = s.requests.filter((q) => q.url.startsWith('/token'));
    expect(tokenRequests).toHaveLength(1); // the concurrent first requests share one token fetch
    expect(s.requests.filter((q) => !q.url.startsWith('/token')).every((q) => q.headers.authorization !== basic)).toBe(true);
    // wrong password: TRUST_FETCH with a credentials hint and no secret in the message
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [new URL(s.url).host]: { username: 'bob', password: 'wrong-secret' } } }));
    const r2 = createNotaryResolver({ createVerifier: createStubVerifier, env: { DOCKER_CONFIG: dir } });
    cleanup.push(() => r2.close());
    const e = error(await r2.resolve(ref(`${GUN}:v1`), rule));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.hint).toMatch(/check credentials/);
    expect(JSON.stringify(e.toJSON())).not.toContain('wrong-secret');
  });
});

describe('notary resolver: messages that say what was tried', () => {
  it('a connect error at a server the rule did not name says it was defaulted to the registry host and how to set it', async () => {
    // A port nothing listens on: bind one, then close it.
    const s = await startTestServer(() => {});
    const port = new URL(s.url).port;
    await s.close();
    const r = createNotaryResolver({ createVerifier: createStubVerifier, env: {}, homeDir: '/nonexistent', http: { retries: 0 } });
    cleanup.push(() => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], rootKeys: ['a'.repeat(64)], timeoutSeconds: 5 });
    const e = error(await r.resolve(ref(`127.0.0.1:${port}/team/app:v1`), rule));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain(`trust.server is not set: it defaulted to https://127.0.0.1:${port}, from the registry host`);
    expect(e.hint).toMatch(/set trust.server in the rule .* trust.ca/);
    // A rule that names its server gets no such note.
    const named = error(await r.resolve(ref(`127.0.0.1:${port}/team/app:v1`), { ...rule, server: `https://127.0.0.1:${port}` }));
    expect(named.message).not.toContain('defaulted');
  });

  it('a relative ca that cannot be read names the absolute path tried and what relative paths resolve against', async () => {
    const { r, rule } = await setup(repo());
    const e = error(await r.resolve(ref(`${GUN}:v1`), rule({ server: 'https://127.0.0.1:1', ca: 'certs/notary-ca.pem' })));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(`cannot read ${join(process.cwd(), 'certs/notary-ca.pem')} ("certs/notary-ca.pem" resolved against the working directory ${process.cwd()})`);
    expect(e.hint).toContain("relative paths resolve against the config file's directory with --config");
  });
});
