import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainProblem, createTimestampVerifier, verifyTimestampToken } from './verifier.js';
import { envelopeTimestamp, fixture, readCerts } from '../../../../test/support/notation-revocation/fixtures.js';
import { createOpensslTsa } from '../../../../test/support/notation-revocation/openssl-tsa.js';
import { findTool } from '../../../../test/support/tools.js';
import { makeCert } from '../../../../test/support/notation-revocation/pki.js';

const NOW = new Date('2026-12-06T00:00:00Z');
const TSP = 'timestamp/tspclient-go/';
const GLOBALSIGN_R3 = readCerts(`${TSP}GlobalSignRootCA.crt`);
const GLOBALSIGN_R6 = readCerts('truststores/notation-go/x509/tsa/test-timestamp/globalsignRoot.cer');
const DIGICERT = readCerts('truststores/notation-go/x509/tsa/test-mismatch/DigiCertTSARootSHA384.cer');

describe('verifyTimestampToken: tspclient-go tokens', () => {
  it('accepts the valid GlobalSign token: genTime, accuracy and the chain up to the trusted root', () => {
    const r = verifyTimestampToken(fixture(`${TSP}TimeStampToken.p7s`), GLOBALSIGN_R3, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.genTime.toISOString()).toBe('2021-09-17T14:09:10.000Z');
    expect(r.value.accuracyMs).toBe(1000);
    expect(r.value.tsaChain.length).toBeGreaterThanOrEqual(2);
    expect(Buffer.from(r.value.tsaChain.at(-1)!).equals(Buffer.from(GLOBALSIGN_R3[0]!))).toBe(true);
  });

  it('fails when the TSA trust store holds another root', () => {
    const r = verifyTimestampToken(fixture(`${TSP}TimeStampToken.p7s`), DIGICERT, NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('NOTATION_TIMESTAMP');
    expect(r.error.message).toMatch(/TSA chain: .*does not lead to a certificate of the TSA trust store/);
    expect(r.error.hint).toMatch(/tsa:/);
  });

  it('fails with an empty TSA store', () => {
    const r = verifyTimestampToken(fixture(`${TSP}TimeStampToken.p7s`), [], NOW);
    expect(!r.ok && r.error.message).toMatch(/trust store is empty/);
  });

  const invalid: [string, RegExp][] = [
    ['SHA1TimeStampToken.p7s', /message digest/],
    ['TimeStampTokenNoRoot.p7s', /TSA chain/],
    ['TimeStampTokenWithInvalidSignature.p7s', /signature: the token signature does not verify/],
    ['TimeStampTokenWithInvalidSigningCertificateV1.p7s', /signing-certificate \(v1, SHA-1\)/],
    ['TimeStampTokenWithInvalidSigningCertificateV2.p7s', /signing-certificate-v2/],
    ['TimeStampTokenWithInvalidTSTInfo.p7s', /TSTInfo: TSTInfo does not parse/],
    ['TimeStampTokenWithInvalideContentType.p7s', /content type: eContentType 1\.2\.840\.113549\.1\.7\.1 is not id-ct-TSTInfo/],
    ['TimeStampTokenWithMismatchCertHash.p7s', /certificate hash does not match/],
    ['TimeStampTokenWithSHA1CertHash.p7s', /hash algorithm 1\.3\.14\.3\.2\.26 is not allowed/],
    ['TimeStampTokenWithSigningCertificateV1.p7s', /signing-certificate \(v1, SHA-1\), which is not accepted/],
    ['TimeStampTokenWithSigningCertificateV1NoCert.p7s', /signing-certificate \(v1/],
    ['TimeStampTokenWithSigningCertificateV2NoCert.p7s', /lists no certificate/],
    ['TimeStampTokenWithTSTInfoVersion2.p7s', /TSTInfo version 2 is not 1/],
    ['TimeStampTokenWithValidAndInvalidSignerInfos.p7s', /2 SignerInfos \(exactly one required\)/],
    ['TimeStampTokenWithWrongSigningCertificateV2IssuerChoiceTag.p7s', /issuerSerial does not name/],
    ['TimeStampTokenWithoutCertificate.p7s', /signing certificate is not in the token/],
    ['TimeStampTokenWithoutSigningCertificate.p7s', /no signing-certificate-v2 attribute/],
    // issuerSerial is optional (its absence passes the binding step, as in tspclient-go); this edited token then fails its signature.
    ['TimeStampTokenWithoutSigningCertificateV2IssuerSerial.p7s', /signature: the token signature does not verify/],
  ];
  it.each(invalid)('rejects %s', (file, reason) => {
    const r = verifyTimestampToken(fixture(TSP + file), GLOBALSIGN_R3, NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('NOTATION_TIMESTAMP');
    expect(r.error.message).toMatch(reason);
    expect(r.error.hint).toBeTruthy();
  });

  it('rejects bytes that are not a token', () => {
    const r = verifyTimestampToken(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), GLOBALSIGN_R3, NOW);
    expect(!r.ok && r.error.message).toMatch(/decode/);
  });

  it('rejects a genTime in the future of the verification time', () => {
    const r = verifyTimestampToken(fixture(`${TSP}TimeStampToken.p7s`), GLOBALSIGN_R3, new Date('2021-09-17T13:00:00Z'));
    expect(!r.ok && r.error.message).toMatch(/genTime .* is in the future/);
  });
});

describe('createTimestampVerifier: timestamps inside notation-go envelopes', () => {
  const v = createTimestampVerifier();
  const ENV = 'envelopes/timestamp/';
  const cases: [string, string][] = [
    ['jwsWithTimestamp.sig', '2024-06-18T06:29:37'],
    ['coseWithTimestamp.sig', '2024-06-18T06:27:16'],
    ['jwsExpiredWithTimestamp.sig', '2024-06-18T07:21:42'],
    ['coseExpiredWithTimestamp.sig', '2024-06-18T07:21:12'],
    ['timestampAfterNotAfter.sig', '2024-06-19T09:35:58'],
    ['timestampBeforeNotBefore.sig', '2024-06-19T09:30:14'],
  ];
  it.each(cases)('%s: the token verifies against the GlobalSign R6 store (genTime %s)', async (file, time) => {
    const { signature, token } = envelopeTimestamp(fixture(ENV + file));
    expect(token).toBeDefined();
    const r = await v.verify(token!, signature, 'SHA-256', GLOBALSIGN_R6, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.genTime.toISOString().startsWith(time)).toBe(true);
    expect(r.value.accuracyMs).toBeGreaterThanOrEqual(0);
  });

  it.each(cases)('%s: fails against the mismatched (DigiCert) TSA store', async (file) => {
    const { signature, token } = envelopeTimestamp(fixture(ENV + file));
    const r = await v.verify(token!, signature, 'SHA-256', DIGICERT, NOW);
    expect(!r.ok && r.error.message).toMatch(/TSA chain/);
  });

  it('fails when the imprint does not match the signature (the timestamp of another signature)', async () => {
    const a = envelopeTimestamp(fixture(`${ENV}jwsWithTimestamp.sig`));
    const b = envelopeTimestamp(fixture(`${ENV}coseWithTimestamp.sig`));
    const r = await v.verify(a.token!, b.signature, 'SHA-256', GLOBALSIGN_R6, NOW);
    expect(!r.ok && r.error.message).toMatch(/message imprint: the imprint is not the hash of this signature/);
  });

  it('fails when the caller expects another hash algorithm than the imprint uses', async () => {
    const a = envelopeTimestamp(fixture(`${ENV}jwsWithTimestamp.sig`));
    const r = await v.verify(a.token!, a.signature, 'SHA-384', GLOBALSIGN_R6, NOW);
    expect(!r.ok && r.error.message).toMatch(/imprint hash algorithm .* is not SHA-384/);
  });

  it('envelope without a timestamp has none; the countersignature files reject as tspclient-go ones', async () => {
    expect(envelopeTimestamp(fixture(`${ENV}withoutTimestamp.sig`)).token).toBeUndefined();
    const { signature } = envelopeTimestamp(fixture(`${ENV}withoutTimestamp.sig`));
    const bad: [string, RegExp][] = [
      ['TimeStampTokenWithInvalidTSTInfo.p7s', /TSTInfo/],
      ['TimeStampTokenWithInvalideContentType.p7s', /content type/],
      ['TimeStampTokenWithoutCertificate.p7s', /signing certificate is not in the token/],
    ];
    for (const [f, re] of bad) {
      const r = await v.verify(fixture(`${ENV}countersignature/${f}`), signature, 'SHA-256', GLOBALSIGN_R6, NOW);
      expect(!r.ok && r.error.message).toMatch(re);
    }
  });
});

describe.skipIf(!findTool('openssl'))('tokens from a real `openssl ts` TSA (ECDSA P-256)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-tsa-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tsa = createOpensslTsa(dir, 1);
  const v = createTimestampVerifier();
  const sig = new Uint8Array(Buffer.from('the raw signature bytes of some envelope'));

  it.each(['sha256', 'sha384', 'sha512'] as const)('verifies an ECDSA token over the %s imprint; accuracy 1.5 s', async (h) => {
    const token = tsa.stamp(sig, h);
    const name = `SHA-${h.slice(3)}` as 'SHA-256' | 'SHA-384' | 'SHA-512';
    const r = await v.verify(token, sig, name, [tsa.root], new Date());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Math.abs(r.value.genTime.getTime() - Date.now())).toBeLessThan(120_000);
    expect(r.value.accuracyMs).toBe(1500);
    expect(r.value.tsaChain).toHaveLength(2);
  });

  it('a TSA certificate that expired since still vouches for its genTime', async () => {
    const token = tsa.stamp(sig, 'sha256');
    const r = await v.verify(token, sig, 'SHA-256', [tsa.root], new Date(Date.now() + 10 * 365 * 86_400_000));
    expect(r.ok).toBe(true);
  });

  it('fails for other bytes and for an untrusted root', async () => {
    const token = tsa.stamp(sig, 'sha256');
    const other = await v.verify(token, new Uint8Array([1, 2, 3]), 'SHA-256', [tsa.root], new Date());
    expect(!other.ok && other.error.message).toMatch(/message imprint/);
    const untrusted = await v.verify(token, sig, 'SHA-256', GLOBALSIGN_R6, new Date());
    expect(!untrusted.ok && untrusted.error.message).toMatch(/TSA chain/);
  });
});

describe('chainProblem: TSA certificate requirements (generated ECDSA certificates)', async () => {
  const TS = '1.3.6.1.5.5.7.3.8';
  const now = new Date();
  const root = await makeCert({ cn: 'tsa root', ca: true });
  const inter = await makeCert({ cn: 'tsa inter', ca: true, issuer: root });
  const leafNotCa = await makeCert({ cn: 'not a CA', issuer: root, eku: [TS], ekuCritical: true });
  const tsa = await makeCert({ cn: 'tsa', issuer: inter, eku: [TS], ekuCritical: true });
  const nonCritical = await makeCert({ cn: 'tsa nc', issuer: root, eku: [TS] });
  const extra = await makeCert({ cn: 'tsa extra', issuer: root, eku: [TS, '1.3.6.1.5.5.7.3.3'], ekuCritical: true });
  const codeSigning = await makeCert({ cn: 'code', issuer: root, ekuCritical: true });
  const badIntermediate = await makeCert({ cn: 'tsa under leaf', issuer: leafNotCa, eku: [TS], ekuCritical: true });
  const c = (x: { cert: import('pkijs').Certificate }) => x.cert;

  it('accepts a critical timeStamping-only leaf under CA certificates valid at genTime', () => {
    expect(chainProblem([c(tsa), c(inter), c(root)], now)).toBeUndefined();
  });
  it.each([
    ['a non-critical EKU', () => [c(nonCritical), c(root)], /critical extendedKeyUsage with timeStamping only/],
    ['an extra EKU', () => [c(extra), c(root)], /timeStamping only/],
    ['a code-signing EKU', () => [c(codeSigning), c(root)], /timeStamping only/],
    ['an intermediate that is not a CA', () => [c(badIntermediate), c(leafNotCa), c(root)], /not a CA certificate that may sign certificates/],
  ])('refuses %s', (_name, chain, re) => {
    expect(chainProblem(chain(), now)).toMatch(re);
  });
  it('refuses a chain not valid at genTime', () => {
    expect(chainProblem([c(tsa), c(inter), c(root)], new Date(now.getTime() + 2 * 365 * 86_400_000))).toMatch(/is not valid at the timestamp time/);
  });
});
