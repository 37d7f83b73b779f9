/** The Notation resolver with a fake registry and a fake signature verifier (the real ones are tested on their own and end to end). */
import { describe, expect, it } from 'vitest';
import { PinError, err, ok, type Result } from '../../errors/errors.js';
import { SpecSchema, type TrustRule } from '../../config/schema.js';
import { parseReference } from '../../reference/parse.js';
import { MediaTypes } from '../../registry/contract.js';
import { createFakeRegistry, type FakeRegistry } from '../../../test/support/fake-registry.js';
import { fixedRevocation, fixedTimestamp } from '../../../test/support/notation/doubles.js';
import { failed, resolved } from '../../../test/support/notary/helpers.js';
import type { TrustPolicyStatement, VerifiedSignature, VerifySignature } from './contracts.js';
import { createNotationResolver, type NotationResolverOptions, type NotationTrust } from './resolver.js';

const REPO = 'registry.example.com:5000/team/app';

const statement = (level: TrustPolicyStatement['signatureVerification']['level'] = 'strict'): TrustPolicyStatement => ({
  name: 'team',
  registryScopes: [REPO],
  signatureVerification: { level },
  trustStores: ['ca:team'],
  trustedIdentities: ['*'],
});

/** Envelopes of the fake verifier: JSON saying how the "verification" goes. */
const envelope = (e: { pass?: string; fail?: PinError['code']; validUntil?: number; logged?: PinError['code'] }): Uint8Array => Buffer.from(JSON.stringify(e));

/** A verifier that reads its verdict from the envelope, and records what it was given. */
function fakeVerifier(): { verify: VerifySignature; seen: { source?: string; subject: string; level: string; checkers?: boolean }[] } {
  const seen: { source?: string; subject: string; level: string; checkers?: boolean }[] = [];
  const verify: VerifySignature = async (sig, ctx): Promise<Result<VerifiedSignature, PinError>> => {
    seen.push({ source: sig.source, subject: ctx.subject.digest, level: ctx.statement.signatureVerification.level, checkers: ctx.revocation !== undefined && ctx.timestamp !== undefined });
    const e = JSON.parse(Buffer.from(sig.envelope).toString()) as { pass?: string; fail?: PinError['code']; validUntil?: number; logged?: PinError['code'] };
    if (e.fail) return err(new PinError({ code: e.fail, message: `check ${e.fail} failed`, hint: `fix ${e.fail}` }));
    return ok({
      signer: e.pass!,
      signingScheme: 'notary.x509',
      chain: [],
      logged: e.logged ? [new PinError({ code: e.logged, message: `check ${e.logged} failed` })] : [],
      ...(e.validUntil !== undefined && { validUntil: new Date(e.validUntil) }),
    });
  };
  return { verify, seen };
}

function rule(notation: Record<string, unknown> = {}): TrustRule {
  return SpecSchema.parse({ trust: [{ name: 'n', images: [`${REPO}`], notation: { trustPolicy: 'p.json', trustStore: 's', ...notation } }] }).trust[0]!;
}

function setup(o: { level?: TrustPolicyStatement['signatureVerification']['level']; now?: () => Date; cache?: Partial<NotationResolverOptions['cache']> } = {}) {
  const registry = createFakeRegistry();
  const v = fakeVerifier();
  const loads: unknown[] = [];
  const trust: NotationTrust = {
    statementFor(repository) {
      if (repository !== REPO) throw new PinError({ code: 'NOTATION_POLICY', message: `no trust policy statement covers ${repository}`, hint: 'add it to registryScopes' });
      return statement(o.level);
    },
    store: { load: async () => [] },
  };
  const resolver = createNotationResolver({
    registry,
    verifySignature: v.verify,
    loadTrust: async (n) => (loads.push(n), trust),
    timestamp: fixedTimestamp({ genTime: new Date('2026-01-01T00:00:00Z') }),
    revocation: fixedRevocation('good'),
    cache: { ttlMs: 60_000, maxEntries: 100, ...o.cache },
    now: o.now,
  });
  return { registry, v, loads, resolver };
}

const ops = (r: FakeRegistry, op: string) => r.calls.filter((c) => c.op === op).map((c) => c.ref);

describe('Notation resolver', () => {
  it('pins a tag to the digest the registry serves, when a signature of it passes; says who signed', async () => {
    const { registry, v, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=ci,O=Team,ST=WA,C=US' }));
    const r = await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(r).toEqual({ digest: img.digest, tag: 'v1', system: 'notation', signer: 'CN=ci,O=Team,ST=WA,C=US', role: 'notary.x509', gun: REPO });
    expect(v.seen).toEqual([{ source: expect.stringMatching(/^sha256:/), subject: img.digest, level: 'strict', checkers: true }]);
    expect(ops(registry, 'referrers')).toEqual([img.digest]);
  });

  it('a reference without tag or digest means latest', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'latest', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    expect((await resolved(resolver.resolve(parseReference(REPO), rule()))).tag).toBe('latest');
  });

  it('tries signatures one at a time and stops at the first that passes (later envelopes are never fetched)', async () => {
    const { registry, v, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    const bad = registry.addSignature(REPO, img, envelope({ fail: 'NOTATION_AUTHENTICITY' }));
    const good = registry.addSignature(REPO, img, envelope({ pass: 'CN=good' }));
    registry.addSignature(REPO, img, envelope({ pass: 'CN=never' }));
    expect((await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()))).signer).toBe('CN=good');
    expect(v.seen.map((s) => s.source)).toEqual([bad.digest, good.digest]);
    expect(ops(registry, 'fetchManifest')).toEqual([bad.digest, good.digest]);
    expect(ops(registry, 'fetchBlob')).toHaveLength(2);
  });

  it('when none passes: one error listing each signature and the check it failed', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    const a = registry.addSignature(REPO, img, envelope({ fail: 'NOTATION_AUTHENTICITY' }));
    const b = registry.addSignature(REPO, img, envelope({ fail: 'NOTATION_EXPIRED' }));
    const e = await failed(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(e.code).toBe('NOTATION_AUTHENTICITY');
    expect(e.image).toBe(`${REPO}:v1`);
    expect(e.message).toContain(`no Notation signature of ${REPO}@${img.digest} passes trust policy "team" (2 tried)`);
    expect(e.message).toContain(`(1) signature ${a.digest}: NOTATION_AUTHENTICITY: check NOTATION_AUTHENTICITY failed`);
    expect(e.message).toContain(`(2) signature ${b.digest}: NOTATION_EXPIRED: check NOTATION_EXPIRED failed`);
    expect(e.hint).toBe('fix NOTATION_AUTHENTICITY; fix NOTATION_EXPIRED');
  });

  it('tries at most notation.maxSignatures and says it stopped', async () => {
    const { registry, v, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    for (let i = 0; i < 5; i++) registry.addSignature(REPO, img, envelope({ fail: 'NOTATION_INTEGRITY', pass: String(i) }));
    const e = await failed(resolver.resolve(parseReference(`${REPO}:v1`), rule({ maxSignatures: 2 })));
    expect(v.seen).toHaveLength(2);
    expect(e.message).toContain('(2 tried)');
    expect(e.message).toContain('stopped at notation.maxSignatures (2): later signatures were not tried');
  });

  it('no signature at all: UNSIGNED, with how to sign and push one', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    const e = await failed(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(e.code).toBe('UNSIGNED');
    expect(e.message).toBe(`no Notation signature in the registry for ${REPO}@${img.digest}`);
    expect(e.hint).toContain(`notation sign ${REPO}@${img.digest}`);
  });

  it('a signature manifest for another image (a re-attached signature) fails that signature', async () => {
    const { registry, v, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    const other = registry.addImage(REPO, 'v2', 'b');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }), { subjectDigest: other.digest });
    const e = await failed(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(e.code).toBe('REGISTRY_MALFORMED');
    expect(e.message).toContain(`names the subject ${other.digest}, not ${img.digest}`);
    expect(v.seen).toHaveLength(0);
  });

  it('an envelope over the size cap is refused before it is fetched', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }), { size: 64 * 1024 * 1024 });
    const e = await failed(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
    expect(ops(registry, 'fetchBlob')).toHaveLength(0);
  });

  it('a digest reference is verified as it is; a registry that answers another digest is refused', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, undefined, 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const r = await resolved(resolver.resolve(parseReference(`${REPO}:any@${img.digest}`), rule()));
    expect(r.digest).toBe(img.digest);
    expect(r.tag).toBe('any');
    expect(ops(registry, 'resolve')).toEqual([img.digest]);

    const other = registry.addImage(REPO, undefined, 'b');
    const lying = { ...registry, resolve: async () => img };
    const liar = createNotationResolver({
      registry: lying,
      verifySignature: fakeVerifier().verify,
      loadTrust: async () => ({ statementFor: () => statement(), store: { load: async () => [] } }),
      timestamp: fixedTimestamp({ genTime: new Date('2026-01-01T00:00:00Z') }),
      revocation: fixedRevocation('good'),
      cache: { ttlMs: 0, maxEntries: 1 },
    });
    const e = await failed(liar.resolve(parseReference(`${REPO}@${other.digest}`), rule()));
    expect(e.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(e.message).toContain(`answered ${img.digest} when asked for ${REPO}@${other.digest}`);
  });

  it('level skip pins to the registry digest without looking for signatures, and says so', async () => {
    const { registry, v, resolver } = setup({ level: 'skip' });
    const img = registry.addImage(REPO, 'v1', 'a');
    const r = await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(r.digest).toBe(img.digest);
    expect(r.unverified).toBe('NOT VERIFIED: trust policy "team" is level skip');
    expect(r.role).toContain('NOT VERIFIED');
    expect(ops(registry, 'referrers')).toEqual([]);
    expect(v.seen).toEqual([]);
  });

  it('a repository no statement covers fails with the policy error; the policy and store load once per rule', async () => {
    const { loads, resolver, registry } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const r = rule();
    const e = await failed(resolver.resolve(parseReference('registry.example.com:5000/other:v1'), r));
    expect(e.code).toBe('NOTATION_POLICY');
    await resolved(resolver.resolve(parseReference(`${REPO}:v1`), r));
    expect(loads).toHaveLength(1);
  });

  it('a rule without notation settings is a bug, reported as such', async () => {
    const { resolver } = setup();
    const notary = SpecSchema.parse({ trust: [{ images: ['**'], server: 'https://n.example' }] }).trust[0]!;
    expect((await failed(resolver.resolve(parseReference(`${REPO}:v1`), notary))).code).toBe('INTERNAL');
  });

  it('passes the caller\'s signal to the registry', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const signal = new AbortController().signal;
    await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule(), { signal }));
    expect(registry.calls.every((c) => c.signal !== undefined)).toBe(true);
    expect(registry.calls.find((c) => c.op === 'resolve')!.signal!.aborted).toBe(false);
  });
});

describe('Notation resolver cache', () => {
  it('one verification per subject digest, shared by concurrent callers and reused for the TTL', async () => {
    let t = Date.parse('2026-12-06T00:00:00Z');
    const { registry, v, resolver } = setup({ now: () => new Date(t), cache: { ttlMs: 10_000 } });
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const r = rule();
    await Promise.all([1, 2, 3].map(() => resolved(resolver.resolve(parseReference(`${REPO}:v1`), r))));
    // a digest whose verdict is held: answered without a single registry request (the webhook's warm path)
    const before = registry.calls.length;
    await resolved(resolver.resolve(parseReference(`${REPO}@${img.digest}`), r));
    expect(registry.calls.length).toBe(before);
    expect(v.seen).toHaveLength(1);
    expect(ops(registry, 'resolve')).toEqual(['v1']); // tag lookups shared too
    t += 10_001;
    await resolved(resolver.resolve(parseReference(`${REPO}:v1`), r));
    expect(v.seen).toHaveLength(2);
    expect(ops(registry, 'resolve')).toEqual(['v1', 'v1']);
    expect(resolver.stats()).toEqual({ cacheHits: 3, cacheMisses: 2, fetchErrors: 0 });
  });

  it('never past the verdict\'s validUntil (signature expiry, certificate notAfter)', async () => {
    let t = Date.parse('2026-12-06T00:00:00Z');
    const { registry, v, resolver } = setup({ now: () => new Date(t), cache: { ttlMs: 60_000 } });
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x', validUntil: t + 1000 }));
    const digestRef = parseReference(`${REPO}@${img.digest}`);
    await resolved(resolver.resolve(digestRef, rule()));
    t += 999;
    await resolved(resolver.resolve(digestRef, rule()));
    expect(v.seen).toHaveLength(1);
    t += 2;
    await resolved(resolver.resolve(digestRef, rule()));
    expect(v.seen).toHaveLength(2);
  });

  it('every verification gets the timestamp verifier and the revocation checker (the policy decides what they enforce)', async () => {
    const { registry, v, resolver } = setup({ level: 'permissive' });
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(v.seen.map((s) => s.checkers)).toEqual([true]);
  });

  it('failed checks the policy only logs ride along in the resolution (reports show them as warnings)', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x', logged: 'NOTATION_REVOKED' }));
    const r = await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(r.digest).toBe(img.digest);
    expect(r.logged).toEqual(['NOTATION_REVOKED: check NOTATION_REVOKED failed']);
    // and again from the verdict cache
    expect((await resolved(resolver.resolve(parseReference(`${REPO}@${img.digest}`), rule()))).logged).toEqual(['NOTATION_REVOKED: check NOTATION_REVOKED failed']);
  });

  it('a digest reference asks the registry once per TTL (the webhook admits pinned images without a request each)', async () => {
    let t = 0;
    const { registry, v, resolver } = setup({ now: () => new Date(t), cache: { ttlMs: 5000 } });
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const pinned = parseReference(`${REPO}:v1@${img.digest}`);
    for (let i = 0; i < 3; i++) await resolved(resolver.resolve(pinned, rule()));
    expect(ops(registry, 'resolve')).toEqual([img.digest]);
    expect(v.seen).toHaveLength(1);
    t += 5001;
    await resolved(resolver.resolve(pinned, rule()));
    expect(ops(registry, 'resolve')).toEqual([img.digest, img.digest]);
  });

  it('a moved tag is seen after the TTL', async () => {
    let t = 0;
    const { registry, resolver } = setup({ now: () => new Date(t), cache: { ttlMs: 5000 } });
    const a = registry.addImage(REPO, 'v1', 'a');
    const b = registry.addImage(REPO, undefined, 'b');
    registry.addSignature(REPO, a, envelope({ pass: 'CN=x' }));
    registry.addSignature(REPO, b, envelope({ pass: 'CN=x' }));
    expect((await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()))).digest).toBe(a.digest);
    registry.tag(REPO, 'v1', b);
    expect((await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()))).digest).toBe(a.digest);
    t += 5001;
    expect((await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()))).digest).toBe(b.digest);
  });

  it('LRU-bounded: past cacheMaxEntries the least recently used verdict goes', async () => {
    const { registry, v, resolver } = setup({ cache: { maxEntries: 2 } });
    const imgs = ['a', 'b', 'c'].map((s) => registry.addImage(REPO, undefined, s));
    for (const i of imgs) registry.addSignature(REPO, i, envelope({ pass: 'CN=x' }));
    for (const i of imgs) await resolved(resolver.resolve(parseReference(`${REPO}@${i.digest}`), rule()));
    expect(v.seen).toHaveLength(3);
    await resolved(resolver.resolve(parseReference(`${REPO}@${imgs[2]!.digest}`), rule()));
    expect(v.seen).toHaveLength(3);
    await resolved(resolver.resolve(parseReference(`${REPO}@${imgs[0]!.digest}`), rule()));
    expect(v.seen).toHaveLength(4);
  });

  it('failures are not remembered unless asked (the function run), and then only for the TTL', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    const ref = parseReference(`${REPO}@${img.digest}`);
    expect((await failed(resolver.resolve(ref, rule()))).code).toBe('UNSIGNED');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    await resolved(resolver.resolve(ref, rule()));

    const once = setup({ cache: { failureTtlMs: 60_000 } });
    const img2 = once.registry.addImage(REPO, 'v1', 'a');
    expect((await failed(once.resolver.resolve(parseReference(`${REPO}@${img2.digest}`), rule()))).code).toBe('UNSIGNED');
    once.registry.addSignature(REPO, img2, envelope({ pass: 'CN=x' }));
    expect((await failed(once.resolver.resolve(parseReference(`${REPO}@${img2.digest}`), rule()))).code).toBe('UNSIGNED');
    expect(ops(once.registry, 'referrers')).toHaveLength(1);
  });

  it('a caller that gives up leaves alone: the shared load goes on for the others, and stops when all gave up', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let loadSignal: AbortSignal | undefined;
    registry.before = async (c) => {
      if (c.op === 'referrers') {
        loadSignal = c.signal;
        await gate;
      }
    };
    const ref = parseReference(`${REPO}@${img.digest}`);
    const early = new AbortController();
    const p1 = resolver.resolve(ref, rule(), { signal: early.signal });
    const p2 = resolver.resolve(ref, rule(), { signal: new AbortController().signal });
    await new Promise((r) => setTimeout(r, 10));
    early.abort(new PinError({ code: 'DEADLINE', message: 'review deadline', hint: 'retry' }));
    expect((await failed(p1)).code).toBe('DEADLINE');
    expect(loadSignal!.aborted).toBe(false);
    release();
    expect((await resolved(p2)).signer).toBe('CN=x');

    // every caller gone: the load's own signal aborts
    const img2 = registry.addImage(REPO, undefined, 'b');
    registry.addSignature(REPO, img2, envelope({ pass: 'CN=x' }));
    let release2!: () => void;
    const gate2 = new Promise<void>((r) => (release2 = r));
    registry.before = async (c) => {
      if (c.op === 'referrers') {
        loadSignal = c.signal;
        await gate2;
      }
    };
    const only = new AbortController();
    const p3 = resolver.resolve(parseReference(`${REPO}@${img2.digest}`), rule(), { signal: only.signal });
    await new Promise((r) => setTimeout(r, 10));
    only.abort();
    await failed(p3);
    expect(loadSignal!.aborted).toBe(true);
    release2();
  });

  it('the referrers media type filter asks for Notation signatures only', async () => {
    const { registry, resolver } = setup();
    const img = registry.addImage(REPO, 'v1', 'a');
    registry.addSignature(REPO, img, envelope({ pass: 'CN=x' }));
    const seen: (string | undefined)[] = [];
    const original = registry.referrers.bind(registry);
    registry.referrers = async (repo, d, o) => (seen.push(o?.artifactType), original(repo, d, o));
    await resolved(resolver.resolve(parseReference(`${REPO}:v1`), rule()));
    expect(seen).toEqual([MediaTypes.notarySignature]);
  });
});
