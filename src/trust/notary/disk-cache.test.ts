/**
 * The on-disk metadata cache end to end: the real TUF verifier, TufRepoBuilder metadata served by
 * an in-process HTTPS notary read API, and a fresh resolver per "run" (as a new CI process would).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustRuleSchema, type TrustRule, type TrustRuleInput } from '../../config/schema.js';
import { startTestServer, type TestServer } from '../../../test/support/http-server.js';
import { generateRootKey } from './sign/keys.js';
import { TufRepoBuilder, fileMeta, parseFile, resign, serializeFile, tamper, type RepoFiles } from './sign/repo.js';
import { createMetadataDiskCache } from './disk-cache.js';
import { createNotaryResolver, type NotaryResolverOptions } from './resolver.js';
import { openTrustState } from './trust-state.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';
import { D, asFiles, error, names, value, ref , useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const GUN2 = 'registry.example:5000/team/other';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
interface CacheFile {
  server: string;
  gun: string;
  roles: Record<string, string>;
}
const readCache = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CacheFile;

const tls = useTestTls();
const { cleanup } = tls;


/**
 * `files` with the root bytes of an earlier build (the builder re-signs root on every build, with
 * fresh ECDSA signatures; notary-server serves the same root bytes until root really changes):
 * snapshot and timestamp are re-signed to list it.
 */
function keepRoot(files: RepoFiles, root: Uint8Array, b: TufRepoBuilder): RepoFiles {
  const snap = parseFile(files.snapshot!);
  (snap.signed.meta as Record<string, unknown>)['root'] = fileMeta(root);
  const snapshot = resign(serializeFile(snap), [b.keys.snapshot]);
  const ts = parseFile(files.timestamp!);
  (ts.signed.meta as Record<string, unknown>)['snapshot'] = fileMeta(snapshot);
  return { ...files, root, snapshot, timestamp: resign(serializeFile(ts), [b.keys.timestamp]) };
}

function builder(gun = GUN): TufRepoBuilder {
  const b = new TufRepoBuilder({ gun });
  b.addTarget('v1', { digest: D(1), length: 100 });
  b.addDelegation('targets/releases');
  b.addTarget('v1', { digest: D(2), length: 200 }, 'targets/releases');
  return b;
}

interface Env {
  s: TestServer;
  cacheDir: string;
  rule: (x?: Partial<TrustRuleInput>) => TrustRule;
  /** A new resolver, as a new process would build it. */
  run: (o?: Partial<NotaryResolverOptions>) => Pick<ReturnType<typeof createNotaryResolver>, 'resolve'>;
  serve: (data: TrustData) => void;
}

async function setup(data: TrustData): Promise<Env> {
  const s = await startTestServer(notaryHandler(data), tls.leaf);
  const cacheDir = mkdtempSync(join(tmpdir(), 'np-disk-'));
  cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
  return {
    s,
    cacheDir,
    rule: (x = {}) => TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, ...x }),
    run: (o = {}) => {
      const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, ...o });
      cleanup.push(() => r.close());
      // As between two processes: the background cache write is done before the next run reads.
      return { ...r, resolve: async (...a: Parameters<typeof r.resolve>) => {
        const out = await r.resolve(...a);
        await r.flush();
        return out;
      } };
    },
    serve: (d) => s.handle(notaryHandler(d)),
  };
}

describe('on-disk metadata cache', () => {
  it('a warm run makes exactly one request per GUN (timestamp.json) and resolves the same', async () => {
    const a = builder();
    const b = builder(GUN2);
    const env = await setup(new Map([[GUN, asFiles(a.build())], [GUN2, asFiles(b.build())]]));
    const rule = env.rule({ rootKeys: [...a.rootKeyIds().keyIds, ...b.rootKeyIds().keyIds] });

    const cold = env.run();
    expect(value(await cold.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(value(await cold.resolve(ref(`${GUN2}:v1`), rule)).digest).toBe(D(2));
    expect(env.s.requests).toHaveLength(10);

    const n = env.s.requests.length;
    const warm = env.run();
    const [x, y] = await Promise.all([warm.resolve(ref(`${GUN}:v1`), rule), warm.resolve(ref(`${GUN2}:v1`), rule)]);
    expect(value(x)).toEqual({ digest: D(2), tag: 'v1', role: 'targets/releases', gun: GUN, verifiedAt: expect.any(Date) });
    expect(value(y).digest).toBe(D(2));
    expect(names(env.s, n)).toEqual(['timestamp.json', 'timestamp.json']);
  });

  it('stores one file 0600 per GUN in <cacheDir>/metadata/<sha256(server + gun)>.json with the exact bytes of every role', async () => {
    const a = builder();
    const files = a.build();
    const env = await setup(new Map([[GUN, asFiles(files)]]));
    value(await env.run().resolve(ref(`${GUN}:v1`), env.rule({ rootKeys: a.rootKeyIds().keyIds })));
    const file = createMetadataDiskCache({ cacheDir: env.cacheDir }).fileFor(env.s.url, GUN);
    expect(file).toBe(join(env.cacheDir, 'metadata', `${sha(Buffer.from(`${env.s.url}\n${GUN}`))}.json`));
    const cached = readCache(file);
    expect(cached.gun).toBe(GUN);
    expect(cached.server).toBe(env.s.url);
    expect(Object.keys(cached.roles).sort()).toEqual(['root', 'snapshot', 'targets', 'targets/releases', 'timestamp']);
    for (const role of Object.keys(cached.roles)) expect(cached.roles[role]).toBe(b64(files[role]!));
    expect(readdirSync(dirname(file))).toEqual([file.slice(dirname(file).length + 1)]); // no temp files left
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
  });

  it('writes in the background: the answer does not wait for the disk, flush() and close() do', async () => {
    const a = builder();
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const cache = createMetadataDiskCache({ cacheDir: env.cacheDir });
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir: env.cacheDir });
    value(await r.resolve(ref(`${GUN}:v1`), env.rule({ rootKeys: a.rootKeyIds().keyIds })));
    await r.close();
    expect(Object.keys(readCache(cache.fileFor(env.s.url, GUN)).roles)).toHaveLength(5);
  });

  it('a long-lived resolver (the webhook) reads back what it wrote once its memory cache expires', async () => {
    const a = builder();
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    let clock = Date.now();
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir: env.cacheDir, cache: { ttlMs: 1000 }, now: () => new Date(clock) });
    value(await r.resolve(ref(`${GUN}:v1`), rule));
    await r.flush();
    clock += 5000;
    const n = env.s.requests.length;
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(names(env.s, n)).toEqual(['timestamp.json']);
    await r.close();
  });

  it('a save starts its write at once, in the background: it lands without a flush', async () => {
    const a = builder();
    const files = a.build();
    const env = await setup(new Map([[GUN, asFiles(files)]]));
    const cache = createMetadataDiskCache({ cacheDir: env.cacheDir });
    const state = { gun: GUN, versions: { root: 1, timestamp: 1, snapshot: 1, targets: {} }, expires: new Date(), files: { root: files.root! } };
    await cache.save(env.s.url, GUN, state);
    const file = cache.fileFor(env.s.url, GUN);
    expect(() => readFileSync(file)).toThrow(); // the answer did not wait for the disk
    for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
    expect(readCache(file).roles['root']).toBe(b64(files.root!));
    await cache.flush(); // nothing left: returns
  });

  it('saves of one file land in order (the latest last), and a load waits for a running write', async () => {
    const a = builder();
    const v1 = a.build();
    a.bumpVersion('timestamp');
    const v2 = a.build();
    const env = await setup(new Map([[GUN, asFiles(v1)]]));
    const cache = createMetadataDiskCache({ cacheDir: env.cacheDir });
    const state = (f: typeof v1) => ({ gun: GUN, versions: { root: 1, timestamp: 1, snapshot: 1, targets: {} }, expires: new Date(), files: { root: f.root!, timestamp: f.timestamp! } });
    await cache.save(env.s.url, GUN, state(v1));
    await cache.save(env.s.url, GUN, state(v2));
    const loaded = await cache.load(env.s.url, GUN, 1 << 20); // waits for both writes
    expect(Buffer.from(loaded.get('timestamp')!).equals(Buffer.from(v2.timestamp!))).toBe(true);
    await cache.save(env.s.url, GUN, state(v1));
    await cache.flush();
    expect(readCache(cache.fileFor(env.s.url, GUN)).roles['timestamp']).toBe(b64(v1.timestamp!));
    expect(readdirSync(join(env.cacheDir, 'metadata')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an unwritable cache directory only costs the cache: the answer is unchanged', async () => {
    const a = builder();
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    writeFileSync(join(env.cacheDir, 'metadata'), 'a file where the directory should be');
    const seen: string[] = [];
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir: env.cacheDir, debug: (m) => seen.push(m) });
    expect(value(await r.resolve(ref(`${GUN}:v1`), env.rule({ rootKeys: a.rootKeyIds().keyIds }))).digest).toBe(D(2));
    await r.close();
    expect(seen.some((m) => m.startsWith('cannot write the metadata cache'))).toBe(true);
  });

  it('fetches what changed, by checksum: a new targets version (the delegation is reused)', async () => {
    const a = builder();
    const v1 = a.build();
    const env = await setup(new Map([[GUN, asFiles(v1)]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds, signers: ['targets/releases', 'targets'] });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));

    a.addTarget('v2', { digest: D(3), length: 300 });
    a.bumpVersion('targets').bumpVersion('snapshot').bumpVersion('timestamp');
    const v2 = a.build();
    const served = keepRoot({ ...v2, 'targets/releases': v1['targets/releases']! }, v1.root!, a);
    // the delegation's bytes are v1's too: re-list them in the snapshot
    const snap = parseFile(served.snapshot!);
    (snap.signed.meta as Record<string, unknown>)['targets/releases'] = fileMeta(v1['targets/releases']!);
    const fixed = keepRoot({ ...served, snapshot: resign(serializeFile(snap), [a.keys.snapshot]) }, v1.root!, a);
    env.serve(new Map([[GUN, asFiles(fixed)]]));
    const n = env.s.requests.length;
    const warm = env.run();
    expect(value(await warm.resolve(ref(`${GUN}:v2`), rule)).digest).toBe(D(3));
    expect(value(await warm.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(names(env.s, n)).toEqual(['timestamp.json', 'snapshot.<sha>.json', 'targets.<sha>.json']);

    // and the cache now holds the new files: the next run is one request again
    const m = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v2`), rule)).digest).toBe(D(3));
    expect(names(env.s, m)).toEqual(['timestamp.json']);
  });

  it('a tampered cache file is rejected: falls back to the network and still resolves correctly', async () => {
    const a = builder();
    const files = a.build();
    const env = await setup(new Map([[GUN, asFiles(files)]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));
    const file = createMetadataDiskCache({ cacheDir: env.cacheDir }).fileFor(env.s.url, GUN);
    const edit = (f: (c: CacheFile) => void) => {
      const c = readCache(file);
      f(c);
      writeFileSync(file, JSON.stringify(c));
    };

    // 1. the delegation rewritten to point v1 elsewhere: its signature fails, it is fetched again
    const evil = tamper(files['targets/releases']!, (x) => {
      (x.targets as Record<string, unknown>)['v1'] = { length: 1, hashes: { sha256: Buffer.alloc(32, 9).toString('base64') } };
    });
    edit((c) => (c.roles['targets/releases'] = b64(evil)));
    let n = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(names(env.s, n)).toContain('targets/releases.<sha>.json');

    // 2. a role's bytes changed (not what the snapshot lists): refetched by checksum, cache repaired
    edit((c) => (c.roles['targets'] = b64(Buffer.concat([files.targets!, Buffer.from(' ')]))));
    n = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule({ rootKeys: a.rootKeyIds().keyIds, signers: ['targets'] }))).digest).toBe(D(1));
    expect(names(env.s, n)).toEqual(['timestamp.json', 'targets.<sha>.json']);
    expect(readCache(file).roles['targets']).toBe(b64(files.targets!)); // repaired

    // 3. garbage: the cache is ignored, a full fetch
    for (const garbage of ['{"not":"a cache file"}', '{', JSON.stringify({ server: env.s.url, gun: GUN, roles: { root: '***' } })]) {
      writeFileSync(file, garbage);
      n = env.s.requests.length;
      expect(value(await env.run().resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
      expect(names(env.s, n)).toHaveLength(5);
    }

    // 4. a root that the rule's pins do not accept (another repository's): not used as anchor
    const other = builder().build();
    edit((c) => (c.roles['root'] = b64(other.root!)));
    n = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(names(env.s, n).filter((x) => x !== 'timestamp.json').sort()).toEqual(
      ['root.json', 'snapshot.json', 'targets.json', 'targets/releases.<sha>.json'].sort(),
    );

    // 5. the file of another GUN copied over this one's: ignored
    writeFileSync(file, JSON.stringify({ ...readCache(file), gun: GUN2 }));
    n = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(2));
    expect(names(env.s, n)).toHaveLength(5);
  });

  it('rollback against the cache is caught (older timestamp/snapshot/targets than cached)', async () => {
    const a = builder();
    const v1 = a.build();
    a.bumpVersion('targets').bumpVersion('snapshot').bumpVersion('timestamp');
    const v2 = a.build();
    const env = await setup(new Map([[GUN, asFiles(v2)]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));
    env.serve(new Map([[GUN, asFiles(v1)]]));
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), rule));
    expect(e.code).toBe('TRUST_ROLLBACK');
    expect(e.role).toBe('timestamp');
  });

  it('expiry is still enforced on cached files the new timestamp still lists', async () => {
    const a = builder();
    const now = Date.now();
    a.setExpires('targets/releases', new Date(now + 3600_000));
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));
    const later = () => new Date(now + 2 * 3600_000);
    const e = error(await env.run({ now: later }).resolve(ref(`${GUN}:v1`), rule));
    expect(e.code).toBe('TRUST_EXPIRED');
    expect(e.role).toBe('targets/releases');
  });

  it('detects a root rotation on the server: re-fetches root and requires it to chain from the cached root', async () => {
    const a = builder();
    const oldRoot = a.keys.root;
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const newRoot = generateRootKey({ cn: GUN });
    const otherRoot = generateRootKey({ cn: GUN });
    const pins = [...a.rootKeyIds().keyIds, newRoot.id, otherRoot.id];
    const rule = env.rule({ rootKeys: pins });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));

    // a proper rotation: root v2 signed by the old and the new key; timestamp key replaced too
    a.setRootKeys([newRoot], { signers: [oldRoot, newRoot] }).bumpVersion('root');
    a.addTarget('v1', { digest: D(5), length: 500 }, 'targets/releases');
    a.bumpVersion('targets/releases').bumpVersion('snapshot').bumpVersion('timestamp');
    const rotated = a.build();
    env.serve(new Map([[GUN, asFiles(rotated)]]));
    let n = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(5));
    expect(names(env.s, n)).toContain('root.json');
    const file = createMetadataDiskCache({ cacheDir: env.cacheDir }).fileFor(env.s.url, GUN);
    expect(readCache(file).roles['root']).toBe(b64(rotated.root!));

    // an impostor root v3 (a pinned key, but not signed by the cached root's key) is refused
    const impostor = builder();
    impostor.setRootKeys([otherRoot], { signers: [otherRoot] }).setVersion('root', 3);
    for (const r of ['timestamp', 'snapshot', 'targets', 'targets/releases']) impostor.setVersion(r, 9);
    env.serve(new Map([[GUN, asFiles(impostor.build())]]));
    n = env.s.requests.length;
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), rule));
    expect(e.role).toBe('root');
    expect(e.code).toMatch(/^TRUST_(SIGNATURE|ROOT_UNTRUSTED)$/);
    expect(names(env.s, n)).toContain('root.json');
  });

  it('a timestamp the cached root does not trust (re-signed by another key) is refused after a full fetch', async () => {
    const a = builder();
    const files = a.build();
    const env = await setup(new Map([[GUN, asFiles(files)]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));
    const forged = resign(files.timestamp!, [a.keys.targets]);
    env.serve(new Map([[GUN, asFiles({ ...files, timestamp: forged })]]));
    const n = env.s.requests.length;
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), rule));
    expect(e.code).toBe('TRUST_SIGNATURE');
    expect(e.role).toBe('timestamp');
    expect(names(env.s, n)).toContain('root.json'); // fell back to the full fetch, which fails too
  });

  it('a server that is down fails once, without a second full fetch', async () => {
    const a = builder();
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    value(await env.run().resolve(ref(`${GUN}:v1`), rule));
    env.serve(new Map());
    const n = env.s.requests.length;
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), rule));
    expect(e.code).toBe('TRUST_NOT_FOUND');
    expect(names(env.s, n)).toEqual(['timestamp.json']);
  });

  it('a trust state without the metadata cache keeps only the TOFU/version store', async () => {
    const a = builder();
    const env = await setup(new Map([[GUN, asFiles(a.build())]]));
    const rule = env.rule({ rootKeys: a.rootKeyIds().keyIds });
    const noCache = () => ({ trustState: openTrustState({ cacheDir: env.cacheDir, metadataCache: false }) });
    value(await env.run(noCache()).resolve(ref(`${GUN}:v1`), rule));
    const n = env.s.requests.length;
    value(await env.run(noCache()).resolve(ref(`${GUN}:v1`), rule));
    expect(names(env.s, n)).toHaveLength(5);
    expect(readdirSync(env.cacheDir)).toEqual(['tofu']);
  });
});
