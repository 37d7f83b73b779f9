/**
 * Conformance with envelopes made by notation itself (test/fixtures/notation, verdicts from its
 * README). Verification time: fixed at 2026-12-06T00:00:00Z (the fixtures' reference date), so
 * verdicts do not drift as certificates expire; envelopes whose leaf has expired and that carry no
 * usable timestamp are also checked at a fixed time inside the leaf's validity (marked ⏰).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryStore, tokenTimeOnly } from '../../../test/support/notation/doubles.js';
import type { Subject, TrustPolicyStatement, VerifyContext } from './contracts.js';
import { decodeCose } from './envelope/cose.js';
import { decodeJws } from './envelope/jws.js';
import { parsePayload } from './payload.js';
import { parseTrustPolicy } from './trust-policy.js';
import { openTrustStore } from './trust-store.js';
import { verifySignature } from './verify-signature.js';
import { createTimestampVerifier } from './timestamp/index.js';
import { noneVerified } from './messages.js';

const FIX = new URL('../../../test/fixtures/notation/', import.meta.url).pathname;
const NOW = new Date('2026-12-06T00:00:00Z');
const JWS = 'application/jose+json';
const COSE = 'application/cose';
const read = (p: string) => readFileSync(join(FIX, p));
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const decode = (mt: string, b: Uint8Array) => (mt === JWS ? decodeJws(b) : decodeCose(b));

function strict(trustStores: string[], extra: Partial<TrustPolicyStatement> = {}): TrustPolicyStatement {
  return { name: 'conformance', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores, trustedIdentities: ['*'], ...extra };
}

/** The subject a notation-made envelope signs, when its bytes are not in the fixtures: its own payload target. */
function payloadSubject(mt: string, envelope: Uint8Array, digestPrefix: string): Subject {
  const t = parsePayload(decode(mt, envelope).payload);
  expect(t.digest.startsWith(`sha256:${digestPrefix}`)).toBe(true);
  return t;
}

async function run(mt: string, envelope: Uint8Array, c: Omit<VerifyContext, 'now'> & { now?: Date }) {
  return verifySignature({ envelopeMediaType: mt, envelope, source: 'fixture' }, { now: NOW, ...c });
}

describe('notation-go-internal envelopes (subject bytes available)', () => {
  const manifest = read('envelopes/notation-go-internal/subject-manifest.sha256-19dbd2e4.json');
  const subject: Subject = { mediaType: JSON.parse(manifest.toString()).mediaType, digest: sha256(manifest), size: manifest.length };

  it.each([['jws_signature.sig', JWS], ['cose_signature.sig', COSE]])('%s is valid with its x5c certificate in the store', async (file, mt) => {
    const envelope = read(`envelopes/notation-go-internal/${file}`);
    expect(subject.digest.startsWith('sha256:19dbd2e4')).toBe(true);
    const leaf = decode(mt, envelope).certificates[0]!;
    const r = await run(mt, envelope, { subject, statement: strict(['ca:x']), store: memoryStore({ 'ca:x': [leaf] }) });
    if (!r.ok) throw r.error;
    expect(r.value.signer).toBe('CN=alpine, O=Notary, L=Seattle, ST=WA, C=US');
    expect(r.value.validUntil).toEqual(new Date('2123-08-29T13:50:00Z'));
  });
  it('is refused for another subject and for a store without its certificate', async () => {
    const envelope = read('envelopes/notation-go-internal/cose_signature.sig');
    const leaf = decodeCose(envelope).certificates[0]!;
    const other = await run(COSE, envelope, { subject: { ...subject, size: subject.size + 1 }, statement: strict(['ca:x']), store: memoryStore({ 'ca:x': [leaf] }) });
    expect(!other.ok && other.error.code).toBe('NOTATION_INTEGRITY');
    const store = openTrustStore(join(FIX, 'truststores/notation-go'));
    const unknown = await run(COSE, envelope, { subject, statement: strict(['ca:valid-trust-store']), store });
    expect(!unknown.ok && unknown.error.code).toBe('NOTATION_AUTHENTICITY');
  });
});

describe('notation-go mock envelopes (notation-go trust stores)', () => {
  const store = openTrustStore(join(FIX, 'truststores/notation-go'));
  const statement = strict(['ca:valid-trust-store', 'signingAuthority:valid-trust-store']);
  const env = (name: string) => read(`envelopes/mock/${name}`);
  const subj = (name: string, prefix = '60043cf4') => payloadSubject(JWS, env(name), prefix);

  it.each(['ca_valid_sig_env.json', 'sa_valid_sig_env.json'])('%s is valid', async (name) => {
    const r = await run(JWS, env(name), { subject: subj(name), statement, store });
    if (!r.ok) throw r.error;
    expect(r.value.signingScheme).toBe(name.startsWith('ca') ? 'notary.x509' : 'notary.x509.signingAuthority');
    expect(r.value.chain).toHaveLength(2);
  });
  it('sa_valid needs a signingAuthority store; ca_valid a ca store', async () => {
    const sa = await run(JWS, env('sa_valid_sig_env.json'), { subject: subj('sa_valid_sig_env.json'), statement: strict(['ca:valid-trust-store']), store });
    expect(!sa.ok && sa.error.message).toMatch(/lists no signingAuthority: trust store/);
    const ca = await run(JWS, env('ca_valid_sig_env.json'), { subject: subj('ca_valid_sig_env.json'), statement: strict(['signingAuthority:valid-trust-store']), store });
    expect(!ca.ok && ca.error.message).toMatch(/lists no ca: trust store/);
  });
  it.each(['ca_expired_sig_env.json', 'sa_expired_sig_env.json'])('%s fails expiry (2022-07-29T23:59:00Z)', async (name) => {
    const r = await run(JWS, env(name), { subject: subj(name), statement, store });
    expect(!r.ok && r.error.code).toBe('NOTATION_EXPIRED');
    expect(!r.ok && r.error.message).toMatch(/2022-07-29T23:59:00/);
  });
  it.each(['ca_invalid_sig_env.json', 'sa_invalid_sig_env.json'])('%s fails integrity', async (name) => {
    const r = await run(JWS, env(name), { subject: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e`, size: 528 }, statement, store });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/^integrity: /);
  });
  it.each(readdirSync(join(FIX, 'envelopes/mock')).filter((f) => /plugin/.test(f)))('%s needs a plugin → refused', async (name) => {
    const r = await run(JWS, env(name), { subject: { mediaType: 'x', digest: `sha256:${'0'.repeat(64)}`, size: 1 }, statement, store });
    expect(!r.ok && r.error.code).toBe('NOTATION_PLUGIN_REQUIRED');
    expect(!r.ok && r.error.message).toMatch(/plugins are not supported/);
  });
  it('sig_env_with_metadata: leaf expired 2023-01-12, no timestamp → authentic timestamp fails; ⏰ valid inside its validity', async () => {
    const name = 'sig_env_with_metadata.json';
    const leaf = decodeJws(env(name)).certificates[0]!;
    const c = { subject: subj(name, '5a07385a'), statement: strict(['ca:x']), store: memoryStore({ 'ca:x': [leaf] }) };
    const today = await run(JWS, env(name), c);
    expect(!today.ok && today.error.code).toBe('NOTATION_TIMESTAMP');
    expect(!today.ok && today.error.message).toMatch(/expired at 2023-01-12/);
    // ⏰ 2023-01-11T12:00Z: inside the leaf's one-day validity (2023-01-11T00:52:12Z → 2023-01-12).
    const then = await run(JWS, env(name), { ...c, now: new Date('2023-01-11T12:00:00Z') });
    if (!then.ok) throw then.error;
  });
});

describe('notation-go timestamp envelopes (RFC 3161 genTime read from the token; see doubles.tokenTimeOnly)', () => {
  const store = openTrustStore(join(FIX, 'truststores/notation-go'));
  const env = (name: string) => read(`envelopes/timestamp/${name}`);
  // The file names do not always say the format (timestampAfterNotAfter.sig is COSE): sniff it.
  const mt = (name: string) => (env(name)[0] === 0x7b ? JWS : COSE);
  const subj = (name: string) => payloadSubject(mt(name), env(name), 'c0669ef3');
  const withTsa = strict(['ca:valid-trust-store', 'tsa:test-timestamp']);

  it.each(['jwsWithTimestamp.sig', 'coseWithTimestamp.sig'])('%s is valid, with and without timestamp verification', async (name) => {
    const timestamp = tokenTimeOnly();
    const r = await run(mt(name), env(name), { subject: subj(name), statement: withTsa, store, timestamp });
    if (!r.ok) throw r.error;
    expect(timestamp.calls).toHaveLength(1);
    expect(timestamp.calls[0]!.hash).toBe('SHA-256');
    const plain = await run(mt(name), env(name), { subject: subj(name), statement: strict(['ca:valid-trust-store']), store });
    expect(plain.ok).toBe(true);
  });
  it.each(['jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig'])('%s is valid only through its timestamp', async (name) => {
    const leaf = decode(mt(name), env(name)).certificates[0]!;
    const s = memoryStore({ 'ca:x': [leaf], 'tsa:t': await store.load('tsa', 'test-timestamp') });
    const ok = await run(mt(name), env(name), { subject: subj(name), statement: strict(['ca:x', 'tsa:t']), store: s, timestamp: tokenTimeOnly() });
    if (!ok.ok) throw ok.error;
    expect(ok.value.validUntil).toBeUndefined();
    const noTsa = await run(mt(name), env(name), { subject: subj(name), statement: strict(['ca:x']), store: s, timestamp: tokenTimeOnly() });
    expect(!noTsa.ok && noTsa.error.code).toBe('NOTATION_TIMESTAMP');
  });
  it('timestampAfterNotAfter fails: genTime 2024 is after the leaf expired (2001)', async () => {
    const name = 'timestampAfterNotAfter.sig';
    const leaf = decode(mt(name), env(name)).certificates[0]!;
    const s = memoryStore({ 'ca:x': [leaf], 'tsa:t': await store.load('tsa', 'test-timestamp') });
    const r = await run(mt(name), env(name), { subject: subj(name), statement: strict(['ca:x', 'tsa:t']), store: s, timestamp: tokenTimeOnly() });
    expect(!r.ok && r.error.code).toBe('NOTATION_TIMESTAMP');
    expect(!r.ok && r.error.message).toMatch(/time-stamped signing time 2024-.*expired at 2001-09-18/);
  });
  it('timestampBeforeNotBefore fails: genTime is before the leaf is valid (2099)', async () => {
    const name = 'timestampBeforeNotBefore.sig';
    const r = await run(mt(name), env(name), { subject: subj(name), statement: withTsa, store, timestamp: tokenTimeOnly() });
    expect(!r.ok && r.error.code).toBe('NOTATION_TIMESTAMP');
    expect(!r.ok && r.error.message).toMatch(/not valid before 2099-09-18/);
  });
  it('withoutTimestamp: valid by default, refused when the policy requires a timestamp', async () => {
    const name = 'withoutTimestamp.sig';
    expect((await run(mt(name), env(name), { subject: subj(name), statement: strict(['ca:valid-trust-store']), store })).ok).toBe(true);
    const r = await run(mt(name), env(name), { subject: subj(name), statement: withTsa, store, timestamp: tokenTimeOnly() });
    expect(!r.ok && r.error.message).toMatch(/no timestamp countersignature was found/);
  });
});

/** The tagged manifest of an OCI layout and the signatures (envelope blobs) whose subject it is. */
function layout(name: string): { subject: Subject; signatures: Array<{ mediaType: string; envelope: Uint8Array; source: string }> } {
  const dir = join(FIX, 'oci-layouts', name);
  const blob = (d: string) => readFileSync(join(dir, 'blobs/sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const tagged = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === 'v1') ?? index.manifests[0];
  const bytes = blob(tagged.digest);
  const subject: Subject = { mediaType: JSON.parse(bytes.toString()).mediaType, digest: sha256(bytes), size: bytes.length };
  const signatures = [];
  for (const f of readdirSync(join(dir, 'blobs/sha256')).sort()) {
    let m;
    try {
      m = JSON.parse(readFileSync(join(dir, 'blobs/sha256', f), 'utf8'));
    } catch {
      continue;
    }
    if (m?.subject?.digest !== subject.digest || !Array.isArray(m.layers)) continue;
    const layer = m.layers[0];
    signatures.push({ mediaType: layer.mediaType, envelope: blob(layer.digest), source: `sha256:${f}` });
  }
  return { subject, signatures };
}

describe('signatures inside notation e2e OCI layouts (subject = the layout\'s tagged manifest)', () => {
  const keys = join(FIX, 'truststores/notation-e2e-localkeys');
  const e2eStore = (file = 'e2e.crt') => memoryStore({ 'ca:e2e': [new Uint8Array(openCert(join(keys, file)))] });
  const openCert = (p: string) => Buffer.from(readFileSync(p, 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
  const policy = parseTrustPolicy(read('trustpolicies/notation-e2e/trustpolicy.json').toString(), 'trustpolicy.json').trustPolicies[0]!;

  it('e2e-valid-signature is valid with e2e.crt, and refused with new_e2e.crt (wrong signer)', async () => {
    const { subject, signatures } = layout('e2e-valid-signature');
    expect(subject.digest.startsWith('sha256:b8479de3')).toBe(true);
    expect(signatures).toHaveLength(1);
    const s = signatures[0]!;
    const r = await run(s.mediaType, s.envelope, { subject, statement: policy, store: e2eStore() });
    if (!r.ok) throw r.error;
    expect(r.value.signer).toMatch(/^CN=e2e/);
    const wrong = await run(s.mediaType, s.envelope, { subject, statement: policy, store: e2eStore('new_e2e.crt') });
    expect(!wrong.ok && wrong.error.code).toBe('NOTATION_AUTHENTICITY');
  });
  it('e2e-expired-signature fails expiry', async () => {
    const { subject, signatures } = layout('e2e-expired-signature');
    const r = await run(signatures[0]!.mediaType, signatures[0]!.envelope, { subject, statement: policy, store: e2eStore() });
    expect(!r.ok && r.error.code).toBe('NOTATION_EXPIRED');
    expect(!r.ok && r.error.message).toMatch(/2023-06-27T05:21:21/);
  });
  it('e2e-invalid-signature (a tar layer, not an envelope) fails', async () => {
    const { subject, signatures } = layout('e2e-invalid-signature');
    const r = await run(signatures[0]!.mediaType, signatures[0]!.envelope, { subject, statement: policy, store: e2eStore() });
    expect(!r.ok && r.error.code).toBe('NOTATION_ENVELOPE');
  });
  it('e2e-with-expired-cert fails authentic timestamp; ⏰ valid at 2023-06-27T06:08:00Z, inside the leaf validity', async () => {
    const { subject, signatures } = layout('e2e-with-expired-cert');
    const s = signatures[0]!;
    const c = { subject, statement: policy, store: e2eStore('expired_e2e.crt') };
    const today = await run(s.mediaType, s.envelope, c);
    expect(!today.ok && today.error.code).toBe('NOTATION_TIMESTAMP');
    const permissive = await run(s.mediaType, s.envelope, { ...c, statement: { ...policy, signatureVerification: { level: 'permissive' } } });
    expect(permissive.ok && permissive.value.logged.map((e) => e.code)).toEqual(['NOTATION_TIMESTAMP']);
    const then = await run(s.mediaType, s.envelope, { ...c, now: new Date('2023-06-27T06:08:00Z') });
    if (!then.ok) throw then.error;
  });
  it('e2e-valid-multiple-signatures: the CN=e2e signature passes, the testcert11 one is reported', async () => {
    const { subject, signatures } = layout('e2e-valid-multiple-signatures');
    expect(signatures).toHaveLength(2);
    const results = await Promise.all(signatures.map((s) => run(s.mediaType, s.envelope, { subject, statement: policy, store: e2eStore() })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const failures = signatures.flatMap((s, i) => (results[i]!.ok ? [] : [{ source: s.source ?? '?', error: (results[i] as { error: import('../../errors/errors.js').PinError }).error }]));
    const e = noneVerified('localhost:5000/e2e', subject.digest, policy, failures, false);
    expect(e.code).toBe('NOTATION_AUTHENTICITY');
    expect(e.message).toMatch(/sha256:b8479de3.* \(1 tried\): \(1\) signature sha256:c3ebe4a2[0-9a-f]+: NOTATION_AUTHENTICITY: authenticity: .*testcert11/);
  });
  it('e2e-with-invalid-timestamped-signature (junk timestamp token, leaf expired 2025-01-22): refused today; ⏰ valid inside the leaf validity without a tsa: store, refused with one', async () => {
    const { subject, signatures } = layout('e2e-with-invalid-timestamped-signature');
    expect(subject.digest.startsWith('sha256:f1da8cd7')).toBe(true);
    expect(signatures).toHaveLength(1);
    const s = signatures[0]!;
    const leaf = decode(s.mediaType, s.envelope).certificates[0]!;
    const c = { subject, statement: policy, store: memoryStore({ 'ca:e2e': [leaf], 'tsa:e2e': [leaf] }), timestamp: createTimestampVerifier() };
    const today = await run(s.mediaType, s.envelope, c);
    expect(!today.ok && today.error.code).toBe('NOTATION_TIMESTAMP');
    expect(!today.ok && today.error.message).toMatch(/expired at 2025-01-22T08:36:26.*no verified timestamp/);
    const then = new Date('2025-01-21T09:00:00Z');
    const inValidity = await run(s.mediaType, s.envelope, { ...c, now: then });
    if (!inValidity.ok) throw inValidity.error;
    const withTsa = { ...policy, trustStores: [...policy.trustStores, 'tsa:e2e'] };
    const junk = await run(s.mediaType, s.envelope, { ...c, statement: withTsa, now: then });
    expect(!junk.ok && junk.error.code).toBe('NOTATION_TIMESTAMP');
    expect(!junk.ok && junk.error.message).toMatch(/^authenticTimestamp: timestamp countersignature: /);
  });
  it('e2e-with-timestamped-signature fails expiry (2025-01-21T12:39:46Z)', async () => {
    const { subject, signatures } = layout('e2e-with-timestamped-signature');
    const s = signatures[0]!;
    const leaf = decode(s.mediaType, s.envelope).certificates[0]!;
    const r = await run(s.mediaType, s.envelope, { subject, statement: policy, store: memoryStore({ 'ca:e2e': [leaf] }) });
    expect(!r.ok && r.error.code).toBe('NOTATION_EXPIRED');
  });
});
