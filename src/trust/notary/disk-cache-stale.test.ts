/**
 * staleIfErrorMs with the on-disk metadata cache: when the trust server cannot be reached, the cached
 * files, verified again offline, answer if the server answered for them at most that long ago, and
 * never past the expiries signed into them; and never once the server answered with data that did not verify.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustRuleSchema } from '../../config/schema.js';
import { startTestServer } from '../../../test/support/http-server.js';
import { TufRepoBuilder, tamper } from './sign/repo.js';
import { createNotaryResolver, type NotaryResolverOptions } from './resolver.js';
import { createMetadataDiskCache } from './disk-cache.js';
import { notaryHandler } from '../../demo/notary-handler.js';
import { D, asFiles, error, value, ref, useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const tls = useTestTls();
const { cleanup } = tls;
const DAY = 86_400_000;

/** GUN signed on a test server, a fresh cacheDir, a rule pinning its root keys, and one resolver run at a time `at`. */
async function signedGun() {
  const b = new TufRepoBuilder({ gun: GUN });
  b.addTarget('v1', { digest: D(1), length: 100 });
  const good = asFiles(b.build());
  const s = await startTestServer(notaryHandler(new Map([[GUN, good]])), tls.leaf);
  const cacheDir = mkdtempSync(join(tmpdir(), 'np-disk-stale-'));
  cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
  const rule = TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds });
  const run = async (at: number, staleIfErrorMs = DAY, http?: NotaryResolverOptions['http']) => {
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, cache: { staleIfErrorMs }, now: () => new Date(at), http });
    const out = await r.resolve(ref(`${GUN}:v1`), rule);
    await r.close();
    return out;
  };
  return { b, good, s, cacheDir, rule, run };
}

describe('on-disk metadata cache: stale if error', () => {
  it('server unreachable: cached data answers (marked stale) within the window and never past its signed expiry', async () => {
    const { s, cacheDir, rule, run } = await signedGun();
    const t0 = Date.now();
    expect(value(await run(t0)).stale).toBeUndefined();

    s.handle((req) => void req.socket.destroy()); // the server goes away
    const stale = value(await run(t0 + 60_000));
    expect(stale.digest).toBe(D(1));
    expect(stale.stale).toBeDefined();
    expect(error(await run(t0 + 60_000, 0)).code).toBe('TRUST_FETCH'); // off
    expect(error(await run(t0 + 2 * 3_600_000, 3_600_000)).code).toBe('TRUST_FETCH'); // answered too long ago
    // the timestamp role expires after 14 days: the offline re-verification refuses it whatever the window
    expect(error(await run(t0 + 15 * DAY, 30 * DAY)).code).toBe('TRUST_FETCH');
    // a stale answer does not renew the window
    expect(error(await run(t0 + DAY + 1)).code).toBe('TRUST_FETCH');
    // nor does a long-running resolver's memory cache (the webhook with a cacheDir): it ends with the window
    let t = t0 + 60_000;
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, cache: { staleIfErrorMs: 3_600_000, ttlMs: 10 * 3_600_000 }, now: () => new Date(t) });
    cleanup.push(() => r.close());
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).stale).toBeDefined();
    t = t0 + 3_600_001;
    expect(error(await r.resolve(ref(`${GUN}:v1`), rule)).code).toBe('TRUST_FETCH');
  });

  /** The server's data replaced by data that does not verify under the rule (the rule pins `b`'s root keys). */
  const refusals: [string, (b: TufRepoBuilder) => Map<string, Uint8Array>, RegExp][] = [
    ['other root keys', () => asFiles(new TufRepoBuilder({ gun: GUN }).addTarget('v1', { digest: D(2), length: 100 }).build()), /^TRUST_(ROOT_UNTRUSTED|SIGNATURE|ROLLBACK)$/],
    ['a timestamp whose signature does not verify', (b) => {
      const files = b.build();
      return asFiles({ ...files, timestamp: tamper(files.timestamp!, (s) => void (s.version = 99)) });
    }, /^TRUST_SIGNATURE$/],
  ];

  it.each(refusals)('a run after a verification failure (%s) never answers stale from disk; rollback state is kept', async (_, refused, code) => {
    const { b, good, s, cacheDir, run } = await signedGun();
    const t0 = Date.now();
    expect(value(await run(t0)).digest).toBe(D(1));
    const versions = readFileSync(join(cacheDir, 'tofu', readdirSync(join(cacheDir, 'tofu'))[0]!, 'versions.json'), 'utf8');

    s.handle(notaryHandler(new Map([[GUN, refused(b)]])));
    expect(error(await run(t0 + 60_000)).code).toMatch(code);
    s.handle((req) => void req.socket.destroy()); // then the server goes away
    expect(error(await run(t0 + 120_000)).code).toBe('TRUST_FETCH');
    // the versions remembered for rollback protection and the cached root are kept
    expect(readFileSync(join(cacheDir, 'tofu', readdirSync(join(cacheDir, 'tofu'))[0]!, 'versions.json'), 'utf8')).toBe(versions);
    const [file] = readdirSync(join(cacheDir, 'metadata'));
    const cached = JSON.parse(readFileSync(join(cacheDir, 'metadata', file!), 'utf8'));
    expect(cached.verifiedAt).toBeUndefined();
    expect(Buffer.from(cached.roles.root, 'base64').equals(Buffer.from(good.get('root.json')!))).toBe(true);

    // the server back with data that verifies: answered, and stale answers are possible again
    s.handle(notaryHandler(new Map([[GUN, good]])));
    expect(value(await run(t0 + 180_000)).stale).toBeUndefined();
    s.handle((req) => void req.socket.destroy());
    expect(value(await run(t0 + 240_000)).stale).toBeDefined();
  });

  it('a timestamp the cached data refuses, then a full fetch that cannot reach the server: no stale answer after it either', async () => {
    const { good, s, run: runWith } = await signedGun();
    const run = (at: number) => runWith(at, DAY, { retries: 0 });
    const t0 = Date.now();
    expect(value(await run(t0)).digest).toBe(D(1));
    const badTimestamp = tamper(good.get('timestamp.json')!, (x) => void (x.version = 99));
    s.handle((req, res) => {
      if (!req.url?.endsWith('/timestamp.json')) return void req.socket.destroy(); // the full fetch cannot reach it
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': badTimestamp.length });
      res.end(Buffer.from(badTimestamp));
    });
    expect(error(await run(t0 + 60_000)).code).toBe('TRUST_FETCH');
    s.handle((req) => void req.socket.destroy());
    expect(error(await run(t0 + 120_000)).code).toBe('TRUST_FETCH');
  });

  it('a long-running resolver (the webhook) whose memory entry is gone does not answer stale from disk after a verification failure', async () => {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('v1', { digest: D(1), length: 100 });
    const other = 'registry.example:5000/team/other';
    const o = new TufRepoBuilder({ gun: other });
    o.addTarget('v1', { digest: D(3), length: 100 });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())], [other, asFiles(o.build())]])), tls.leaf);
    const cacheDir = mkdtempSync(join(tmpdir(), 'np-disk-stale-'));
    cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
    const rule = TrustRuleSchema.parse({ images: [GUN], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds });
    const otherRule = TrustRuleSchema.parse({ images: [other], server: s.url, ca: tls.ca.certPem, rootKeys: o.rootKeyIds().keyIds });
    let t = Date.now();
    // one memory entry, a TTL shorter than the steps below: every resolve of GUN loads it again
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, cache: { staleIfErrorMs: DAY, ttlMs: 1_000, maxEntries: 1 }, now: () => new Date(t) });
    cleanup.push(() => r.close());
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).digest).toBe(D(1));
    t += 60_000;
    s.handle(notaryHandler(new Map([[GUN, refusals[0]![1](b)], [other, asFiles(o.build())]])));
    expect(error(await r.resolve(ref(`${GUN}:v1`), rule)).code).toMatch(refusals[0]![2]);
    expect(value(await r.resolve(ref(`${other}:v1`), otherRule)).digest).toBe(D(3)); // takes the one memory entry
    t += 60_000;
    s.handle((req) => void req.socket.destroy());
    expect(error(await r.resolve(ref(`${GUN}:v1`), rule)).code).toBe('TRUST_FETCH');
    expect(value(await r.resolve(ref(`${other}:v1`), otherRule)).stale).toBeDefined(); // its own data still answers stale
  });

  it('refuse drops verifiedAt in order with the queued saves, keeps the roles, and outlives a lost write in this process', async () => {
    const files = new TufRepoBuilder({ gun: GUN }).addTarget('v1', { digest: D(1), length: 100 }).build();
    const cacheDir = mkdtempSync(join(tmpdir(), 'np-disk-refuse-'));
    cleanup.push(() => rmSync(cacheDir, { recursive: true, force: true }));
    const S = 'https://127.0.0.1:1';
    const state = { gun: GUN, versions: { root: 1, timestamp: 1, snapshot: 1, targets: {} }, expires: new Date(), files: { root: files.root!, timestamp: files.timestamp! } };
    const cache = createMetadataDiskCache({ cacheDir });
    const file = cache.fileFor(S, GUN);
    const onDisk = () => JSON.parse(readFileSync(file, 'utf8')) as { roles: Record<string, string>; verifiedAt?: number };

    void cache.save(S, GUN, state, undefined, 1_000);
    cache.refuse(S, GUN, 2_000, 1 << 20); // while that save is being written
    await cache.flush();
    expect(onDisk().verifiedAt).toBeUndefined();
    expect(onDisk().roles['root']).toBe(Buffer.from(files.root!).toString('base64'));
    expect(cache.verifiedAt(S, GUN)).toBeUndefined();

    void cache.save(S, GUN, state, undefined, 1_500); // the server answered before the refusal
    await cache.flush();
    expect(onDisk().verifiedAt).toBeUndefined();
    writeFileSync(file, JSON.stringify({ ...onDisk(), verifiedAt: 1_900 })); // as if the refusal's write were lost
    expect((await cache.load(S, GUN, 1 << 20)).has('root')).toBe(true);
    expect(cache.verifiedAt(S, GUN)).toBeUndefined();

    void cache.save(S, GUN, state, undefined, 2_500); // answered since: usable again, in this process and the next
    await cache.flush();
    expect(onDisk().verifiedAt).toBe(2_500);
    const next = createMetadataDiskCache({ cacheDir });
    await next.load(S, GUN, 1 << 20);
    expect(next.verifiedAt(S, GUN)).toBe(2_500);

    // a file that cannot be read back is removed rather than left to answer stale
    writeFileSync(file, '{"not": "a cache file"}');
    next.refuse(S, GUN, 3_000, 1 << 20);
    await next.flush();
    expect(existsSync(file)).toBe(false);
  });
});
