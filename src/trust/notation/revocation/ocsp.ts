/**
 * OCSP (RFC 6960) for the Notary Project revocation check: a SHA-256 CertID request sent by GET (RFC 6960
 * A.1), and the response verified as trust-store-trust-policy §Revocation Checking with OCSP orders it:
 * signed by the issuer or its delegated OCSPSigning responder, current, for exactly the certificate asked.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, bytesEqual, certDer, digest, extKeyUsages, extension, issuedBy, publicKey, toBytes, validAt, verifySignature } from '../timestamp/pkix.js';
import { REASONS } from './crl.js';

const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_INVALIDITY_DATE = '2.5.29.24';
const RESPONSE_STATUS: Record<number, string> = {
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

export class OcspProblem extends Error {}

export interface OcspRequest {
  readonly der: Uint8Array;
  readonly certId: pkijs.CertID;
  /** Hex of the CertID's DER: the cache key of this certificate's status. */
  readonly key: string;
}

/** RFC 6960 §4.1.1 CertID with SHA-256 over the issuer's name and public key. */
export function ocspRequest(cert: pkijs.Certificate, issuer: pkijs.Certificate): OcspRequest {
  const nameDer = toBytes(cert.issuer.toSchema().toBER(false));
  const keyBits = toBytes(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: digest('SHA-256', nameDer) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: digest('SHA-256', keyBits) }),
    serialNumber: cert.serialNumber,
  });
  const req = new pkijs.OCSPRequest();
  req.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  const der = toBytes(req.toSchema(true).toBER(false));
  return { der, certId, key: Buffer.from(certId.toSchema().toBER(false)).toString('hex') };
}

/** RFC 6960 Appendix A.1: `{url}/{url-encoding of base64 of the DER request}`. */
export function ocspGetUrl(base: string, der: Uint8Array): string {
  const sep = base.endsWith('/') ? '' : '/';
  return `${base}${sep}${encodeURIComponent(Buffer.from(der).toString('base64'))}`;
}

export interface OcspVerdict {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly detail: string;
  /** A delegated responder without id-pkix-ocsp-nocheck: its own revocation must be checked (by CRL). */
  readonly delegate?: pkijs.Certificate;
}

function sameCertId(a: pkijs.CertID, b: pkijs.CertID): boolean {
  return (
    a.hashAlgorithm.algorithmId === b.hashAlgorithm.algorithmId &&
    bytesEqual(toBytes(a.issuerNameHash.valueBlock.valueHexView), toBytes(b.issuerNameHash.valueBlock.valueHexView)) &&
    bytesEqual(toBytes(a.issuerKeyHash.valueBlock.valueHexView), toBytes(b.issuerKeyHash.valueBlock.valueHexView)) &&
    a.serialNumber.isEqual(b.serialNumber)
  );
}

function decodeBasic(der: Uint8Array): pkijs.BasicOCSPResponse {
  let resp: pkijs.OCSPResponse;
  try {
    const asn = asn1js.fromBER(toBytes(der));
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('not a single DER value');
    resp = new pkijs.OCSPResponse({ schema: asn.result });
  } catch (e) {
    throw new OcspProblem(`not an OCSP response: ${(e as Error).message}`);
  }
  const st = resp.responseStatus.valueBlock.valueDec;
  if (st !== 0) throw new OcspProblem(`the responder answered ${RESPONSE_STATUS[st] ?? `status ${st}`}`);
  if (resp.responseBytes?.responseType !== OID_OCSP_BASIC) throw new OcspProblem('the response is not a basic OCSP response');
  try {
    return pkijs.BasicOCSPResponse.fromBER(toBytes(resp.responseBytes.response.valueBlock.valueHexView));
  } catch (e) {
    throw new OcspProblem(`the basic OCSP response does not parse: ${(e as Error).message}`);
  }
}

/** RFC 6960 §4.2.2.2: the issuer itself, or a certificate it issued with the OCSPSigning EKU. */
function responderFor(basic: pkijs.BasicOCSPResponse, issuer: pkijs.Certificate): { signer: pkijs.Certificate; delegated: boolean } {
  const tbs = basic.tbsResponseData.tbsView;
  const sig = toBytes(basic.signature.valueBlock.valueHexView);
  const verifies = (c: pkijs.Certificate) => {
    try {
      return verifySignature(basic.signatureAlgorithm, tbs, publicKey(c), sig);
    } catch {
      return false;
    }
  };
  if (verifies(issuer)) return { signer: issuer, delegated: false };
  const issuerDer = certDer(issuer);
  for (const c of (basic.certs ?? []).slice(0, 8)) {
    if (bytesEqual(certDer(c), issuerDer) || !verifies(c)) continue;
    if (!issuedBy(c, issuer)) throw new OcspProblem('the OCSP responder certificate is not issued by the certificate\'s issuer');
    if (!(extKeyUsages(c) ?? []).includes(OID.ekuOcspSigning)) throw new OcspProblem('the OCSP responder certificate lacks the OCSPSigning extended key usage');
    return { signer: c, delegated: true };
  }
  throw new OcspProblem('the OCSP response is not signed by the issuer or a delegated responder it certified');
}

function revokedInfo(status: asn1js.Constructed): { revokedAt: Date; reason?: string } {
  const [time, reasonTagged] = status.valueBlock.value;
  if (!(time instanceof asn1js.GeneralizedTime)) throw new OcspProblem('revokedInfo has no revocationTime');
  let reason: string | undefined;
  const inner = reasonTagged instanceof asn1js.Constructed ? reasonTagged.valueBlock.value[0] : undefined;
  if (inner instanceof asn1js.Enumerated) reason = REASONS[inner.valueBlock.valueDec] ?? `reason ${inner.valueBlock.valueDec}`;
  return { revokedAt: time.toDate(), reason };
}

function invalidityDate(single: pkijs.SingleResponse): Date | undefined {
  const e = single.singleExtensions?.find((x) => x.extnID === OID_INVALIDITY_DATE);
  if (!e) return undefined;
  const v = asn1js.fromBER(toBytes(e.extnValue.valueBlock.valueHexView)).result;
  return v instanceof asn1js.GeneralizedTime ? v.toDate() : undefined;
}

/** A signature-checked OCSP answer for one certificate, before the time-dependent checks. */
export interface ParsedOcsp {
  readonly single: pkijs.SingleResponse;
  readonly signer: pkijs.Certificate;
  readonly delegated: boolean;
}

/** Parses an OCSP response: time-independent checks (trust-store-trust-policy §Revocation Checking with OCSP). */
export function parseOcsp(der: Uint8Array, req: OcspRequest, issuer: pkijs.Certificate): ParsedOcsp {
  const basic = decodeBasic(der);
  const { signer, delegated } = responderFor(basic, issuer);
  const single = basic.tbsResponseData.responses.find((r) => sameCertId(r.certID, req.certId));
  if (!single) throw new OcspProblem('the OCSP response has no status for this certificate');
  return { single, signer, delegated };
}

/** The time-dependent checks (step 2, the responder's validity) and the status with the invalidity-date rule. */
export function decideOcsp(p: ParsedOcsp, now: Date, signingTime: Date | undefined, skewMs: number): OcspVerdict {
  const { single, signer } = p;
  const t = now.getTime();
  if (p.delegated && !validAt(signer, now)) throw new OcspProblem('the OCSP responder certificate is not valid now');
  if (single.thisUpdate.getTime() > t + skewMs) throw new OcspProblem(`the OCSP response thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  if (single.nextUpdate && single.nextUpdate.getTime() + skewMs < t) throw new OcspProblem(`the OCSP response expired (nextUpdate ${single.nextUpdate.toISOString()})`);
  const base = { thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
  const delegate = p.delegated && !extension(signer, OID.ocspNoCheck) ? signer : undefined;
  const cs = single.certStatus as asn1js.BaseBlock;
  const tag = cs.idBlock.tagClass === 3 ? cs.idBlock.tagNumber : -1;
  if (tag === 0) return { ...base, delegate, status: 'good', detail: 'OCSP status good' };
  if (tag === 2) return { ...base, delegate, status: 'unknown', detail: 'the OCSP responder does not know the certificate' };
  if (tag !== 1 || !(cs instanceof asn1js.Constructed)) throw new OcspProblem('the OCSP certStatus does not parse');
  const { revokedAt, reason } = revokedInfo(cs);
  const inv = invalidityDate(single);
  // Invalidity date after the authentic signing time: the signature was made before the key became invalid.
  if (signingTime && inv && signingTime.getTime() < inv.getTime()) {
    return { ...base, delegate, status: 'good', detail: `revoked, but its invalidity date ${inv.toISOString()} is after the authentic signing time ${signingTime.toISOString()}` };
  }
  return { ...base, delegate, status: 'revoked', revokedAt, reason, detail: `OCSP: revoked on ${revokedAt.toISOString()}${reason ? ` (${reason})` : ''}` };
}

/** Verifies an OCSP response for `req` (trust-store-trust-policy §Revocation Checking with OCSP, steps 1–4). */
export function ocspVerdict(der: Uint8Array, req: OcspRequest, issuer: pkijs.Certificate, now: Date, signingTime: Date | undefined, skewMs: number): OcspVerdict {
  return decideOcsp(parseOcsp(der, req, issuer), now, signingTime, skewMs);
}
