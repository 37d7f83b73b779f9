/** The Notation resolver's staleIfErrorSeconds: earlier verdicts answer only while the registry cannot be reached. */
import { describe, expect, it } from 'vitest';
import { PinError, ok, type Result } from '../../errors/errors.js';
import { SpecSchema, type TrustRule } from '../../config/schema.js';
import { parseReference } from '../../reference/parse.js';
import { createFakeRegistry, type FakeCall } from '../../../test/support/fake-registry.js';
import { fixedRevocation, fixedTimestamp } from '../../../test/support/notation/doubles.js';
import { failed, resolved } from '../../../test/support/notary/helpers.js';
import type { VerifiedSignature, VerifySignature } from './contracts.js';
import { createNotationResolver } from './resolver.js';

const REPO = 'registry.example.com:5000/team/app';
const T0 = Date.parse('2026-12-06T00:00:00Z');

/** A verifier that passes every signature, valid until the envelope's `validUntil` (ms) if any. */
const verify: VerifySignature = async (sig): Promise<Result<VerifiedSignature, PinError>> => {
  const e = JSON.parse(Buffer.from(sig.envelope).toString()) as { validUntil?: number };
  return ok({ signer: 'CN=ci', signingScheme: 'notary.x509', chain: [], logged: [], validUntil: e.validUntil === undefined ? undefined : new Date(e.validUntil) });
};

const rule = (extra: Record<string, unknown> = {}): TrustRule =>
  SpecSchema.parse({ trust: [{ name: 'n', images: [REPO], notation: { trustPolicy: 'p.json', trustStore: 's' }, ...extra }] }).trust[0]!;
const PLATFORMS = { platforms: ['linux/amd64', 'linux/arm64'] };

const down = (): PinError => new PinError({ code: 'REGISTRY_FETCH', message: 'GET https://registry.example.com:5000/v2/: connect ECONNREFUSED', hint: 'check the registry' });

function setup(staleIfErrorMs: number | undefined, validUntil?: number) {
  let t = T0;
  const registry = createFakeRegistry();
  const img = registry.addImage(REPO, 'v1', 'a');
  registry.addSignature(REPO, img, Buffer.from(JSON.stringify({ validUntil })));
  // a multi-platform image whose index is signed
  const index = registry.addIndex(REPO, 'multi', [
    { desc: registry.addImage(REPO, undefined, 'amd64'), platform: 'linux/amd64' },
    { desc: registry.addImage(REPO, undefined, 'arm64'), platform: 'linux/arm64' },
  ]);
  registry.addSignature(REPO, index, Buffer.from(JSON.stringify({ validUntil })));
  let failure: (() => PinError) | undefined;
  registry.before = (_c: FakeCall) => {
    if (failure) throw failure();
  };
  const resolver = createNotationResolver({
    registry,
    verifySignature: verify,
    loadTrust: async () => ({
      statementFor: () => ({ name: 'team', registryScopes: [REPO], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] }),
      store: { load: async () => [] },
    }),
    timestamp: fixedTimestamp({ genTime: new Date(T0) }),
    revocation: fixedRevocation('good'),
    cache: { ttlMs: 60_000, maxEntries: 100, staleIfErrorMs },
    now: () => new Date(t),
  });
  const at = (ms: number) => (t = T0 + ms);
  const fail = (f: (() => PinError) | undefined) => (failure = f);
  const resolve = (ref: string, extra?: Record<string, unknown>) => resolver.resolve(parseReference(ref), rule(extra));
  return { img, index, registry, at, fail, resolve };
}

describe('Notation resolver: stale if error', () => {
  it('registry unreachable: a tag and its verdict answer from earlier, marked stale, for at most staleIfErrorMs past the TTL', async () => {
    const s = setup(300_000);
    expect((await resolved(s.resolve(`${REPO}:v1`))).stale).toBeUndefined();
    s.fail(down);
    s.at(60_001);
    const r = await resolved(s.resolve(`${REPO}:v1`));
    expect(r.digest).toBe(s.img.digest);
    expect(r.stale).toMatch(/ECONNREFUSED/);
    // a digest reference too
    expect((await resolved(s.resolve(`${REPO}@${s.img.digest}`))).stale).toMatch(/ECONNREFUSED/);
    s.at(360_001);
    expect((await failed(s.resolve(`${REPO}:v1`))).code).toBe('REGISTRY_FETCH');
    expect((await failed(s.resolve(`${REPO}@${s.img.digest}`))).code).toBe('REGISTRY_FETCH');
  });

  it('the registry back: fresh answers again, not stale', async () => {
    const s = setup(300_000);
    await resolved(s.resolve(`${REPO}:v1`));
    s.fail(down);
    s.at(60_001);
    expect((await resolved(s.resolve(`${REPO}:v1`))).stale).toBeDefined();
    s.fail(undefined);
    expect((await resolved(s.resolve(`${REPO}:v1`))).stale).toBeUndefined();
  });

  it('off by default (0): an unreachable registry denies once the TTL is over', async () => {
    const s = setup(undefined);
    await resolved(s.resolve(`${REPO}:v1`));
    s.fail(down);
    s.at(60_001);
    expect((await failed(s.resolve(`${REPO}:v1`))).code).toBe('REGISTRY_FETCH');
  });

  it('never past the verdict\'s validUntil (the expiry signed into the signature, certificates, revocation data)', async () => {
    const s = setup(3_600_000, T0 + 90_000);
    await resolved(s.resolve(`${REPO}@${(await resolved(s.resolve(`${REPO}:v1`))).digest}`));
    s.fail(down);
    s.at(61_000);
    expect((await resolved(s.resolve(`${REPO}:v1`))).stale).toBeDefined();
    s.at(90_001);
    expect((await failed(s.resolve(`${REPO}:v1`))).code).toBe('REGISTRY_FETCH');
  });

  it('a platform rule: a warm review asks the registry nothing (the index is reused by digest); an outage answers it stale', async () => {
    const s = setup(300_000);
    const first = await resolved(s.resolve(`${REPO}:multi`, PLATFORMS));
    expect(first.digest).toBe(s.index.digest);
    expect(s.registry.calls.filter((c) => c.op === 'fetchManifest' && c.ref === s.index.digest).length).toBeGreaterThan(0);
    const before = s.registry.calls.length;
    expect((await resolved(s.resolve(`${REPO}@${s.index.digest}`, PLATFORMS))).digest).toBe(s.index.digest);
    expect((await resolved(s.resolve(`${REPO}:multi`, PLATFORMS))).stale).toBeUndefined();
    expect(s.registry.calls.slice(before)).toEqual([]);
    s.fail(down);
    s.at(60_001);
    const r = await resolved(s.resolve(`${REPO}@${s.index.digest}`, PLATFORMS));
    expect(r.digest).toBe(s.index.digest);
    expect(r.stale).toMatch(/ECONNREFUSED/);
    s.at(360_001);
    expect((await failed(s.resolve(`${REPO}@${s.index.digest}`, PLATFORMS))).code).toBe('REGISTRY_FETCH');
  });

  it.each(['REGISTRY_NOT_FOUND', 'REGISTRY_DIGEST_MISMATCH', 'REGISTRY_MALFORMED'] as const)('%s is an answer, not an outage: never stale', async (code) => {
    const s = setup(300_000);
    await resolved(s.resolve(`${REPO}@${s.img.digest}`));
    s.fail(() => new PinError({ code, message: `the registry said ${code}`, hint: 'x' }));
    s.at(60_001);
    expect((await failed(s.resolve(`${REPO}@${s.img.digest}`))).code).toBe(code);
    // and the earlier verdict is gone: a later outage does not bring it back
    s.fail(down);
    expect((await failed(s.resolve(`${REPO}@${s.img.digest}`))).code).toBe('REGISTRY_FETCH');
  });
});
