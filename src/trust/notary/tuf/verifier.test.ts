import { X509Certificate } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { isPinError, type ErrorCode } from '../../../errors/errors.js';
import type { RootAnchor, TrustVerifier, VerifierOptions } from './verifier-contract.js';
import { createVerifier } from './verifier.js';
import { verifySignature } from './keys.js';
import { MAX_SIGNATURES } from './signatures.js';
import { generateCA, generateEcdsaKey, generateRootKey } from '../sign/keys.js';
import { createCertificate } from '../sign/x509.js';
import {
  editSignatures,
  fileMeta,
  resign,
  tamper,
  TufRepoBuilder,
  type RepoFiles,
} from '../sign/repo.js';

// Counts the crypto: every signature verification goes through keys.ts verifySignature.
vi.mock('./keys.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./keys.js')>();
  return { ...real, verifySignature: vi.fn(real.verifySignature) };
});
const cryptoCalls = vi.mocked(verifySignature);

const GUN = 'registry.example.com/team/app';
const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 24 * 3600_000;
const D1 = `sha256:${'a1'.repeat(32)}`;
const D2 = `sha256:${'b2'.repeat(32)}`;
const D3 = `sha256:${'c3'.repeat(32)}`;
const SIGNERS = ['targets/releases', 'targets'];

function newRepo(opts: { releases?: boolean; now?: Date } = {}): TufRepoBuilder {
  const repo = new TufRepoBuilder({ gun: GUN, now: opts.now ?? NOW });
  repo.addTarget('v1', { digest: D1, length: 1000 });
  repo.addTarget('shared', { digest: D1, length: 1000 });
  if (opts.releases) {
    repo.addDelegation('targets/releases');
    repo.addTarget('v2', { digest: D2, length: 2000 }, 'targets/releases');
    repo.addTarget('shared', { digest: D3, length: 3000 }, 'targets/releases');
  }
  return repo;
}

function pinned(repo: TufRepoBuilder): RootAnchor {
  return { rootKeyIds: repo.rootKeyIds().canonicalIds, tofu: false };
}

function verifier(anchor: RootAnchor, extra: Partial<VerifierOptions> = {}): TrustVerifier {
  return createVerifier({ gun: GUN, anchor, now: NOW, maxDelegationDepth: 4, ...extra });
}

/** Feeds files in TUF order, loading the delegations `signers` need. */
function loadAll(v: TrustVerifier, files: RepoFiles, signers: readonly string[] = SIGNERS): TrustVerifier {
  v.updateRoot(files['root']!);
  v.updateTimestamp(files['timestamp']!);
  v.updateSnapshot(files['snapshot']!);
  v.updateTargets(files['targets']!);
  for (let i = 0; i < 10; i++) {
    const need = v.neededDelegations(signers);
    if (need.length === 0) break;
    for (const d of need) v.updateDelegation(d.role, files[d.role]!);
  }
  return v;
}

/** Replaces one role's file and re-signs snapshot and timestamp around it (so only that file is wrong). */
function rechain(repo: TufRepoBuilder, files: RepoFiles, role: string, bytes: Uint8Array): RepoFiles {
  const out: RepoFiles = { ...files, [role]: bytes };
  out['snapshot'] = resign(
    tamper(files['snapshot']!, (s) => {
      (s['meta'] as Record<string, unknown>)[role] = fileMeta(bytes);
    }),
    [repo.keys.snapshot],
  );
  out['timestamp'] = resign(
    tamper(files['timestamp']!, (s) => {
      (s['meta'] as Record<string, unknown>)['snapshot'] = fileMeta(out['snapshot']!);
    }),
    [repo.keys.timestamp],
  );
  return out;
}

function expectPinError(fn: () => unknown, code: ErrorCode, ...fragments: (string | RegExp)[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (!isPinError(thrown)) throw new Error(`expected PinError ${code}, got ${String(thrown)}`);
  expect({ code: thrown.code, message: thrown.message }).toMatchObject({ code });
  expect(thrown.message).toContain(GUN);
  expect(thrown.hint ?? '').not.toBe('');
  for (const f of fragments) expect(`${thrown.message}\n${thrown.hint ?? ''}`).toMatch(f);
}

describe('verifier: valid repositories', () => {
  it('verifies a repository pinned by canonical key ID and looks tags up', () => {
    const repo = newRepo({ releases: true });
    const v = loadAll(verifier(pinned(repo)), repo.build());
    expect(v.lookupTag('v1', SIGNERS)).toEqual({ role: 'targets', name: 'v1', digest: D1, length: 1000 });
    expect(v.lookupTag('v2', SIGNERS)).toEqual({ role: 'targets/releases', name: 'v2', digest: D2, length: 2000 });
    expect(v.lookupTag('missing', SIGNERS)).toBeUndefined();
  });

  it('accepts the root.json key ID as a pin too', () => {
    const repo = newRepo();
    const v = loadAll(verifier({ rootKeyIds: repo.rootKeyIds().keyIds, tofu: false }), repo.build(), ['targets']);
    expect(v.lookupTag('v1', ['targets'])?.digest).toBe(D1);
  });

  it('lookupTag prefers targets/releases over targets, in the order of signers', () => {
    const repo = newRepo({ releases: true });
    const v = loadAll(verifier(pinned(repo)), repo.build());
    expect(v.lookupTag('shared', SIGNERS)).toMatchObject({ role: 'targets/releases', digest: D3 });
    expect(v.lookupTag('shared', ['targets', 'targets/releases'])).toMatchObject({ role: 'targets', digest: D1 });
    expect(v.lookupTag('shared', ['targets'])).toMatchObject({ role: 'targets', digest: D1 });
    expect(v.lookupTag('v2', ['targets'])).toBeUndefined();
  });

  it('lookupDigest returns every signed target with that digest among the signers', () => {
    const repo = newRepo({ releases: true });
    repo.addTarget('latest', { digest: D2, length: 2000 });
    const v = loadAll(verifier(pinned(repo)), repo.build());
    const found = v.lookupDigest(D2.toUpperCase().replace('SHA256', 'sha256'), SIGNERS);
    expect(found.map((t) => `${t.role}:${t.name}`).sort()).toEqual(['targets/releases:v2', 'targets:latest']);
    expect(v.lookupDigest(D2, ['targets'])).toHaveLength(1);
    expect(v.lookupDigest(`sha256:${'00'.repeat(32)}`, SIGNERS)).toEqual([]);
  });

  it('reports expected files and verified state', () => {
    const repo = newRepo({ releases: true });
    const files = repo.build();
    const v = verifier(pinned(repo));
    v.updateRoot(files['root']!);
    v.updateTimestamp(files['timestamp']!);
    expect(v.expectedSnapshot()).toEqual({
      role: 'snapshot',
      length: files['snapshot']!.length,
      sha256: fileMetaHex(files['snapshot']!),
    });
    v.updateSnapshot(files['snapshot']!);
    expect(v.expectedTargets('targets')).toMatchObject({ role: 'targets', length: files['targets']!.length });
    expect(v.expectedTargets('targets/nope')).toBeUndefined();
    v.updateTargets(files['targets']!);
    expect(v.neededDelegations(SIGNERS).map((d) => d.role)).toEqual(['targets/releases']);
    v.updateDelegation('targets/releases', files['targets/releases']!);
    expect(v.neededDelegations(SIGNERS)).toEqual([]);
    const st = v.state();
    expect(st.versions).toEqual({ root: 1, timestamp: 1, snapshot: 1, targets: { targets: 1, 'targets/releases': 1 } });
    expect(st.expires.getTime()).toBe(NOW.getTime() + 14 * DAY); // timestamp expires first
    expect(Object.keys(st.files).sort()).toEqual(['root', 'snapshot', 'targets', 'targets/releases', 'timestamp']);
    expect(st.files['targets']).toBe(files['targets']);
  });

  it('ignores signatures by unknown keys when the threshold is met', () => {
    const repo = newRepo();
    const files = repo.build();
    const targets = resign(files['targets']!, [generateEcdsaKey()], { keep: true });
    const v = loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets', targets), ['targets']);
    expect(v.lookupTag('v1', ['targets'])?.digest).toBe(D1);
  });

  it('accepts trust on first use only when anchor.tofu is set', () => {
    const repo = newRepo();
    const files = repo.build();
    expect(loadAll(verifier({ tofu: true }), files, ['targets']).lookupTag('v1', ['targets'])?.digest).toBe(D1);
  });

  it('ignores a target without a sha256 hash', () => {
    const repo = newRepo();
    const files = repo.build();
    const targets = resign(
      tamper(files['targets']!, (s) => {
        const t = (s['targets'] as Record<string, { hashes: Record<string, string> }>)['v1']!;
        t.hashes = { sha512: Buffer.alloc(64, 1).toString('base64') };
      }),
      [repo.keys.targets],
    );
    const v = loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets', targets), ['targets']);
    expect(v.lookupTag('v1', ['targets'])).toBeUndefined();
    expect(v.lookupTag('shared', ['targets'])?.digest).toBe(D1);
  });
});

function fileMetaHex(bytes: Uint8Array): string {
  return Buffer.from(fileMeta(bytes).hashes['sha256']!, 'base64').toString('hex');
}

describe('verifier: root of trust', () => {
  it('refuses an unpinned root without TOFU and names the key IDs to pin', () => {
    const repo = newRepo();
    const v = verifier({ tofu: false });
    const { canonicalIds, keyIds } = repo.rootKeyIds();
    // The root.json key ID (what notary's trust_pinning accepts) comes first, the `notary key list` ID second.
    const leads = new RegExp(`pin the root key ID from root.json in trust.rootKeys.*${keyIds[0]}.*notary key list\` ID ${canonicalIds[0]} is accepted too`);
    expectPinError(() => v.updateRoot(repo.build()['root']!), 'TRUST_ROOT_UNTRUSTED', leads, /tofu: true/);
  });

  it('refuses a root whose keys are not the pinned ones', () => {
    const repo = newRepo();
    const v = verifier({ rootKeyIds: ['ab'.repeat(32)], tofu: true });
    const { canonicalIds, keyIds } = repo.rootKeyIds();
    const leads = new RegExp(`pin its root.json key ID ${keyIds[0]} in trust.rootKeys.*notary key list\` ID ${canonicalIds[0]} is accepted too`);
    expectPinError(() => v.updateRoot(repo.build()['root']!), 'TRUST_ROOT_UNTRUSTED', /none of the root keys/, leads);
  });

  it('refuses a root certificate issued for another GUN', () => {
    const root = generateRootKey({ cn: 'registry.example.com/other', notBefore: NOW });
    const repo = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root } });
    const v = verifier({ tofu: true });
    expectPinError(() => v.updateRoot(repo.build()['root']!), 'TRUST_MISMATCH', /registry\.example\.com\/other/);
  });

  it('accepts a wildcard CN that covers the GUN (notary MatchCNToGun)', () => {
    const root = generateRootKey({ cn: 'registry.example.com/team/*', notBefore: NOW });
    const repo = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root } });
    expect(() => verifier({ tofu: true }).updateRoot(repo.build()['root']!)).not.toThrow();
  });

  it('refuses an expired or not yet valid root certificate (one day leeway on NotBefore)', () => {
    const expired = generateRootKey({ cn: GUN, notBefore: new Date(NOW.getTime() - 400 * DAY), notAfter: new Date(NOW.getTime() - 3 * DAY) });
    const repoA = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root: expired } });
    expectPinError(() => verifier(pinned(repoA)).updateRoot(repoA.build()['root']!), 'TRUST_EXPIRED', /expired 3 days ago/);

    const future = generateRootKey({ cn: GUN, notBefore: new Date(NOW.getTime() + 3 * DAY) });
    const repoB = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root: future } });
    expectPinError(() => verifier(pinned(repoB)).updateRoot(repoB.build()['root']!), 'TRUST_EXPIRED', /not valid until/);

    const soon = generateRootKey({ cn: GUN, notBefore: new Date(NOW.getTime() + 12 * 3600_000) });
    const repoC = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root: soon } });
    expect(() => verifier(pinned(repoC)).updateRoot(repoC.build()['root']!)).not.toThrow();
  });

  it('accepts a root certificate that chains to the pinned CA, directly or via an intermediate', () => {
    const ca = generateCA('Test Root CA', new Date(NOW.getTime() - DAY));
    const root = generateRootKey({ cn: GUN, notBefore: NOW, issuer: { cn: ca.cn, privateKey: ca.privateKey } });
    const repo = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root } });
    repo.addTarget('v1', { digest: D1, length: 1000 });
    const anchor: RootAnchor = { rootCAs: [new X509Certificate(ca.certPem)], tofu: false };
    expect(loadAll(verifier(anchor), repo.build(), ['targets']).lookupTag('v1', ['targets'])?.digest).toBe(D1);

    const int = generateEcdsaKey();
    const intCert = createCertificate({
      subjectCN: 'Test Intermediate',
      publicKey: int.publicKey,
      issuer: { cn: ca.cn, privateKey: ca.privateKey },
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 365 * DAY),
      isCA: true,
    });
    const viaInt = generateRootKey({
      cn: GUN,
      notBefore: NOW,
      issuer: { cn: 'Test Intermediate', privateKey: int.privateKey },
      intermediates: [intCert],
    });
    const repo2 = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root: viaInt } });
    expect(() => verifier(anchor).updateRoot(repo2.build()['root']!)).not.toThrow();
  });

  it('refuses a root certificate that chains to another CA, or a self-signed one, when a CA is pinned', () => {
    const ca = generateCA('Test Root CA', new Date(NOW.getTime() - DAY));
    const other = generateCA('Other CA', new Date(NOW.getTime() - DAY));
    const root = generateRootKey({ cn: GUN, notBefore: NOW, issuer: { cn: other.cn, privateKey: other.privateKey } });
    const repo = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root } });
    const anchor: RootAnchor = { rootCAs: [new X509Certificate(ca.certPem)], tofu: true };
    expectPinError(() => verifier(anchor).updateRoot(repo.build()['root']!), 'TRUST_ROOT_UNTRUSTED', /chains to the pinned CA/);
    // an impostor CA with the same name but another key
    const impostor = generateCA('Test Root CA', new Date(NOW.getTime() - DAY));
    const root2 = generateRootKey({ cn: GUN, notBefore: NOW, issuer: { cn: impostor.cn, privateKey: impostor.privateKey } });
    const repo2 = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root: root2 } });
    expectPinError(() => verifier(anchor).updateRoot(repo2.build()['root']!), 'TRUST_ROOT_UNTRUSTED');
    const selfSigned = newRepo();
    expectPinError(() => verifier(anchor).updateRoot(selfSigned.build()['root']!), 'TRUST_ROOT_UNTRUSTED');
  });

  it('refuses when the pinned CA has expired', () => {
    const ca = generateCA('Old CA', new Date(NOW.getTime() - 400 * DAY), new Date(NOW.getTime() - DAY));
    const root = generateRootKey({ cn: GUN, notBefore: NOW, issuer: { cn: ca.cn, privateKey: ca.privateKey } });
    const repo = new TufRepoBuilder({ gun: GUN, now: NOW, keys: { root } });
    expectPinError(
      () => verifier({ rootCAs: [new X509Certificate(ca.certPem)], tofu: false }).updateRoot(repo.build()['root']!),
      'TRUST_ROOT_UNTRUSTED',
    );
  });

  it('refuses a root not signed by its own root key', () => {
    const repo = newRepo();
    repo.signWith('root', [generateRootKey({ cn: GUN, notBefore: NOW })]);
    expectPinError(() => verifier(pinned(repo)).updateRoot(repo.build()['root']!), 'TRUST_SIGNATURE');
  });
});

describe('verifier: root rotation', () => {
  function rotated(opts: { crossSign: boolean }) {
    const repo = newRepo();
    const v1 = repo.build();
    const oldPins = repo.rootKeyIds().canonicalIds;
    const oldKey = repo.keys.root;
    const newKey = generateRootKey({ cn: GUN, notBefore: NOW });
    repo.setRootKeys([newKey], { signers: opts.crossSign ? [oldKey, newKey] : [newKey] }).bumpVersion('root');
    return { repo, v1, v2: repo.build(), newKey, oldPins };
  }

  it('accepts a new root signed by the trusted root keys and by its own keys', () => {
    const { v1, v2 } = rotated({ crossSign: true });
    const v = loadAll(verifier({ trustedRoot: v1['root']!, tofu: false }), v2, ['targets']);
    expect(v.state().versions.root).toBe(2);
    // the same chain, step by step in one verifier
    const w = verifier({ rootKeyIds: [], tofu: true });
    w.updateRoot(v1['root']!);
    w.updateRoot(v2['root']!);
    expect(() => w.updateTimestamp(v2['timestamp']!)).not.toThrow();
  });

  it('allows an expired intermediate root in a rotation chain, not an expired final root', () => {
    const repo = newRepo();
    repo.setExpires('root', new Date(NOW.getTime() - DAY));
    const v1 = repo.build();
    const oldPins = repo.rootKeyIds().canonicalIds;
    const oldKey = repo.keys.root;
    const newKey = generateRootKey({ cn: GUN, notBefore: NOW });
    repo.setRootKeys([newKey], { signers: [oldKey, newKey] }).bumpVersion('root').setExpires('root', new Date(NOW.getTime() + DAY));
    const v2 = repo.build();
    // pinning applies to every root of the chain (notary checks trust pinning for each)
    const v = verifier({ rootKeyIds: [...oldPins, ...repo.rootKeyIds().canonicalIds], tofu: false });
    v.updateRoot(v1['root']!); // expired, but not the final root
    v.updateRoot(v2['root']!);
    expect(() => v.updateTimestamp(v2['timestamp']!)).not.toThrow();
    const w = verifier({ rootKeyIds: [], tofu: true });
    w.updateRoot(v1['root']!);
    expectPinError(() => w.updateTimestamp(v1['timestamp']!), 'TRUST_EXPIRED', /root expired 1 day ago|root expired 24 hours ago/);
  });

  it('refuses a new root that the trusted root keys did not sign', () => {
    const { v1, v2 } = rotated({ crossSign: false });
    expectPinError(
      () => verifier({ trustedRoot: v1['root']!, tofu: true }).updateRoot(v2['root']!),
      'TRUST_SIGNATURE',
      /trusted root/,
    );
  });

  it('still applies key pinning to a rotated root (notary checks trust pinning regardless)', () => {
    const { repo, v1, v2, oldPins } = rotated({ crossSign: true });
    const pinOld = verifier({ trustedRoot: v1['root']!, rootKeyIds: oldPins, tofu: false });
    expectPinError(() => pinOld.updateRoot(v2['root']!), 'TRUST_ROOT_UNTRUSTED');
    const pinNew = verifier({ trustedRoot: v1['root']!, rootKeyIds: repo.rootKeyIds().canonicalIds, tofu: false });
    expect(() => pinNew.updateRoot(v2['root']!)).not.toThrow();
  });

  it('refuses a root older than the trusted one, or a different root with the same version', () => {
    const { v1, v2 } = rotated({ crossSign: true });
    expectPinError(() => verifier({ trustedRoot: v2['root']!, tofu: true }).updateRoot(v1['root']!), 'TRUST_ROLLBACK');
    const repo = newRepo();
    const a = repo.build()['root']!;
    repo.setExpires('root', new Date(NOW.getTime() + 100 * DAY));
    const b = repo.build()['root']!;
    expectPinError(() => verifier({ trustedRoot: a, tofu: true }).updateRoot(b), 'TRUST_ROLLBACK');
    // the identical root is fine
    expect(() => verifier({ trustedRoot: a, tofu: false }).updateRoot(a)).not.toThrow();
  });
});

describe('verifier: signatures and thresholds', () => {
  it('refuses targets whose content no longer matches the signature', () => {
    const repo = newRepo();
    const files = repo.build();
    const bad = tamper(files['targets']!, (s) => {
      (s['targets'] as Record<string, { hashes: Record<string, string> }>)['v1']!.hashes['sha256'] = Buffer.alloc(32, 9).toString('base64');
    });
    expectPinError(() => loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets', bad)), 'TRUST_SIGNATURE', /did not verify/);
  });

  it('refuses targets signed by a key the root does not list for targets', () => {
    const repo = newRepo();
    repo.signWith('targets', [generateEcdsaKey()]);
    expectPinError(() => loadAll(verifier(pinned(repo)), repo.build()), 'TRUST_SIGNATURE', /not in the role/);
    const repo2 = newRepo();
    repo2.signWith('targets', [repo2.keys.snapshot]); // a key of another role
    expectPinError(() => loadAll(verifier(pinned(repo2)), repo2.build()), 'TRUST_SIGNATURE');
  });

  it('refuses metadata below its threshold', () => {
    const repo = newRepo();
    repo.setThreshold('snapshot', 2);
    expectPinError(() => loadAll(verifier(pinned(repo)), repo.build()), 'TRUST_SIGNATURE', /needs 2/);
  });

  it('counts duplicate signatures by one key once', () => {
    const repo = newRepo({ releases: true });
    const k2 = generateEcdsaKey();
    repo.addDelegation('targets/releases', { keys: [generateEcdsaKey(), k2], threshold: 2 });
    repo.addTarget('v2', { digest: D2, length: 2000 }, 'targets/releases');
    const files = repo.build();
    expect(loadAll(verifier(pinned(repo)), files).lookupTag('v2', SIGNERS)?.role).toBe('targets/releases');
    const dup = editSignatures(files['targets/releases']!, (s) => [s[0]!, s[0]!, { ...s[0]! }]);
    expectPinError(
      () => loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets/releases', dup)),
      'TRUST_SIGNATURE',
      /signed by 1 valid key/,
    );
  });

  it('refuses a signature flood (20,000 signatures under the pinned root key ID) before any crypto', () => {
    const repo = newRepo();
    const files = repo.build();
    const flood = editSignatures(files['root']!, (s) =>
      Array.from({ length: 20_000 }, (_, i) => ({ ...s[0]!, sig: Buffer.alloc(64, i % 251).toString('base64') })),
    );
    expect(flood.length).toBeGreaterThan(1_000_000);
    cryptoCalls.mockClear();
    expectPinError(() => verifier(pinned(repo)).updateRoot(flood), 'TRUST_TOO_LARGE', /20000/, new RegExp(`limit of ${MAX_SIGNATURES}`));
    expect(cryptoCalls).toHaveBeenCalledTimes(0);
  });

  it('verifies each key at most once and skips signatures by unknown key IDs without crypto', () => {
    const repo = newRepo();
    const files = repo.build();
    const strangers = Array.from({ length: 20 }, () => generateEcdsaKey());
    // Under the cap: 40 bogus signatures by the root key first, the genuine one last, 20 unknown key IDs.
    const bogus = editSignatures(files['root']!, (s) => [
      ...Array.from({ length: 40 }, (_, i) => ({ ...s[0]!, sig: Buffer.alloc(64, i + 1).toString('base64') })),
      s[0]!,
      ...strangers.map((k) => ({ ...s[0]!, keyid: k.id })),
    ]);
    cryptoCalls.mockClear();
    expectPinError(() => verifier(pinned(repo)).updateRoot(bogus), 'TRUST_SIGNATURE', /40 further signature\(s\) by a key already checked/);
    expect(cryptoCalls).toHaveBeenCalledTimes(1);
    // The genuine signature first: accepted, still one verification per key.
    const genuineFirst = editSignatures(files['root']!, (s) => [s[0]!, ...Array.from({ length: 40 }, () => ({ ...s[0]! }))]);
    cryptoCalls.mockClear();
    verifier(pinned(repo)).updateRoot(genuineFirst);
    expect(cryptoCalls).toHaveBeenCalledTimes(1);
  });

  it('refuses a role with more key IDs than the limit before any crypto', () => {
    const repo = newRepo();
    const files = repo.build();
    const many = Array.from({ length: 40 }, () => generateEcdsaKey());
    const wide = tamper(files['root']!, (s) => {
      const keys = s['keys'] as Record<string, unknown>;
      for (const k of many) keys[k.id] = { keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(k.public).toString('base64') } };
      ((s['roles'] as Record<string, { keyids: string[] }>)['snapshot']!).keyids.push(...many.map((k) => k.id));
    });
    cryptoCalls.mockClear();
    expectPinError(() => verifier(pinned(repo)).updateRoot(wide), 'TRUST_TOO_LARGE', /snapshot role's key IDs has 41/);
    expect(cryptoCalls).toHaveBeenCalledTimes(0);
  });

  it('refuses metadata without signatures', () => {
    const repo = newRepo();
    const files = repo.build();
    const none = editSignatures(files['timestamp']!, () => []);
    const v = verifier(pinned(repo));
    v.updateRoot(files['root']!);
    expectPinError(() => v.updateTimestamp(none), 'TRUST_SIGNATURE', /no signatures/);
  });
});

describe('verifier: expiry', () => {
  const cases: [string, RegExp][] = [
    ['root', /re-sign root/],
    ['timestamp', /timestamp expired 3 days ago.*the server's timestamp key must re-sign/],
    ['snapshot', /snapshot expired 3 days ago/],
    ['targets', /targets expired 3 days ago/],
    ['targets/releases', /targets\/releases expired 3 days ago/],
  ];
  for (const [role, msg] of cases) {
    it(`refuses an expired ${role}`, () => {
      const repo = newRepo({ releases: true });
      repo.setExpires(role, new Date(NOW.getTime() - 3 * DAY - 1000));
      expectPinError(() => loadAll(verifier(pinned(repo)), repo.build()), 'TRUST_EXPIRED', msg);
    });
  }
});

describe('verifier: rollback', () => {
  const cases: [string, VerifierOptions['previous']][] = [
    ['root', { root: 2 }],
    ['timestamp', { timestamp: 5 }],
    ['snapshot', { snapshot: 5 }],
    ['targets', { targets: { targets: 5 } }],
    ['targets/releases', { targets: { 'targets/releases': 5 } }],
  ];
  for (const [role, previous] of cases) {
    it(`refuses ${role} older than the trusted version`, () => {
      const repo = newRepo({ releases: true });
      expectPinError(() => loadAll(verifier(pinned(repo), { previous }), repo.build()), 'TRUST_ROLLBACK', new RegExp(`${role} version 1 is older than version`));
    });
  }

  it('accepts equal and newer versions', () => {
    const repo = newRepo({ releases: true });
    repo.setVersion('targets', 7);
    const previous = { root: 1, timestamp: 1, snapshot: 1, targets: { targets: 6, 'targets/releases': 1 } };
    expect(loadAll(verifier(pinned(repo), { previous }), repo.build()).state().versions.targets['targets']).toBe(7);
  });
});

describe('verifier: hashes, lengths and types', () => {
  it('refuses a snapshot whose hash does not match the timestamp (same length)', () => {
    const repo = newRepo();
    const files = repo.build();
    const snap = resign(tamper(files['snapshot']!, (s) => void (s['version'] = 2)), [repo.keys.snapshot]);
    expect(snap.length).toBe(files['snapshot']!.length);
    const v = verifier(pinned(repo));
    v.updateRoot(files['root']!);
    v.updateTimestamp(files['timestamp']!);
    expectPinError(() => v.updateSnapshot(snap), 'TRUST_MISMATCH', /sha256 hash timestamp lists/);
  });

  it('refuses a snapshot whose length does not match the timestamp', () => {
    const repo = newRepo();
    const files = repo.build();
    const longer = new Uint8Array(Buffer.concat([Buffer.from(files['snapshot']!), Buffer.from(' ')]));
    const v = verifier(pinned(repo));
    v.updateRoot(files['root']!);
    v.updateTimestamp(files['timestamp']!);
    expectPinError(() => v.updateSnapshot(longer), 'TRUST_MISMATCH', /length/);
  });

  it('refuses targets (and delegations) that do not match the snapshot: mix-and-match', () => {
    const repo = newRepo({ releases: true });
    const old = repo.build();
    repo.addTarget('v9', { digest: D3, length: 9 }).bumpVersion('targets');
    repo.addTarget('v9', { digest: D3, length: 9 }, 'targets/releases').bumpVersion('targets/releases');
    const cur = repo.build();
    expectPinError(() => loadAll(verifier(pinned(repo)), { ...cur, targets: old['targets']! }), 'TRUST_MISMATCH', /targets\.json does not match/);
    expectPinError(() => loadAll(verifier(pinned(repo)), { ...cur, 'targets/releases': old['targets/releases']! }), 'TRUST_MISMATCH');
    expectPinError(() => loadAll(verifier(pinned(repo)), { ...cur, snapshot: old['snapshot']! }), 'TRUST_MISMATCH');
    const longer = new Uint8Array(Buffer.concat([Buffer.from(cur['targets']!), Buffer.from('\n')]));
    expectPinError(() => loadAll(verifier(pinned(repo)), { ...cur, targets: longer }), 'TRUST_MISMATCH', /length/);
  });

  it('refuses a root that the snapshot does not list (root mix-and-match)', () => {
    const repo = newRepo();
    const old = repo.build();
    repo.setExpires('root', new Date(NOW.getTime() + 1000 * DAY)).bumpVersion('root');
    const cur = repo.build();
    expectPinError(() => loadAll(verifier(pinned(repo)), { ...old, root: cur['root']! }), 'TRUST_MISMATCH', /root\.json does not match/);
  });

  it('refuses metadata with the wrong _type even when correctly signed', () => {
    const repo = newRepo();
    const files = repo.build();
    const wrong = resign(tamper(files['targets']!, (s) => void (s['_type'] = 'Snapshot')), [repo.keys.targets]);
    expectPinError(() => loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets', wrong)), 'TRUST_MISMATCH', /_type "Snapshot"/);
    const v = verifier(pinned(repo));
    v.updateRoot(files['root']!);
    expectPinError(() => v.updateTimestamp(files['snapshot']!), 'TRUST_MISMATCH', /expected "Timestamp"/);
    expectPinError(() => verifier(pinned(repo)).updateRoot(files['targets']!), 'TRUST_MISMATCH');
  });

  it('turns malformed input into TRUST_MALFORMED', () => {
    const repo = newRepo();
    const files = repo.build();
    const v = verifier(pinned(repo));
    expectPinError(() => v.updateRoot(new TextEncoder().encode('<html>')), 'TRUST_MALFORMED');
    expectPinError(() => v.updateRoot(new TextEncoder().encode('{"signed":[],"signatures":[]}')), 'TRUST_MALFORMED');
    const noTargetsRole = resign(tamper(files['root']!, (s) => void delete (s['roles'] as Record<string, unknown>)['targets']), [repo.keys.root]);
    expectPinError(() => v.updateRoot(noTargetsRole), 'TRUST_MALFORMED', /missing targets role/);
    const floaty = new TextEncoder().encode(Buffer.from(files['root']!).toString().replace('"version":1}', '"version":1.5}'));
    expect(floaty).not.toEqual(files['root']);
    expectPinError(() => v.updateRoot(floaty), 'TRUST_MALFORMED', /floating point/);
    const badTime = resign(tamper(files['root']!, (s) => void (s['expires'] = 'tomorrow')), [repo.keys.root]);
    expectPinError(() => v.updateRoot(badTime), 'TRUST_MALFORMED');
  });
});

describe('verifier: delegations', () => {
  it('ignores targets outside the delegation paths', () => {
    const repo = newRepo();
    repo.addDelegation('targets/releases', { paths: ['prod-'] });
    repo.addTarget('v1', { digest: D2, length: 2 }, 'targets/releases');
    repo.addTarget('prod-v1', { digest: D3, length: 3 }, 'targets/releases');
    const v = loadAll(verifier(pinned(repo)), repo.build());
    expect(v.lookupTag('v1', ['targets/releases'])).toBeUndefined();
    expect(v.lookupTag('v1', SIGNERS)?.role).toBe('targets'); // falls back to targets' own v1
    expect(v.lookupTag('prod-v1', SIGNERS)).toMatchObject({ role: 'targets/releases', digest: D3 });
    expect(v.lookupDigest(D2, SIGNERS)).toEqual([]);
  });

  it('restricts a nested delegation to its parent paths', () => {
    const repo = newRepo();
    repo.addDelegation('targets/releases', { paths: ['prod-'] });
    repo.addDelegation('targets/releases/qa', { paths: ['', 'qa-'] });
    repo.addTarget('qa-1', { digest: D2, length: 2 }, 'targets/releases/qa');
    repo.addTarget('prod-1', { digest: D3, length: 3 }, 'targets/releases/qa');
    const v = loadAll(verifier(pinned(repo)), repo.build(), ['targets/releases/qa']);
    expect(v.state().versions.targets['targets/releases/qa']).toBe(1);
    // '' and 'qa-' are not under 'prod-', so nothing the qa role signs is trusted
    expect(v.lookupTag('qa-1', ['targets/releases/qa'])).toBeUndefined();
    expect(v.lookupTag('prod-1', ['targets/releases/qa'])).toBeUndefined();
  });

  it('refuses a delegation signed by a key its parent did not delegate', () => {
    const repo = newRepo({ releases: true });
    repo.signWith('targets/releases', [generateEcdsaKey()]);
    expectPinError(() => loadAll(verifier(pinned(repo)), repo.build()), 'TRUST_SIGNATURE', /delegates to targets\/releases/);
    const repo2 = newRepo({ releases: true });
    repo2.signWith('targets/releases', [repo2.keys.targets]); // the parent's own key is not enough
    expectPinError(() => loadAll(verifier(pinned(repo2)), repo2.build()), 'TRUST_SIGNATURE');
  });

  it('refuses a delegation its parent does not declare', () => {
    const repo = newRepo({ releases: true });
    const files = repo.build();
    const v = loadAll(verifier(pinned(repo)), files, ['targets']);
    expectPinError(() => v.updateDelegation('targets/other', files['targets/releases']!), 'TRUST_DELEGATION', /does not delegate/);
    expectPinError(() => v.updateDelegation('targets/../root', files['targets/releases']!), 'TRUST_DELEGATION');
    expect(v.neededDelegations(['targets/other'])).toEqual([]);
  });

  it('refuses a delegation the verified targets still declares but a validly signed snapshot no longer lists', () => {
    const repo = newRepo({ releases: true });
    const files = repo.build();
    const snapshot = resign(
      tamper(files['snapshot']!, (s) => {
        delete (s['meta'] as Record<string, unknown>)['targets/releases'];
        s['version'] = 2;
      }),
      [repo.keys.snapshot],
    );
    const timestamp = resign(
      tamper(files['timestamp']!, (s) => {
        (s['meta'] as Record<string, unknown>)['snapshot'] = fileMeta(snapshot);
      }),
      [repo.keys.timestamp],
    );
    const dropped = { ...files, snapshot, timestamp };
    // Without the check, `shared` would silently resolve to targets' D1 instead of targets/releases' D3.
    expectPinError(() => loadAll(verifier(pinned(repo)), dropped), 'TRUST_MISMATCH', /targets\/releases/, /snapshot version 2/, /downgrade/);
    // A rule that does not ask for the role is not affected.
    expect(loadAll(verifier(pinned(repo)), dropped, ['targets']).lookupTag('shared', ['targets'])?.digest).toBe(D1);
  });

  it('accepts a delegation the targets key holder really removed (targets no longer declares it)', () => {
    const repo = newRepo({ releases: true });
    repo.removeDelegation('targets/releases');
    repo.bumpVersion('targets').bumpVersion('snapshot').bumpVersion('timestamp');
    const v = loadAll(verifier(pinned(repo)), repo.build());
    expect(v.lookupTag('shared', SIGNERS)).toMatchObject({ role: 'targets', digest: D1 });
  });

  it('refuses a targets role that delegates to a grandchild directly', () => {
    const repo = newRepo();
    const files = repo.build();
    const k = generateEcdsaKey();
    const bad = resign(
      tamper(files['targets']!, (s) => {
        s['delegations'] = {
          keys: { [k.id]: { keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(k.public).toString('base64') } } },
          roles: [{ keyids: [k.id], name: 'targets/a/b', paths: [''], threshold: 1 }],
        };
      }),
      [repo.keys.targets],
    );
    expectPinError(() => loadAll(verifier(pinned(repo)), rechain(repo, files, 'targets', bad)), 'TRUST_DELEGATION', /not a role directly below/);
  });

  it('enforces the depth limit', () => {
    const repo = newRepo();
    repo.addDelegation('targets/releases');
    repo.addDelegation('targets/releases/qa');
    repo.addTarget('q', { digest: D2, length: 2 }, 'targets/releases/qa');
    const files = repo.build();
    const v = loadAll(verifier(pinned(repo), { maxDelegationDepth: 1 }), files, ['targets/releases/qa']);
    expect(v.lookupTag('q', ['targets/releases/qa'])).toBeUndefined();
    expect(v.neededDelegations(['targets/releases/qa'])).toEqual([]);
    expectPinError(() => v.updateDelegation('targets/releases/qa', files['targets/releases/qa']!), 'TRUST_DELEGATION', /deeper than the limit of 1/);
    const w = loadAll(verifier(pinned(repo), { maxDelegationDepth: 2 }), files, ['targets/releases/qa']);
    expect(w.lookupTag('q', ['targets/releases/qa'])?.digest).toBe(D2);
  });

  it('refuses loading a delegation twice (no cycles) or before its parent', () => {
    const repo = newRepo({ releases: true });
    const files = repo.build();
    const v = loadAll(verifier(pinned(repo)), files);
    expectPinError(() => v.updateDelegation('targets/releases', files['targets/releases']!), 'TRUST_DELEGATION', /already loaded/);
    const w = loadAll(verifier(pinned(repo)), files, ['targets']);
    expect(() => w.updateDelegation('targets/releases/x', files['targets/releases']!)).toThrow(/parent/);
  });
});
