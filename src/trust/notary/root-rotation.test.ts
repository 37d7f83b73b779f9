/**
 * Root rotation chains (notary `tufClient.updateRoot` / `updateRootVersions`): a client that trusts
 * root version N and finds version M > N+1 on the server, not signed by N's keys, fetches the
 * intermediate roots `<v>.root.json` and verifies them one by one. The real TUF verifier, trust data
 * from TufRepoBuilder served by an in-process HTTPS notary read API (which serves `<v>.root.json`
 * from the `<v>.root.json` entries of the map), and a fresh resolver per "run" with a TOFU cacheDir.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustRuleSchema, type TrustRule } from '../../config/schema.js';
import { PinError } from '../../errors/errors.js';
import { createHttpClient } from '../../http/client.js';
import { startTestServer, type TestServer } from '../../../test/support/http-server.js';
import { generateRootKey, type TestKey } from './sign/keys.js';
import { TufRepoBuilder, type RepoFiles } from './sign/repo.js';
import { createVerifier } from './tuf/verifier.js';
import { fetchTrust } from './load-trust.js';
import { MAX_ROOT_ROTATION_STEPS } from './root-chain.js';
import { createNotaryResolver } from './resolver.js';
import { createDirSource, createHttpSource, type MetadataSource } from './source.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';
import { D, error, names, value, ref , useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';

const tls = useTestTls();
const { cleanup } = tls;


/** A repository at root version 1 signing `v1` in targets. */
function builder(): TufRepoBuilder {
  const b = new TufRepoBuilder({ gun: GUN });
  b.addTarget('v1', { digest: D(1), length: 100 });
  return b;
}

/**
 * Rotates the root key to a fresh one at root version `version` (the new root signed by the old and
 * the new key, as `notary key rotate <GUN> root` does, unless `signers` says otherwise) and
 * republishes. Returns the new files.
 */
function rotate(b: TufRepoBuilder, version: number, signers?: (old: TestKey, next: TestKey) => TestKey[]): RepoFiles {
  const old = b.keys.root;
  const next = generateRootKey({ cn: GUN });
  b.setRootKeys([next], { signers: signers ? signers(old, next) : [old, next] });
  b.setVersion('root', version).bumpVersion('snapshot').bumpVersion('timestamp');
  return b.build();
}

/** What the notary server serves: the latest files by name and every root by version. */
function served(latest: RepoFiles, roots: ReadonlyMap<number, Uint8Array>): TrustData {
  const files = new Map(Object.entries(latest).map(([role, bytes]) => [`${role}.json`, bytes] as const));
  for (const [v, bytes] of roots) files.set(`${v}.root.json`, bytes);
  return new Map([[GUN, files]]);
}

interface Env {
  s: TestServer;
  cacheDir: string;
  rule: TrustRule;
  run: () => ReturnType<typeof createNotaryResolver>;
  serve: (data: TrustData) => void;
  /** The root.json in the TOFU store. */
  tofuRoot: () => Buffer;
}

async function setup(data: TrustData): Promise<Env> {
  const s = await startTestServer(notaryHandler(data), tls.leaf);
  const cacheDir = mkdtempSync(join(tmpdir(), 'np-rot-'));
  cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
  return {
    s,
    cacheDir,
    rule: TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, tofu: true, signers: ['targets'] }),
    run: () => {
      const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir });
      cleanup.push(() => r.close());
      return r;
    },
    serve: (d) => s.handle(notaryHandler(d)),
    tofuRoot: () => readFileSync(join(cacheDir, 'tofu', createHash('sha256').update(GUN).digest('hex'), 'root.json')),
  };
}

/** TOFU at root v1 (first run), then the caller rotates. */
async function trustedAtV1(): Promise<{ env: Env; b: TufRepoBuilder; roots: Map<number, Uint8Array> }> {
  const b = builder();
  const v1 = b.build();
  const roots = new Map([[1, v1.root!]]);
  const env = await setup(served(v1, roots));
  expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(1));
  expect(env.tofuRoot().equals(Buffer.from(v1.root!))).toBe(true);
  return { env, b, roots };
}

describe('root rotation chain (resolver, TOFU cacheDir)', () => {
  it('walks 2.root.json then the latest (v3) after two cross-signed rotations, and remembers v3', async () => {
    const { env, b, roots } = await trustedAtV1();
    roots.set(2, rotate(b, 2).root!);
    b.addTarget('v1', { digest: D(2), length: 100 });
    const v3 = rotate(b, 3);
    roots.set(3, v3.root!);
    env.serve(served(v3, roots));

    const from = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(2));
    const fetched = names(env.s, from);
    expect(fetched).toContain('2.root.json');
    expect(fetched).not.toContain('1.root.json');
    expect(fetched).not.toContain('3.root.json'); // the latest comes by name, as notary does
    expect(env.tofuRoot().equals(Buffer.from(v3.root!))).toBe(true);

    // The next run trusts v3 directly: no versioned fetches.
    const again = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(2));
    expect(names(env.s, again).filter((n) => /^\d+\.root\.json$/.test(n))).toEqual([]);
  });

  it('one rotation (v2) needs no intermediate root', async () => {
    const { env, b, roots } = await trustedAtV1();
    const v2 = rotate(b, 2);
    env.serve(served(v2, roots)); // 2.root.json not even served
    const from = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(1));
    expect(names(env.s, from).filter((n) => /^\d+\.root\.json$/.test(n))).toEqual([]);
    expect(env.tofuRoot().equals(Buffer.from(v2.root!))).toBe(true);
  });

  it('root versions bumped without a root key change verify directly (notary walks only on a rotation failure)', async () => {
    const { env, b, roots } = await trustedAtV1();
    const v4 = b.setVersion('root', 4).bumpVersion('snapshot').bumpVersion('timestamp').build();
    env.serve(served(v4, roots));
    const from = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(1));
    expect(names(env.s, from).filter((n) => /^\d+\.root\.json$/.test(n))).toEqual([]);
  });

  it('fails clearly when an intermediate root is missing, and keeps trusting v1', async () => {
    const { env, b, roots } = await trustedAtV1();
    const v1root = roots.get(1)!;
    rotate(b, 2); // published, but the server no longer serves 2.root.json
    const v3 = rotate(b, 3);
    env.serve(served(v3, roots));
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), env.rule));
    expect(e.code).toBe('TRUST_ROOT_UNTRUSTED');
    expect(e.role).toBe('root');
    expect(e.message).toMatch(/root version 3 is not signed by the trusted root \(version 1\)/);
    expect(e.message).toMatch(/intermediate root version 2 .*could not be fetched/);
    expect(e.hint).toMatch(/version 2/);
    expect(env.tofuRoot().equals(Buffer.from(v1root))).toBe(true);
  });

  it('refuses a chain whose middle step is not signed by the old root keys (TRUST_SIGNATURE)', async () => {
    const { env, b, roots } = await trustedAtV1();
    roots.set(2, rotate(b, 2, (_old, next) => [next]).root!); // not cross-signed
    const v3 = rotate(b, 3);
    roots.set(3, v3.root!);
    env.serve(served(v3, roots));
    const from = env.s.requests.length;
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), env.rule));
    expect(e.code).toBe('TRUST_SIGNATURE');
    expect(e.message).toMatch(/trusted root \(version 1\)/);
    expect(e.message).toMatch(/verifying intermediate root version 2/);
    expect(names(env.s, from)).toContain('2.root.json');
    expect(env.tofuRoot().equals(Buffer.from(roots.get(1)!))).toBe(true);
  });

  it(`bounds the walk at ${MAX_ROOT_ROTATION_STEPS} intermediate roots, before fetching any`, async () => {
    const { env, b, roots } = await trustedAtV1();
    // v1 → v35 (33 roots in between), not signed by the v1 key: only a walk could trust it.
    const far = rotate(b, MAX_ROOT_ROTATION_STEPS + 3, (_old, next) => [next]);
    env.serve(served(far, roots));
    const from = env.s.requests.length;
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), env.rule));
    expect(e.code).toBe('TRUST_ROOT_UNTRUSTED');
    expect(e.message).toMatch(new RegExp(`more than ${MAX_ROOT_ROTATION_STEPS} steps`));
    expect(e.hint).toMatch(/out of band/);
    expect(names(env.s, from).filter((n) => /^\d+\.root\.json$/.test(n))).toEqual([]);
  });

  it(`walks exactly ${MAX_ROOT_ROTATION_STEPS} intermediate roots`, async () => {
    const { env, b, roots } = await trustedAtV1();
    let latest: RepoFiles | undefined;
    for (let v = 2; v <= MAX_ROOT_ROTATION_STEPS + 2; v++) {
      latest = rotate(b, v);
      roots.set(v, latest.root!);
    }
    env.serve(served(latest!, roots));
    const from = env.s.requests.length;
    expect(value(await env.run().resolve(ref(`${GUN}:v1`), env.rule)).digest).toBe(D(1));
    expect(names(env.s, from).filter((n) => /^\d+\.root\.json$/.test(n))).toHaveLength(MAX_ROOT_ROTATION_STEPS);
  });

  it('refuses a server that answers a versioned root with another version (TRUST_MISMATCH)', async () => {
    const { env, b, roots } = await trustedAtV1();
    rotate(b, 2);
    const v3 = rotate(b, 3);
    roots.set(2, v3.root!); // 2.root.json is really v3
    env.serve(served(v3, roots));
    const e = error(await env.run().resolve(ref(`${GUN}:v1`), env.rule));
    expect(e.code).toBe('TRUST_MISMATCH');
    expect(e.message).toMatch(/returned root version 3 when asked for root version 2/);
  });
});

describe('root rotation chain (fetchTrust, sources)', () => {
  /** Trusted v1, then rotations to v2 and v3. */
  function chain() {
    const b = builder();
    const v1 = b.build();
    const v2 = rotate(b, 2);
    const v3 = rotate(b, 3);
    return { v1, v2, v3 };
  }
  const verifier = (trustedRoot: Uint8Array) => createVerifier({ gun: GUN, anchor: { tofu: true, trustedRoot }, maxDelegationDepth: 4 });

  it('offline trustDir: reads <v>.root.json next to root.json', async () => {
    const { v1, v2, v3 } = chain();
    const dir = mkdtempSync(join(tmpdir(), 'np-rot-dir-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const gunDir = join(dir, ...GUN.split('/'));
    mkdirSync(gunDir, { recursive: true });
    for (const [role, bytes] of Object.entries(v3)) writeFileSync(join(gunDir, `${role}.json`), bytes);
    const source = createDirSource({ dir, maxMetadataBytes: 1 << 20 });

    // Without 2.root.json: a clear failure naming the file to vendor.
    const e = (await fetchTrust({ gun: GUN, source, verifier: verifier(v1.root!), trustedRoot: v1.root!, signers: ['targets'], maxDelegationDepth: 4 }).catch(
      (x: unknown) => x,
    )) as PinError;
    expect(e).toBeInstanceOf(PinError);
    expect(e).toMatchObject({ code: 'TRUST_ROOT_UNTRUSTED', role: 'root' });
    expect(e.message).toContain(join(gunDir, '2.root.json'));
    expect(e.hint).toMatch(/vendor 2\.root\.json/);

    writeFileSync(join(gunDir, '2.root.json'), v2.root!);
    const v = await fetchTrust({ gun: GUN, source, verifier: verifier(v1.root!), trustedRoot: v1.root!, signers: ['targets'], maxDelegationDepth: 4 });
    expect(v.state().versions.root).toBe(3);
    expect(v.lookupTag('v1', ['targets'])?.digest).toBe(D(1));
  });

  it('without trustedRoot (no walk possible) the rotation failure is reported as the verifier found it', async () => {
    const { v1, v3 } = chain();
    const fetched: string[] = [];
    const files: Record<string, Uint8Array> = v3;
    const source: MetadataSource = {
      description: 'memory',
      fetch: async (_gun, role, exp) => {
        fetched.push(exp?.version !== undefined ? `${exp.version}.${role}` : role);
        return files[role]!;
      },
    };
    const e = await fetchTrust({ gun: GUN, source, verifier: verifier(v1.root!), signers: ['targets'], maxDelegationDepth: 4 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRUST_SIGNATURE', role: 'root' });
    expect(fetched.filter((f) => /^\d/.test(f))).toEqual([]);
  });

  it('http source: GET /v2/<gun>/_trust/tuf/<v>.root.json, capped like root; bad versions refused', async () => {
    const { v2 } = chain();
    const s = await startTestServer(notaryHandler(new Map([[GUN, new Map([['2.root.json', v2.root!]])]])));
    const http = createHttpClient({ timeoutMs: 2000 });
    cleanup.push(() => s.close(), () => http.close());
    const source = createHttpSource({ server: s.url, http, maxMetadataBytes: 1 << 20 });
    expect(Buffer.from(await source.fetch(GUN, 'root', { role: 'root', version: 2 })).equals(Buffer.from(v2.root!))).toBe(true);
    expect(decodeURIComponent(s.requests.at(-1)!.url)).toBe(`/v2/${GUN}/_trust/tuf/2.root.json`);

    const small = createHttpSource({ server: s.url, http, maxMetadataBytes: 100 });
    await expect(small.fetch(GUN, 'root', { role: 'root', version: 2 })).rejects.toMatchObject({ code: 'TRUST_TOO_LARGE' });

    const missing = (await source.fetch(GUN, 'root', { role: 'root', version: 3 }).catch((x: unknown) => x)) as PinError;
    expect(missing).toMatchObject({ code: 'TRUST_NOT_FOUND', role: 'root' });
    expect(missing.message).toMatch(/root version 3/);

    const before = s.requests.length;
    for (const version of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(source.fetch(GUN, 'root', { role: 'root', version })).rejects.toMatchObject({ code: 'INTERNAL' });
    }
    await expect(source.fetch(GUN, 'root', { role: 'root', version: 2, sha256: 'a'.repeat(64) })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(s.requests.length).toBe(before);
  });
});
