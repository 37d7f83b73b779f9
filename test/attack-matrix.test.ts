/**
 * The attack matrix, through the WHOLE function: `runKrm` + the production resolver (HTTP client,
 * TLS, size caps, timeouts, TOFU/rollback store, full TUF verification) against a malicious trust
 * server. Every attack must fail closed with its specific error code, lose nothing (the
 * ResourceList's items come back unchanged) and say what to do (a hint).
 *
 * Part 1 uses `TufRepoBuilder` metadata; part 2 (needs the real tools) relays and tampers with REAL
 * metadata written by notary-server and the notary CLI.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { productionResolver } from '../src/cli/resolver.js';
import type { Spec } from '../src/config/schema.js';
import { runKrm, type KrmRunResult } from '../src/krm/run.js';
import { generateEcdsaKey } from '../src/trust/notary/sign/keys.js';
import { editSignatures, fileMeta, resign, tamper, TufRepoBuilder, type RepoFiles } from '../src/trust/notary/sign/repo.js';
import { errorsOf, imagesIn, parseList, type KrmResultJson } from './support/attack/cli.js';
import { rechain, startMaliciousServer, type MaliciousServer, type RoleBehaviour } from './support/attack/malicious.js';
import { startNotaryEnv, type NotaryEnv } from './support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

const GUN = 'registry.example:5000/team/app';
const OTHER = 'registry.example:5000/team/other';
const D = (n: number) => `sha256:${createHash('sha256').update(`image ${n}`).digest('hex')}`;
const DAY = 24 * 3600_000;
const resolverFor = (spec: Spec) => productionResolver(spec, {});

let srv: MaliciousServer;
const dirs: string[] = [];
beforeAll(async () => {
  srv = await startMaliciousServer();
});
afterAll(async () => {
  await srv?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function cacheDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'notary-pin-attack-'));
  dirs.push(d);
  return d;
}

/** A repository with v1 in targets, v1 (other digest) in targets/releases, and 2.0 in targets. */
function builder(gun = GUN): TufRepoBuilder {
  const b = new TufRepoBuilder({ gun });
  b.addTarget('v1', { digest: D(1), length: 1001 });
  b.addTarget('2.0', { digest: D(3), length: 1003 });
  b.addDelegation('targets/releases');
  b.addTarget('v1', { digest: D(2), length: 1002 }, 'targets/releases');
  return b;
}

/** A Deployment using `image`, with comments, and a ConfigMap; the functionConfig trusts the malicious server. */
function resourceList(image: string, rule: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  const cfg = stringify({
    functionConfig: {
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      metadata: { name: 'pin' },
      spec: {
        trust: [{ name: 'attacked', images: ['registry.example:5000/**', '127.0.0.1:*/**'], server: srv.url, ca: srv.caPem, timeoutSeconds: 5, ...rule }],
        ...spec,
      },
    },
  }).trimEnd();
  return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# the app
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app
    namespace: prod
  spec:
    template:
      spec:
        containers:
        - name: app
          image: ${image} # must be signed
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
  data:
    imageNote: not an image field
${cfg}
`;
}

interface Attack {
  /** Files per role (or a behaviour); served for `gun` (default GUN). */
  files: Record<string, RoleBehaviour>;
  gun?: string;
  image?: string;
  rule?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  mode?: 'pin' | 'verify';
}

async function attack(a: Attack): Promise<{ res: KrmRunResult; input: string; ms: number }> {
  srv.serve({ [a.gun ?? GUN]: a.files });
  const input = resourceList(a.image ?? `${GUN}:v1`, a.rule ?? {}, a.spec);
  const t0 = performance.now();
  const res = await runKrm(input, { resolverFor, ...(a.mode && { overrides: { mode: a.mode } }) });
  return { res, input, ms: performance.now() - t0 };
}

/** Fail closed: exit 1, items unchanged (comments too), exactly one error with `code` (and `role`), with a hint. */
function expectClosed(r: { res: KrmRunResult; input: string }, code: string, role?: string): KrmResultJson {
  expect(r.res.exitCode).toBe(1);
  const out = parseList(r.res.stdout);
  expect(out.items).toEqual(parseList(r.input).items);
  expect(r.res.stdout).toContain('# must be signed');
  const errors = errorsOf(out);
  expect(errors.map((e) => e.tags?.code), errors.map((e) => e.message).join('\n')).toEqual([code]);
  const e = errors[0]!;
  if (role !== undefined) expect(e.tags?.role).toBe(role);
  expect(e.resourceRef).toMatchObject({ kind: 'Deployment', name: 'app', namespace: 'prod' });
  expect(e.field?.path).toBe('spec.template.spec.containers[0].image');
  expect(e.message).toMatch(/; hint: \S/);
  return e;
}

const pinned = (b: TufRepoBuilder) => ({ rootKeys: b.rootKeyIds().keyIds });
const files = (f: RepoFiles): Record<string, RoleBehaviour> => ({ ...f });

describe('attack matrix through runKrm + the production resolver (TufRepoBuilder metadata)', () => {
  it('control: untampered metadata pins v1 to the targets/releases digest', async () => {
    const b = builder();
    const { res } = await attack({ files: files(b.build()), rule: pinned(b) });
    expect(res.exitCode).toBe(0);
    expect(imagesIn(parseList(res.stdout).items)).toEqual([`${GUN}:v1@${D(2)}`]);
  });

  describe('signatures', () => {
    it('a corrupted signature (right key ID) → TRUST_SIGNATURE', async () => {
      const b = builder();
      const f = b.build();
      f['targets'] = editSignatures(f['targets']!, (sigs) =>
        sigs.map((s) => {
          const raw = Buffer.from(s.sig, 'base64');
          raw[5] = raw[5]! ^ 0xff;
          return { ...s, sig: raw.toString('base64') };
        }),
      );
      expectClosed(await attack({ files: files(rechain(b, f, ['targets'])), rule: pinned(b) }), 'TRUST_SIGNATURE', 'targets');
    });

    it('content changed after signing (signature kept) → TRUST_SIGNATURE', async () => {
      const b = builder();
      const f = b.build();
      f['targets/releases'] = tamper(f['targets/releases']!, (s) => {
        (s['targets'] as Record<string, unknown>)['v1'] = { hashes: { sha256: Buffer.from(D(9).slice(7), 'hex').toString('base64') }, length: 1 };
      });
      expectClosed(await attack({ files: files(rechain(b, f, ['targets/releases'])), rule: pinned(b) }), 'TRUST_SIGNATURE', 'targets/releases');
    });

    it('signed by a key not in the role → TRUST_SIGNATURE', async () => {
      const b = builder();
      b.signWith('snapshot', [generateEcdsaKey()]);
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b) }), 'TRUST_SIGNATURE', 'snapshot');
    });

    it('a delegation signed by the parent targets key instead of its own → TRUST_SIGNATURE', async () => {
      const b = builder();
      b.signWith('targets/releases', [b.keys.targets]);
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b) }), 'TRUST_SIGNATURE', 'targets/releases');
    });

    it('below threshold (targets needs 2 signatures, has 1; the one signature duplicated) → TRUST_SIGNATURE', async () => {
      const b = builder();
      b.setThreshold('targets', 2);
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b) }), 'TRUST_SIGNATURE', 'targets');
      const f = b.build();
      f['targets'] = editSignatures(f['targets']!, (sigs) => [...sigs, ...sigs]);
      expectClosed(await attack({ files: files(rechain(b, f, ['targets'])), rule: pinned(b) }), 'TRUST_SIGNATURE', 'targets');
    });

    it('root below its threshold → TRUST_SIGNATURE', async () => {
      const b = builder();
      b.setThreshold('root', 2);
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b) }), 'TRUST_SIGNATURE', 'root');
    });
  });

  describe('expiry', () => {
    it.each(['root', 'targets', 'snapshot', 'timestamp', 'targets/releases'])('expired %s → TRUST_EXPIRED', async (role) => {
      const b = builder();
      b.setExpires(role, new Date(Date.now() - DAY));
      const e = expectClosed(await attack({ files: files(b.build()), rule: pinned(b) }), 'TRUST_EXPIRED', role);
      expect(e.message).toContain('expire');
    });
  });

  describe('rollback against a cached state (cacheDir + a first good run)', () => {
    it.each(['root', 'timestamp', 'snapshot', 'targets', 'targets/releases'])('%s version rolled back → TRUST_ROLLBACK', async (role) => {
      const dir = await cacheDir();
      const b = builder();
      for (const r of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) b.setVersion(r, 5);
      const good = await attack({ files: files(b.build()), rule: pinned(b), spec: { cacheDir: dir } });
      expect(good.res.exitCode).toBe(0);
      // The attacker serves validly signed metadata in which `role` is older; the roles above it
      // are newer, so only the rollback of `role` itself can be the reason.
      b.setVersion(role, 4);
      const above: Record<string, string[]> = {
        root: [],
        timestamp: [],
        snapshot: ['timestamp'],
        targets: ['snapshot', 'timestamp'],
        'targets/releases': ['snapshot', 'timestamp'],
      };
      for (const r of above[role]!) b.setVersion(r, 6);
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b), spec: { cacheDir: dir } }), 'TRUST_ROLLBACK', role);
    });
  });

  describe('mix and match', () => {
    it('targets from another (validly signed) version than the snapshot lists → TRUST_MISMATCH', async () => {
      const b = builder();
      const v1 = b.build();
      b.addTarget('v1', { digest: D(7), length: 7 });
      b.bumpVersion('targets').bumpVersion('snapshot').bumpVersion('timestamp');
      const v2 = b.build();
      expectClosed(
        await attack({ files: { ...files(v1), targets: v2['targets']! }, rule: { ...pinned(b), signers: ['targets'] } }),
        'TRUST_MISMATCH',
        'targets',
      );
    });

    it('a snapshot the timestamp does not list (hash) → TRUST_MISMATCH', async () => {
      const b = builder();
      const v1 = b.build();
      b.bumpVersion('snapshot');
      const v2 = b.build();
      expectClosed(await attack({ files: { ...files(v1), snapshot: v2['snapshot']! }, rule: pinned(b) }), 'TRUST_MISMATCH', 'snapshot');
    });

    it('a delegation whose hash differs from what the snapshot lists → TRUST_MISMATCH', async () => {
      const b = builder();
      const v1 = b.build();
      b.addTarget('v1', { digest: D(8), length: 8 }, 'targets/releases');
      const v2 = b.build();
      expectClosed(
        await attack({ files: { ...files(v1), 'targets/releases': v2['targets/releases']! }, rule: pinned(b) }),
        'TRUST_MISMATCH',
        'targets/releases',
      );
    });

    it('snapshot lists a larger length for targets (hash right) → TRUST_MISMATCH', async () => {
      const b = builder();
      const f = b.build();
      const snap = tamper(f['snapshot']!, (s) => {
        const meta = s['meta'] as Record<string, { length: number }>;
        meta['targets']!.length += 10;
      });
      const out = rechain(b, { ...f, snapshot: resign(snap, [b.keys.snapshot]) }, []);
      expectClosed(await attack({ files: files(out), rule: { ...pinned(b), signers: ['targets'] } }), 'TRUST_MISMATCH', 'targets');
    });

    it('timestamp lists a larger length for snapshot (hash right) → TRUST_MISMATCH', async () => {
      const b = builder();
      const f = b.build();
      const ts = tamper(f['timestamp']!, (s) => {
        const meta = s['meta'] as Record<string, { length: number }>;
        meta['snapshot']!.length += 3;
      });
      expectClosed(await attack({ files: { ...files(f), timestamp: resign(ts, [b.keys.timestamp]) }, rule: pinned(b) }), 'TRUST_MISMATCH', 'snapshot');
    });
  });

  describe('endless data and slow retrieval', () => {
    it.each(['root', 'timestamp'])('an endless %s body → TRUST_TOO_LARGE, quickly', async (role) => {
      const b = builder();
      const r = await attack({ files: { ...files(b.build()), [role]: 'endless' }, rule: { ...pinned(b), maxMetadataBytes: 256 * 1024 } });
      expectClosed(r, 'TRUST_TOO_LARGE', role);
      expect(r.ms).toBeLessThan(5_000);
    });

    it('an endless targets body (length known from the snapshot) → TRUST_TOO_LARGE, quickly', async () => {
      const b = builder();
      const r = await attack({ files: { ...files(b.build()), targets: 'endless' }, rule: pinned(b) });
      expectClosed(r, 'TRUST_TOO_LARGE', 'targets');
      expect(r.ms).toBeLessThan(5_000);
    });

    it.each(['stall', 'stall-body'] as const)('a server that stalls (%s) → TRUST_FETCH bounded by timeoutSeconds=1', async (how) => {
      const b = builder();
      const r = await attack({ files: { ...files(b.build()), snapshot: how }, rule: { ...pinned(b), timeoutSeconds: 1 } });
      const e = expectClosed(r, 'TRUST_FETCH', 'snapshot');
      expect(e.message.toLowerCase()).toMatch(/time|timed out/);
      expect(r.ms).toBeGreaterThanOrEqual(900);
      expect(r.ms).toBeLessThan(8_000);
    });
  });

  describe('wrong repository, unpinned root', () => {
    it("another GUN's valid metadata served for this GUN → refused (root CN / GUN mismatch)", async () => {
      const other = builder(OTHER);
      const e = expectClosed(await attack({ files: files(other.build()), rule: pinned(other) }), 'TRUST_MISMATCH', 'root');
      expect(e.message).toContain(GUN);
    });

    it('an unpinned root without TOFU → TRUST_ROOT_UNTRUSTED naming the key IDs to pin', async () => {
      const b = builder();
      const e = expectClosed(await attack({ files: files(b.build()), rule: { rootKeys: ['0'.repeat(64)] } }), 'TRUST_ROOT_UNTRUSTED', 'root');
      expect(e.message).toContain(b.rootKeyIds().keyIds[0]!);
    });

    // README: "An unpinned root with no tofu is refused with the key IDs to pin in the message."
    // src/trust/notary/anchor.ts refuses such a rule before fetching anything, so the IDs are missing.
    it('a rule that pins nothing and has no TOFU → TRUST_ROOT_UNTRUSTED naming the served root key IDs', async () => {
      const b = builder();
      const e2 = expectClosed(await attack({ files: files(b.build()), rule: {} }), 'TRUST_ROOT_UNTRUSTED', 'root');
      expect(e2.message).toContain(b.rootKeyIds().keyIds[0]!);
      expect(e2.message).toMatch(/rootKeys|tofu/);
    });

    it('a root rotated to an attacker key, signed only by the new key → refused even with TOFU state', async () => {
      const dir = await cacheDir();
      const b = builder();
      expect((await attack({ files: files(b.build()), rule: { tofu: true }, spec: { cacheDir: dir } })).res.exitCode).toBe(0);
      const evil = new TufRepoBuilder({ gun: GUN });
      evil.addTarget('v1', { digest: D(6), length: 6 });
      evil.setVersion('root', 2);
      const e = expectClosed(await attack({ files: files(evil.build()), rule: { tofu: true }, spec: { cacheDir: dir } }), 'TRUST_SIGNATURE', 'root');
      // How to forget this one repository's remembered root after a legitimate re-initialisation.
      const remembered = join(dir, 'tofu', createHash('sha256').update(GUN).digest('hex'));
      expect(e.message).toContain(`rm -r ${remembered}`);
    });

    it('a world-writable cacheDir with a planted TOFU root → CONFIG_INVALID, nothing trusted; a foreign-owned one too', async () => {
      const dir = await cacheDir();
      const evil = new TufRepoBuilder({ gun: GUN });
      evil.addTarget('v1', { digest: D(6), length: 6 });
      const planted = join(dir, 'tofu', createHash('sha256').update(GUN).digest('hex'));
      await mkdir(planted, { recursive: true });
      const f = evil.build();
      await writeFile(join(planted, 'root.json'), f['root']!);
      await writeFile(join(planted, 'versions.json'), JSON.stringify({ gun: GUN, root: 1 }));
      await chmod(dir, 0o777);
      const e = expectClosed(await attack({ files: files(f), rule: { tofu: true }, spec: { cacheDir: dir } }), 'CONFIG_INVALID');
      expect(e.message).toContain(`${dir} is writable by group and others (mode 0777)`);
      expect(e.message).toContain(`chmod 700 ${dir}`);
      await chmod(dir, 0o700);
      await chmod(planted, 0o770);
      const e2 = expectClosed(await attack({ files: files(f), rule: { tofu: true }, spec: { cacheDir: dir } }), 'CONFIG_INVALID');
      expect(e2.message).toContain(`${planted} is writable by its group (mode 0770)`);
      await chmod(planted, 0o700);
      if (process.getuid?.() === 0) {
        await chown(dir, 4242, 4242);
        const e3 = expectClosed(await attack({ files: files(f), rule: { tofu: true }, spec: { cacheDir: dir } }), 'CONFIG_INVALID');
        expect(e3.message).toContain(`${dir} is owned by uid 4242, not by this user (uid 0)`);
        expect(e3.message).toContain(`chown -R 0 ${dir}`);
      }
    });
  });

  describe('delegations and digests', () => {
    it('targets/releases with paths ["v1*"] signing "2.0" confers no trust: the targets digest wins; alone → UNSIGNED', async () => {
      const b = new TufRepoBuilder({ gun: GUN });
      b.addTarget('2.0', { digest: D(3), length: 3 });
      b.addDelegation('targets/releases', { paths: ['v1*'] });
      b.addTarget('2.0', { digest: D(4), length: 4 }, 'targets/releases');
      const both = await attack({ files: files(b.build()), rule: pinned(b), image: `${GUN}:2.0` });
      expect(both.res.exitCode).toBe(0);
      expect(imagesIn(parseList(both.res.stdout).items)).toEqual([`${GUN}:2.0@${D(3)}`]);

      b.removeTarget('2.0');
      expectClosed(await attack({ files: files(b.build()), rule: pinned(b), image: `${GUN}:2.0` }), 'UNSIGNED');
      expectClosed(
        await attack({ files: files(b.build()), rule: { ...pinned(b), signers: ['targets/releases'] }, image: `${GUN}:2.0` }),
        'UNSIGNED',
      );
    });

    it('a delegation targets still declares, dropped from a new validly signed snapshot → TRUST_MISMATCH, with or without cacheDir', async () => {
      const b = builder();
      for (const r of ['snapshot', 'timestamp']) b.setVersion(r, 5);
      const good = b.build();
      const dir = await cacheDir();
      const first = await attack({ files: files(good), rule: pinned(b), spec: { cacheDir: dir } });
      expect(imagesIn(parseList(first.res.stdout).items)).toEqual([`${GUN}:v1@${D(2)}`]);
      // The snapshot/timestamp key holder (the server) signs a newer snapshot without targets/releases.
      const f: RepoFiles = { ...good };
      f['snapshot'] = resign(
        tamper(good['snapshot']!, (s) => {
          delete (s['meta'] as Record<string, unknown>)['targets/releases'];
          s['version'] = 6;
        }),
        [b.keys.snapshot],
      );
      f['timestamp'] = resign(
        tamper(good['timestamp']!, (s) => {
          (s['meta'] as Record<string, unknown>)['snapshot'] = fileMeta(f['snapshot']!);
          s['version'] = 6;
        }),
        [b.keys.timestamp],
      );
      delete f['targets/releases'];
      for (const spec of [{}, { cacheDir: dir }]) {
        const e = expectClosed(await attack({ files: files(f), rule: pinned(b), spec }), 'TRUST_MISMATCH', 'targets/releases');
        expect(e.message).toMatch(/targets delegates to targets\/releases, but snapshot version 6 does not list/);
      }
      // The targets key holder removing the delegation is legal: targets' own v1 is pinned.
      b.removeDelegation('targets/releases');
      for (const r of ['targets', 'snapshot', 'timestamp']) b.setVersion(r, 7);
      const removed = await attack({ files: files(b.build()), rule: pinned(b), spec: { cacheDir: dir } });
      expect(removed.res.exitCode).toBe(0);
      expect(imagesIn(parseList(removed.res.stdout).items)).toEqual([`${GUN}:v1@${D(1)}`]);
    });

    it('verify mode: a digest other than the one signed for the tag → DIGEST_MISMATCH; an unsigned digest → UNSIGNED', async () => {
      const b = builder();
      const f = files(b.build());
      // v1 is signed in targets/releases as D(2); D(1) is what targets signs (not preferred) and D(5) nothing
      expectClosed(await attack({ files: f, rule: pinned(b), image: `${GUN}:v1@${D(1)}`, mode: 'verify' }), 'DIGEST_MISMATCH');
      expectClosed(await attack({ files: f, rule: pinned(b), image: `${GUN}@${D(5)}`, mode: 'verify' }), 'UNSIGNED');
      // pin mode re-resolves the tag of a stale pin: the signed digest replaces the other one
      const repin = await attack({ files: f, rule: pinned(b), image: `${GUN}:v1@${D(5)}`, mode: 'pin' });
      expect(repin.res.exitCode).toBe(0);
      expect(imagesIn(parseList(repin.res.stdout).items)).toEqual([`${GUN}:v1@${D(2)}`]);
      const ok = await attack({ files: f, rule: pinned(b), image: `${GUN}:v1@${D(2)}`, mode: 'verify' });
      expect(ok.res.exitCode).toBe(0);
    });
  });
});

describeWithTools(NOTARY_ENV_TOOLS, 'attack matrix with REAL notary metadata relayed by a malicious server', () => {
  let env: NotaryEnv;
  let app: RepoFiles;
  let appGun: string;
  beforeAll(async () => {
    env = await startNotaryEnv({
      repos: [
        { name: 'real/app', tags: ['v1'], sign: 'releases' },
        { name: 'real/other', tags: ['v1'], sign: 'releases' },
      ],
    });
    appGun = env.gunOf('real/app');
    app = await fetchAll(appGun);
  }, 300_000);
  afterAll(async () => {
    await env?.stop();
  });

  async function fetchAll(gun: string): Promise<RepoFiles> {
    const out: RepoFiles = {};
    for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) {
      out[role] = new Uint8Array(await env.fetchMetadata(gun, role));
    }
    return out;
  }
  const realRule = (gun: string, extra: Record<string, unknown> = {}) => ({ rootKeys: env.rootKeyIds[gun], ...extra });
  const realAttack = (f: Record<string, RoleBehaviour>, extra: Partial<Attack> = {}) =>
    attack({ files: f, gun: appGun, image: env.images['real/app:v1']!.reference, rule: realRule(appGun), ...extra });

  it('control: relayed untouched, real metadata pins to the registry digest', async () => {
    const { res } = await realAttack(files(app));
    expect(res.exitCode).toBe(0);
    expect(imagesIn(parseList(res.stdout).items)).toEqual([`${env.images['real/app:v1']!.reference}@${env.images['real/app:v1']!.digest}`]);
  });

  it('real targets/releases with a changed hash → TRUST_MISMATCH (the snapshot hash); real timestamp edited → TRUST_SIGNATURE', async () => {
    const bad = tamper(app['targets/releases']!, (s) => {
      const t = (s['targets'] as Record<string, { hashes: Record<string, string> }>)['v1']!;
      t.hashes['sha256'] = Buffer.from(D(9).slice(7), 'hex').toString('base64');
    });
    expectClosed(await realAttack({ ...files(app), 'targets/releases': bad }), 'TRUST_MISMATCH', 'targets/releases');
    const ts = tamper(app['timestamp']!, (s) => {
      (s['meta'] as Record<string, unknown>)['snapshot'] = fileMeta(new Uint8Array(Buffer.from('{}')));
    });
    expectClosed(await realAttack({ ...files(app), timestamp: ts }), 'TRUST_SIGNATURE', 'timestamp');
  });

  it("real/other's valid metadata served for real/app → refused", async () => {
    const other = await fetchAll(env.gunOf('real/other'));
    const e = expectClosed(await realAttack(files(other), { rule: realRule(env.gunOf('real/other')) }), 'TRUST_MISMATCH', 'root');
    expect(e.message).toContain(appGun);
    // with real/app's own root keys pinned: the root's certificate names the wrong GUN
    expect(expectClosed(await realAttack(files(other)), 'TRUST_MISMATCH', 'root').message).toContain('real/other');
  });

  it('replaying real metadata older than what was seen → TRUST_ROLLBACK', async () => {
    const dir = await cacheDir();
    const old = await fetchAll(appGun);
    const newer = await env.sign('real/app', 'v2', { role: 'targets/releases' });
    // a good run against the real server records the newer versions
    srv.serve({});
    const input = resourceList(newer.reference, { server: env.notaryUrl, ca: env.caPem, ...realRule(appGun) }, { cacheDir: dir });
    const good = await runKrm(input, { resolverFor });
    expect(good.exitCode).toBe(0);
    expect(imagesIn(parseList(good.stdout).items)).toEqual([`${newer.reference}@${newer.digest}`]);
    expectClosed(await realAttack(files(old), { spec: { cacheDir: dir } }), 'TRUST_ROLLBACK', 'timestamp');
  });
});
