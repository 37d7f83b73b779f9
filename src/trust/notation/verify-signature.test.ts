/**
 * The Notation signature verifier against envelopes made by the test signer: the attack matrix
 * (each attack refused with its code and check), every envelope/certificate rule, levels and
 * overrides, timestamps, revocation and validUntil. "Now" is fixed at 2026-12-06T00:00:00Z.
 */
import { describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { fixedRevocation, fixedTimestamp, memoryStore, statement } from '../../../test/support/notation/doubles.js';
import { EKU, KU, caCert, leafCert, makeChain, makeCert, testKey, type TestCert } from '../../../test/support/notation/pki.js';
import { signEnvelope, type SignOptions } from '../../../test/support/notation/signer.js';
import type { Subject, TrustPolicyStatement, VerifyContext } from './contracts.js';
import { verifySignature } from './verify-signature.js';
import { noneVerified } from './messages.js';

const NOW = new Date('2026-12-06T00:00:00Z');
const SUBJECT: Subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 1234 };
const OTHER: Subject = { ...SUBJECT, digest: `sha256:${'2'.repeat(64)}` };
const FORMATS = ['jws', 'cose'] as const;

const base = makeChain();

function ctx(over: Partial<VerifyContext> = {}, root: TestCert = base.root): VerifyContext {
  return { subject: SUBJECT, statement: statement(), store: memoryStore({ 'ca:test': [root.der], 'tsa:tsa': [root.der] }), now: NOW, ...over };
}

async function verify(opts: Partial<SignOptions> & { format: SignOptions['format'] }, c: Partial<VerifyContext> = {}) {
  const s = signEnvelope({ subject: SUBJECT, chain: base.chain, ...opts });
  return verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope, source: 'sha256:sig' }, ctx(c));
}

async function expectFail(p: ReturnType<typeof verify>, code: string, text: RegExp) {
  const r = await p;
  if (r.ok) throw new Error('expected the signature to be refused');
  expect(r.error.code).toBe(code);
  expect(r.error.message).toMatch(text);
  expect(r.error.hint).toBeTruthy();
}

describe.each(FORMATS)('verifySignature (%s): valid signatures', (format) => {
  it.each([['rsa2048'], ['rsa3072'], ['rsa4096'], ['p256'], ['p384'], ['p521']] as const)('accepts a %s leaf under root → intermediate → leaf', async (spec) => {
    const chain = makeChain(testKey(spec));
    const s = signEnvelope({ format, subject: SUBJECT, chain: chain.chain, expiry: new Date('2030-01-01T00:00:00Z') });
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, ctx({}, chain.root));
    if (!r.ok) throw r.error;
    expect(r.value.signer).toMatch(/^CN=signer, O=notary-pin test/);
    expect(r.value.signingScheme).toBe('notary.x509');
    expect(r.value.chain).toHaveLength(3);
    expect(r.value.logged).toEqual([]);
    // validUntil = earliest of expiry (2030) and the chain's notAfter (2120).
    expect(r.value.validUntil).toEqual(new Date('2030-01-01T00:00:00Z'));
  });

  it('refuses to run without a valid verification time (every time check would pass against it)', async () => {
    const s = signEnvelope({ format, subject: SUBJECT, chain: base.chain, expiry: new Date('2020-01-01T00:00:00Z') });
    for (const now of [undefined, new Date(Number.NaN)]) {
      const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, { ...ctx(), now: now as unknown as Date });
      expect(!r.ok && [r.error.code, r.error.message]).toEqual(['INTERNAL', 'signature verification was called without a valid verification time']);
    }
  });

  it('accepts a single self-signed code-signing certificate in the store', async () => {
    const self = leafCert(testKey('rsa2048'));
    const s = signEnvelope({ format, subject: SUBJECT, chain: [self] });
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, ctx({}, self));
    expect(r.ok).toBe(true);
  });

  it('accepts notary.x509.signingAuthority with a signingAuthority store', async () => {
    const s = signEnvelope({ format, subject: SUBJECT, chain: base.chain, scheme: 'notary.x509.signingAuthority', signingTime: null, authenticSigningTime: new Date('2024-01-01T00:00:00Z') });
    const store = memoryStore({ 'signingAuthority:sa': [base.root.der] });
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, ctx({ store, statement: statement({ trustStores: ['signingAuthority:sa'] }) }));
    if (!r.ok) throw r.error;
    expect(r.value.signingScheme).toBe('notary.x509.signingAuthority');
    expect(r.value.validUntil).toBeUndefined();
  });

  it('matches trustedIdentities as a subset of the leaf subject', async () => {
    const good = statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=notary-pin test'] });
    expect((await verify({ format }, { statement: good })).ok).toBe(true);
    const bad = statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=someone else'] });
    await expectFail(verify({ format }, { statement: bad }), 'NOTATION_AUTHENTICITY', /matches none of the trustedIdentities/);
  });
});

describe.each(FORMATS)('verifySignature (%s): attack matrix', (format) => {
  it('tampered payload → integrity', () => expectFail(verify({ format, tamper: 'payload' }), 'NOTATION_INTEGRITY', /^integrity: .*does not verify/));
  it('tampered protected header → integrity', () => expectFail(verify({ format, tamper: 'protected' }), 'NOTATION_INTEGRITY', /^integrity: .*does not verify/));
  it('tampered signature → integrity', () => expectFail(verify({ format, tamper: 'signature' }), 'NOTATION_INTEGRITY', /does not verify/));
  it('signature re-attached to another image → integrity', () =>
    expectFail(verify({ format, subject: OTHER }), 'NOTATION_INTEGRITY', /signs another artifact .*digest sha256:2+ ≠ sha256:1+/));
  it('other size or media type → integrity', async () => {
    await expectFail(verify({ format, subject: { ...SUBJECT, size: 1 } }), 'NOTATION_INTEGRITY', /size 1 ≠ 1234/);
    await expectFail(verify({ format, subject: { ...SUBJECT, mediaType: 'application/vnd.oci.image.index.v1+json' } }), 'NOTATION_INTEGRITY', /mediaType/);
  });
  it('unknown signer (root not in the store) → authenticity', () =>
    expectFail(verify({ format }, { store: memoryStore({ 'ca:test': [makeChain(undefined, {}, 7).root.der] }) }), 'NOTATION_AUTHENTICITY', /no certificate of the chain .* is in the ca: trust stores/));
  it('expired signature → expiry', () =>
    expectFail(verify({ format, expiry: new Date('2025-01-01T00:00:00Z') }), 'NOTATION_EXPIRED', /^expiry: the signature expired at 2025-01-01T00:00:00.000Z/));
  it('expired certificate, no timestamp → authentic timestamp', async () => {
    const leaf = leafCert(testKey('rsa2048'), base.intermediate, { notAfter: new Date('2025-06-01T00:00:00Z') });
    await expectFail(verify({ format, chain: [leaf, base.intermediate, base.root] }), 'NOTATION_TIMESTAMP', /certificate #0 \(CN=signer.*\) expired at 2025-06-01T00:00:00.000Z.*no verified timestamp/);
  });
  it('wrong EKU (serverAuth) → authenticity', async () => {
    const leaf = leafCert(testKey('rsa2048'), base.intermediate, { extKeyUsage: [EKU.serverAuth] });
    await expectFail(verify({ format, chain: [leaf, base.intermediate, base.root] }), 'NOTATION_AUTHENTICITY', /certificate #0 .*extendedKeyUsage has serverAuth/);
  });
  it('EKU without codeSigning → authenticity', async () => {
    const leaf = leafCert(testKey('rsa2048'), base.intermediate, { extKeyUsage: ['1.3.6.1.5.5.7.3.9'] });
    await expectFail(verify({ format, chain: [leaf, base.intermediate, base.root] }), 'NOTATION_AUTHENTICITY', /lacks codeSigning/);
  });
  it('SHA-1 signed certificate in the chain → authenticity', async () => {
    const inter = caCert('C=US, ST=WA, O=notary-pin test, CN=SHA1 Intermediate', testKey('p256', 100), base.root, { hash: 'sha1' });
    const leaf = leafCert(testKey('rsa2048'), inter);
    await expectFail(verify({ format, chain: [leaf, inter, base.root] }), 'NOTATION_AUTHENTICITY', /certificate #1 .*1\.2\.840\.10045\.4\.1.*SHA-1/);
  });
  it('chain not ending in a root → authenticity', () =>
    expectFail(verify({ format, chain: [base.leaf, base.intermediate] }, { store: memoryStore({ 'ca:test': [base.intermediate.der] }) }), 'NOTATION_AUTHENTICITY', /last certificate but is not a self-signed root/));
  it('chain out of order → authenticity', () =>
    expectFail(verify({ format, chain: [base.leaf, base.root, base.intermediate] }), 'NOTATION_AUTHENTICITY', /not issued by the next certificate/));
  it('unknown critical header → envelope', () =>
    expectFail(verify({ format, extended: [{ key: 'com.example.policy', value: 'x', critical: true }] }), 'NOTATION_ENVELOPE', /marks the attribute com\.example\.policy critical/));
  it('plugin-required envelope → plugin required', () =>
    expectFail(
      verify({ format, extended: [{ key: 'io.cncf.notary.verificationPlugin', value: 'com.example.plugin', critical: true }] }),
      'NOTATION_PLUGIN_REQUIRED',
      /verification plugins are not supported/,
    ));
  it('alg not matching the key (PS384 with an RSA-2048 key) → integrity', () =>
    expectFail(verify({ format, alg: 'PS384' }), 'NOTATION_INTEGRITY', /alg PS384 does not match .*PS256/));
  it('alg not matching the key (ES256 with a P-384 key) → integrity', async () => {
    const chain = makeChain(testKey('p384', 3));
    const s = signEnvelope({ format, subject: SUBJECT, chain: chain.chain, alg: 'ES256' });
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, ctx({}, chain.root));
    expect(!r.ok && r.error.code).toBe('NOTATION_INTEGRITY');
  });
  it('signed by another key than the leaf certificate\'s → integrity', () =>
    expectFail(verify({ format, signingKey: testKey('rsa2048', 9).privateKey }), 'NOTATION_INTEGRITY', /does not verify/));
  it('oversize envelope → envelope', async () => {
    const r = await verifySignature({ envelopeMediaType: `application/${format === 'jws' ? 'jose+json' : 'cose'}`, envelope: new Uint8Array(32 * 1024 * 1024 + 1) }, ctx());
    expect(!r.ok && r.error.code).toBe('NOTATION_ENVELOPE');
    expect(!r.ok && r.error.message).toMatch(/larger than/);
  });
  it('garbage envelope → envelope', async () => {
    for (const bytes of [Buffer.from('invalid signature\n'), Buffer.from([0xff, 0x00, 0x12]), Buffer.from('{}'), Buffer.from('[]')]) {
      const r = await verifySignature({ envelopeMediaType: format === 'jws' ? 'application/jose+json' : 'application/cose', envelope: bytes }, ctx());
      expect(!r.ok && r.error.code).toBe('NOTATION_ENVELOPE');
    }
  });
  it('crit not listing expiry → envelope', () =>
    expectFail(verify({ format, expiry: new Date('2100-01-01T00:00:00Z'), crit: ['io.cncf.notary.signingScheme'] }), 'NOTATION_ENVELOPE', /does not mark it critical/));
  it('crit listing an absent attribute → envelope', () =>
    expectFail(verify({ format, crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] }), 'NOTATION_ENVELOPE', /lists io\.cncf\.notary\.expiry in crit but does not carry it/));
  it('wrong content type → envelope', () => expectFail(verify({ format, cty: 'application/json' }), 'NOTATION_ENVELOPE', /content type/));
  it('unknown signing scheme → envelope', () => expectFail(verify({ format, scheme: 'notary.default.x509' }), 'NOTATION_ENVELOPE', /signing scheme/));
  it('notary.x509 without signing time → envelope', () => expectFail(verify({ format, signingTime: null }), 'NOTATION_ENVELOPE', /no io\.cncf\.notary\.signingTime/));
  it('payload that is not a Notary payload → integrity', () =>
    expectFail(verify({ format, payload: Buffer.from('{"subject":{}}') }), 'NOTATION_INTEGRITY', /no targetArtifact/));
});

describe('verifySignature: envelope-specific rules', () => {
  it('COSE without tag 18 → envelope', () => expectFail(verify({ format: 'cose', untagged: true }), 'NOTATION_ENVELOPE', /CBOR tag 18/));
  it('an envelope media type other than JWS/COSE → envelope', async () => {
    const s = signEnvelope({ format: 'jws', subject: SUBJECT, chain: base.chain });
    const r = await verifySignature({ envelopeMediaType: 'application/json', envelope: s.envelope }, ctx());
    expect(!r.ok && r.error.code).toBe('NOTATION_ENVELOPE');
  });
  it('a JWS in the general serialisation → envelope', async () => {
    const s = signEnvelope({ format: 'jws', subject: SUBJECT, chain: base.chain });
    const general = { ...JSON.parse(Buffer.from(s.envelope).toString()), signatures: [] };
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: Buffer.from(JSON.stringify(general)) }, ctx());
    expect(!r.ok && r.error.message).toMatch(/general serialisation/);
  });
});

describe('verifySignature: certificate rules', () => {
  const cases: Array<[string, () => TestCert[], RegExp]> = [
    ['leaf without keyUsage', () => [leafCert(testKey('rsa2048'), base.intermediate, { keyUsage: null }), base.intermediate, base.root], /lacks a critical keyUsage/],
    ['leaf with keyCertSign', () => [leafCert(testKey('rsa2048'), base.intermediate, { keyUsage: { bits: KU.digitalSignature | KU.keyCertSign } }), base.intermediate, base.root], /more than digitalSignature/],
    ['leaf marked CA', () => [leafCert(testKey('rsa2048'), base.intermediate, { basicConstraints: { ca: true } }), base.intermediate, base.root], /cA=true/],
    ['intermediate without basicConstraints', () => {
      const inter = makeCert({ subject: 'C=US, ST=WA, O=t, CN=No BC', key: testKey('p256', 101), issuer: base.root, keyUsage: { bits: KU.keyCertSign } });
      return [leafCert(testKey('rsa2048'), inter), inter, base.root];
    }, /certificate #1 .*basicConstraints/],
    ['intermediate without keyCertSign', () => {
      const inter = caCert('C=US, ST=WA, O=t, CN=No KCS', testKey('p256', 102), base.root, { keyUsage: { bits: KU.digitalSignature } });
      return [leafCert(testKey('rsa2048'), inter), inter, base.root];
    }, /keyCertSign/],
    ['RSA-1024 leaf', () => [leafCert(testKey('rsa1024'), base.intermediate), base.intermediate, base.root], /1024/],
    ['leaf not yet valid', () => [leafCert(testKey('rsa2048'), base.intermediate, { notBefore: new Date('2027-01-01T00:00:00Z') }), base.intermediate, base.root], /at verification time .*not valid before 2027/],
  ];
  it.each(cases)('%s → refused', async (_, chain, text) => {
    const r = await verify({ format: 'jws', chain: chain() });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(['NOTATION_AUTHENTICITY', 'NOTATION_INTEGRITY', 'NOTATION_TIMESTAMP']).toContain(r.error.code);
      expect(r.error.message).toMatch(text);
    }
  });

  it('notary.x509.signingAuthority needs a signingAuthority: store (a ca: store is not enough)', () =>
    expectFail(
      verify({ format: 'jws', scheme: 'notary.x509.signingAuthority', signingTime: null, authenticSigningTime: new Date('2024-01-01T00:00:00Z') }),
      'NOTATION_AUTHENTICITY',
      /lists no signingAuthority: trust store/,
    ));
  it('a trust store failure is never merely logged (audit level)', async () => {
    const r = await verify({ format: 'jws' }, { statement: statement({ signatureVerification: { level: 'audit' }, trustStores: ['ca:missing'] }) });
    expect(!r.ok && r.error.code).toBe('NOTATION_TRUST_STORE');
  });
});

describe('verifySignature: levels and overrides', () => {
  const expired = { format: 'jws' as const, expiry: new Date('2025-01-01T00:00:00Z') };
  const at = (level: TrustPolicyStatement['signatureVerification']) => ({ statement: statement({ signatureVerification: level }) });

  it('permissive logs an expired signature and passes', async () => {
    const r = await verify(expired, at({ level: 'permissive' }));
    if (!r.ok) throw r.error;
    expect(r.value.logged.map((e) => e.code)).toEqual(['NOTATION_EXPIRED']);
    // Expiry and certificate validity are only logged at this level, so nothing bounds the verdict.
    expect(r.value.validUntil).toBeUndefined();
  });
  it('permissive with override expiry: enforce fails', async () => {
    const r = await verify(expired, at({ level: 'permissive', override: { expiry: 'enforce' } }));
    expect(!r.ok && r.error.code).toBe('NOTATION_EXPIRED');
  });
  it('strict with override expiry: log passes', async () => {
    expect((await verify(expired, at({ level: 'strict', override: { expiry: 'log' } }))).ok).toBe(true);
  });
  it('audit logs an unknown signer but still enforces integrity', async () => {
    const store = memoryStore({ 'ca:test': [makeChain(undefined, {}, 8).root.der] });
    const r = await verify({ format: 'jws' }, { ...at({ level: 'audit' }), store });
    if (!r.ok) throw r.error;
    expect(r.value.logged.map((e) => e.code)).toEqual(['NOTATION_AUTHENTICITY']);
    const t = await verify({ format: 'jws', tamper: 'payload' }, at({ level: 'audit' }));
    expect(!t.ok && t.error.code).toBe('NOTATION_INTEGRITY');
  });
  it('level skip never reaches the verifier', async () => {
    const r = await verify({ format: 'jws' }, at({ level: 'skip' }));
    expect(!r.ok && r.error.message).toMatch(/level skip/);
  });
});

describe('verifySignature: authentic timestamp', () => {
  const expiredLeaf = leafCert(testKey('rsa2048'), base.intermediate, { notBefore: new Date('2023-01-01T00:00:00Z'), notAfter: new Date('2025-06-01T00:00:00Z') });
  const chain = [expiredLeaf, base.intermediate, base.root];
  const tsa = (verifyTimestamp?: 'always' | 'afterCertExpiry') =>
    statement({ trustStores: ['ca:test', 'tsa:tsa'], signatureVerification: { level: 'strict', verifyTimestamp } });
  const token = new Uint8Array([1, 2, 3]);

  it('an expired certificate passes when a verified timestamp falls inside its validity', async () => {
    const timestamp = fixedTimestamp({ genTime: new Date('2024-01-01T00:00:05Z'), accuracyMs: 1000 });
    const s = signEnvelope({ format: 'cose', subject: SUBJECT, chain, timestampToken: token });
    const r = await verifySignature({ envelopeMediaType: s.mediaType, envelope: s.envelope }, ctx({ statement: tsa(), timestamp }));
    if (!r.ok) throw r.error;
    expect(r.value.validUntil).toBeUndefined();
    expect(timestamp.calls).toHaveLength(1);
    expect(Buffer.from(timestamp.calls[0]!.signature)).toEqual(Buffer.from(s.signature));
    expect(timestamp.calls[0]!.hash).toBe('SHA-256');
    expect(timestamp.calls[0]!.roots.map((r) => Buffer.from(r))).toEqual([Buffer.from(base.root.der)]);
  });
  it('a timestamp outside the certificate validity fails', async () => {
    const timestamp = fixedTimestamp({ genTime: new Date('2025-06-01T00:00:00Z'), accuracyMs: 1000 });
    await expectFail(verify({ format: 'jws', chain, timestampToken: token }, { statement: tsa(), timestamp }), 'NOTATION_TIMESTAMP', /time-stamped signing time .*expired at 2025-06-01/);
  });
  it('a tsa: store without a timestamp in the envelope fails', () =>
    expectFail(verify({ format: 'jws' }, { statement: tsa(), timestamp: fixedTimestamp({ genTime: NOW }) }), 'NOTATION_TIMESTAMP', /no timestamp countersignature was found/));
  it('a token the TimestampVerifier refuses fails with its reason', () =>
    expectFail(
      verify({ format: 'jws', timestampToken: token }, { statement: tsa(), timestamp: fixedTimestamp(new PinError({ code: 'NOTATION_TIMESTAMP', message: 'token signature does not verify' })) }),
      'NOTATION_TIMESTAMP',
      /token signature does not verify/,
    ));
  it('afterCertExpiry: no timestamp needed while the chain is valid', async () => {
    const timestamp = fixedTimestamp({ genTime: NOW });
    expect((await verify({ format: 'jws' }, { statement: tsa('afterCertExpiry'), timestamp })).ok).toBe(true);
    expect(timestamp.calls).toHaveLength(0);
  });
  it('afterCertExpiry: an expired chain needs the timestamp', async () => {
    await expectFail(verify({ format: 'jws', chain }, { statement: tsa('afterCertExpiry'), timestamp: fixedTimestamp({ genTime: NOW }) }), 'NOTATION_TIMESTAMP', /no timestamp countersignature/);
  });
  it('a timestamp is not used without a tsa: store (the chain must be valid now)', () =>
    expectFail(verify({ format: 'jws', chain, timestampToken: token }, { timestamp: fixedTimestamp({ genTime: new Date('2024-01-01T00:00:00Z') }) }), 'NOTATION_TIMESTAMP', /at verification time/));
  it('signingAuthority: the authentic signing time must be inside the chain validity', async () => {
    await expectFail(
      verify({ format: 'jws', chain, scheme: 'notary.x509.signingAuthority', signingTime: null, authenticSigningTime: new Date('2022-01-01T00:00:00Z') }, { store: memoryStore({ 'signingAuthority:sa': [base.root.der] }), statement: statement({ trustStores: ['signingAuthority:sa'], signatureVerification: { level: 'strict', override: { authenticity: 'log' } } }) }),
      'NOTATION_TIMESTAMP',
      /authentic signing time 2022-01-01.*not valid before 2023-01-01/,
    );
  });
});

describe('verifySignature: revocation', () => {
  it('a revoked signing certificate fails under strict', async () => {
    const revocation = fixedRevocation('revoked');
    await expectFail(verify({ format: 'jws' }, { revocation }), 'NOTATION_REVOKED', /^revocation: signing certificate #0 .*revoked since 2024-06-01/);
    expect(revocation.calls[0]!.purpose).toBe('codeSigning');
    expect(revocation.calls[0]!.chain).toHaveLength(3);
  });
  it('unknown status fails under strict and is logged under permissive', async () => {
    await expectFail(verify({ format: 'jws' }, { revocation: fixedRevocation('unknown') }), 'NOTATION_REVOCATION_UNKNOWN', /could not be determined/);
    const r = await verify({ format: 'jws' }, { revocation: fixedRevocation('unknown'), statement: statement({ signatureVerification: { level: 'permissive' } }) });
    expect(r.ok && r.value.logged.map((e) => e.code)).toEqual(['NOTATION_REVOCATION_UNKNOWN']);
  });
  it('revocation: skip does not call the checker', async () => {
    const revocation = fixedRevocation('revoked');
    const r = await verify({ format: 'jws' }, { revocation, statement: statement({ signatureVerification: { level: 'strict', override: { revocation: 'skip' } } }) });
    expect(r.ok).toBe(true);
    expect(revocation.calls).toHaveLength(0);
  });
  it('a revocation check cut short by the deadline is DEADLINE, not a logged failure', async () => {
    const ac = new AbortController();
    const revocation = {
      async check(): Promise<never> {
        ac.abort();
        throw new Error('aborted');
      },
    };
    const r = await verify({ format: 'jws' }, { revocation, signal: ac.signal, statement: statement({ signatureVerification: { level: 'permissive' } }) });
    expect(!r.ok && r.error.code).toBe('DEADLINE');
  });
  it('good status passes', async () => expect((await verify({ format: 'cose' }, { revocation: fixedRevocation('good') })).ok).toBe(true));
  it('the verdict holds no longer than the revocation data it relied on (its nextUpdate)', async () => {
    const nextUpdate = new Date('2026-12-07T00:00:00Z');
    const r = await verify({ format: 'jws', expiry: new Date('2030-01-01T00:00:00Z') }, { revocation: fixedRevocation('good', nextUpdate) });
    expect(r.ok && r.value.validUntil).toEqual(nextUpdate);
    // Data that outlives the signature's expiry does not extend it.
    const later = await verify({ format: 'jws', expiry: new Date('2030-01-01T00:00:00Z') }, { revocation: fixedRevocation('good', new Date('2031-01-01T00:00:00Z')) });
    expect(later.ok && later.value.validUntil).toEqual(new Date('2030-01-01T00:00:00Z'));
  });
});

describe('noneVerified (the one message for a subject none of whose signatures passed)', () => {
  const statement = { name: 'test', registryScopes: ['*'], signatureVerification: { level: 'strict' as const }, trustStores: ['ca:x'], trustedIdentities: ['*'] };
  it('names each signature and its failed check, at most ten, with the first failure\'s code', async () => {
    const a = await verify({ format: 'jws', tamper: 'payload' });
    const b = await verify({ format: 'jws', expiry: new Date('2025-01-01T00:00:00Z') });
    if (a.ok || b.ok) throw new Error('expected failures');
    const e = noneVerified('r.example/app', SUBJECT.digest, statement, [
      { source: 'sha256:aaa', error: a.error },
      { source: 'sha256:bbb', error: b.error },
    ], false);
    expect(e.code).toBe('NOTATION_INTEGRITY');
    expect(e.message).toMatch(/passes trust policy "test" \(2 tried\): \(1\) signature sha256:aaa: NOTATION_INTEGRITY: integrity: .*; \(2\) signature sha256:bbb: NOTATION_EXPIRED: expiry: /);
    const many = noneVerified('r.example/app', SUBJECT.digest, statement, Array.from({ length: 25 }, (_, i) => ({ source: `s${i}`, error: b.error })), true);
    expect(many.message).toMatch(/\(10\) signature s9: .*; and 15 more; stopped at notation.maxSignatures/);
    expect(many.message).not.toMatch(/signature s10:/);
  });
});
