import { describe, expect, it } from 'vitest';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OcspProblem, ocspGetUrl, ocspRequest, ocspVerdict } from './ocsp.js';
import { EKU_OCSP_SIGNING, makeCert, makeOcspResponse, ocspErrorResponse } from '../../../../test/support/notation-revocation/pki.js';

const SKEW = 60_000;

describe('OCSP requests', async () => {
  const ca = await makeCert({ cn: 'OCSP CA', ca: true });
  const leaf = await makeCert({ cn: 'leaf', issuer: ca, ocsp: ['http://localhost:10087'] });

  it('builds a SHA-256 CertID for the certificate and a GET URL per RFC 6960 A.1', () => {
    const req = ocspRequest(leaf.cert, ca.cert);
    const parsed = pkijs.OCSPRequest.fromBER(new Uint8Array(req.der));
    const id = parsed.tbsRequest.requestList[0]!.reqCert;
    expect(id.hashAlgorithm.algorithmId).toBe('2.16.840.1.101.3.4.2.1');
    expect(id.serialNumber.isEqual(leaf.cert.serialNumber)).toBe(true);
    const url = ocspGetUrl('http://localhost:10087', req.der);
    expect(url.startsWith('http://localhost:10087/')).toBe(true);
    expect(Buffer.from(decodeURIComponent(url.slice('http://localhost:10087/'.length)), 'base64').equals(Buffer.from(req.der))).toBe(true);
    expect(ocspGetUrl('http://h/ocsp/', req.der).startsWith('http://h/ocsp/M')).toBe(true);
  });
});

describe('ocspVerdict (generated ECDSA responders)', async () => {
  const ca = await makeCert({ cn: 'OCSP CA', ca: true });
  const leaf = await makeCert({ cn: 'leaf', issuer: ca });
  const other = await makeCert({ cn: 'other leaf', issuer: ca });
  const delegate = await makeCert({ cn: 'responder', issuer: ca, eku: [EKU_OCSP_SIGNING], ocspNoCheck: true });
  const delegateNeedsCheck = await makeCert({ cn: 'responder 2', issuer: ca, eku: [EKU_OCSP_SIGNING], crl: ['http://localhost:10086/ca.crl'] });
  const notResponder = await makeCert({ cn: 'code signer', issuer: ca });
  const strangerCa = await makeCert({ cn: 'stranger CA', ca: true });
  const strangerResponder = await makeCert({ cn: 'stranger responder', issuer: strangerCa, eku: [EKU_OCSP_SIGNING] });
  const req = ocspRequest(leaf.cert, ca.cert);
  const now = new Date();
  const verdict = (der: Uint8Array, signingTime?: Date) => ocspVerdict(der, req, ca.cert, now, signingTime, SKEW);
  const byNotResponder = await makeOcspResponse({ cert: leaf, issuer: ca, signer: notResponder, status: 'good' });
  const byStranger = await makeOcspResponse({ cert: leaf, issuer: ca, signer: strangerResponder, status: 'good' });

  it('good, signed by the issuer, with its nextUpdate', async () => {
    const next = new Date(now.getTime() + 3_600_000);
    const v = verdict(await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good', nextUpdate: next }));
    expect(v.status).toBe('good');
    expect(v.nextUpdate?.getTime()).toBe(next.getTime());
    expect(v.delegate).toBeUndefined();
  });

  it('revoked with time and reason; unknown', async () => {
    const at = new Date(now.getTime() - 7_200_000);
    const v = verdict(await makeOcspResponse({ cert: leaf, issuer: ca, status: 'revoked', revokedAt: at, reason: 1 }));
    expect(v).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(v.revokedAt?.getTime()).toBe(at.getTime());
    expect(verdict(await makeOcspResponse({ cert: leaf, issuer: ca, status: 'unknown' })).status).toBe('unknown');
  });

  it('revoked, invalidity date after the authentic signing time: good; before it or no signing time: revoked', async () => {
    const der = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'revoked', reason: 1, invalidity: new Date(now.getTime() - 3_600_000) });
    expect(verdict(der, new Date(now.getTime() - 86_400_000)).status).toBe('good');
    expect(verdict(der, new Date(now.getTime() - 60_000)).status).toBe('revoked');
    expect(verdict(der).status).toBe('revoked');
  });

  it('a delegated responder with the OCSPSigning EKU issued by the CA is accepted; without nocheck it is flagged for a CRL check', async () => {
    expect(verdict(await makeOcspResponse({ cert: leaf, issuer: ca, signer: delegate, status: 'good' }))).toMatchObject({ status: 'good', delegate: undefined });
    const v = verdict(await makeOcspResponse({ cert: leaf, issuer: ca, signer: delegateNeedsCheck, status: 'good' }));
    expect(v.status).toBe('good');
    expect(v.delegate).toBeDefined();
  });

  it('refuses a responder without the OCSPSigning EKU, or not issued by the CA', () => {
    expect(() => verdict(byNotResponder)).toThrow(/lacks the OCSPSigning extended key usage/);
    expect(() => verdict(byStranger)).toThrow(/not issued by the certificate's issuer/);
  });

  it('refuses a response about another certificate', async () => {
    const der = await makeOcspResponse({ cert: other, issuer: ca, status: 'good' });
    expect(() => verdict(der)).toThrow(/no status for this certificate/);
  });

  it('refuses an expired response and one from the future', async () => {
    const expired = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good', thisUpdate: new Date(now.getTime() - 7_200_000), nextUpdate: new Date(now.getTime() - 3_600_000) });
    expect(() => verdict(expired)).toThrow(/expired \(nextUpdate/);
    const future = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good', thisUpdate: new Date(now.getTime() + 3_600_000) });
    expect(() => verdict(future)).toThrow(/thisUpdate .* is in the future/);
  });

  it('refuses a response signed by a key that is neither the CA nor a delegate in the response', async () => {
    const der = await makeOcspResponse({ cert: leaf, issuer: ca, signer: strangerCa, status: 'good' });
    // strangerCa is included in certs but is not issued by ca.
    expect(() => verdict(der)).toThrow(OcspProblem);
  });

  it('refuses error statuses and garbage', () => {
    expect(() => verdict(ocspErrorResponse(3))).toThrow(/tryLater/);
    expect(() => verdict(ocspErrorResponse(6))).toThrow(/unauthorized/);
    expect(() => verdict(new Uint8Array([1, 2, 3]))).toThrow(/not an OCSP response/);
    expect(() => verdict(new Uint8Array(new asn1js.Sequence().toBER(false)))).toThrow(OcspProblem);
  });

  it('refuses a response whose signature was tampered with', async () => {
    const der = Buffer.from(await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good' }));
    der.writeUInt8(der.readUInt8(der.length - 5) ^ 0x01, der.length - 5);
    expect(() => verdict(der)).toThrow(OcspProblem);
  });

});
