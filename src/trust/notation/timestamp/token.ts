/**
 * Parses an RFC 3161 TimeStampToken (CMS SignedData over TSTInfo) with pkijs and checks its CMS layer:
 * one SignerInfo, the signer certificate in the token, the contentType and messageDigest attributes,
 * the ESS signing-certificate-v2 binding (RFC 5035, RFC 5816) and the signature over the attributes.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesEqual, digest, hashName, parseCertificate, publicKey, toBytes, verifySignature } from './pkix.js';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_CERT_V1 = '1.2.840.113549.1.9.16.2.12';
const OID_SIGNING_CERT_V2 = '1.2.840.113549.1.9.16.2.47';
/** Upper bound on certificates carried in a token (a TSA chain is a handful). */
const MAX_TOKEN_CERTS = 16;

/** A check that failed: `check` names it for the message, `hint` says what to fix. */
export class TokenProblem extends Error {
  constructor(
    readonly check: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface ParsedToken {
  readonly tstInfo: pkijs.TSTInfo;
  /** The TSA signing certificate (bound by signing-certificate-v2, signature verified). */
  readonly signer: pkijs.Certificate;
  /** Every certificate the token carries, signer included. */
  readonly certificates: pkijs.Certificate[];
}

const FIX_TOKEN = 'the timestamp countersignature is malformed or not from an RFC 3161 TSA; re-sign with a TSA that follows RFC 3161 and RFC 5816';

function problem(check: string, message: string, hint = FIX_TOKEN): TokenProblem {
  return new TokenProblem(check, message, hint);
}

/** Decodes the token and returns SignedData; every structural failure is a TokenProblem. */
function decodeSignedData(token: Uint8Array): pkijs.SignedData {
  const asn = asn1js.fromBER(toBytes(token));
  if (asn.offset === -1 || asn.offset !== token.length) throw problem('decode', 'the token is not a single BER/DER value');
  try {
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID_SIGNED_DATA) throw problem('decode', `content type ${ci.contentType} is not CMS SignedData`);
    return new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    if (e instanceof TokenProblem) throw e;
    throw problem('decode', `the token is not CMS SignedData: ${(e as Error).message}`);
  }
}

function decodeTstInfo(sd: pkijs.SignedData): { tst: pkijs.TSTInfo; eContent: Uint8Array } {
  const eci = sd.encapContentInfo;
  if (eci.eContentType !== OID_TST_INFO) throw problem('content type', `eContentType ${eci.eContentType} is not id-ct-TSTInfo`);
  if (!eci.eContent) throw problem('TSTInfo', 'the token has no encapsulated TSTInfo');
  const eContent = toBytes(eci.eContent.getValue());
  try {
    const tst = pkijs.TSTInfo.fromBER(eContent);
    if (tst.version !== 1) throw problem('TSTInfo', `TSTInfo version ${tst.version} is not 1`);
    return { tst, eContent };
  } catch (e) {
    if (e instanceof TokenProblem) throw e;
    throw problem('TSTInfo', `TSTInfo does not parse: ${(e as Error).message}`);
  }
}

function findSigner(si: pkijs.SignerInfo, certs: pkijs.Certificate[]): pkijs.Certificate {
  const sid: unknown = si.sid;
  let hit: pkijs.Certificate | undefined;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    hit = certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  } else if (sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive) {
    const ski = toBytes((sid as asn1js.Primitive).valueBlock.valueHexView);
    hit = certs.find((c) => {
      const e = c.extensions?.find((x) => x.extnID === '2.5.29.14');
      const v = e?.parsedValue as asn1js.OctetString | undefined;
      return v !== undefined && bytesEqual(toBytes(v.valueBlock.valueHexView), ski);
    });
  }
  if (!hit) {
    throw problem('signing certificate', 'the TSA signing certificate is not in the token', 'ask the TSA to include its certificate (certReq=true in the request)');
  }
  return hit;
}

function attribute(si: pkijs.SignerInfo, oid: string): pkijs.Attribute | undefined {
  return si.signedAttrs?.attributes.find((a) => a.type === oid);
}

/** RFC 5035 ESSCertIDv2 of the first entry (the signer's) must hash and name the signer certificate. */
function checkSigningCertificateV2(si: pkijs.SignerInfo, signer: pkijs.Certificate): void {
  const attr = attribute(si, OID_SIGNING_CERT_V2);
  if (!attr) {
    const v1 = attribute(si, OID_SIGNING_CERT_V1) !== undefined;
    throw problem(
      'signing-certificate-v2',
      v1 ? 'the token binds its certificate with signing-certificate (v1, SHA-1), which is not accepted' : 'the token has no signing-certificate-v2 attribute',
      'use a TSA that adds the signing-certificate-v2 attribute (RFC 5816)',
    );
  }
  const certs = (attr.values[0] as asn1js.Sequence | undefined)?.valueBlock.value[0];
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw problem('signing-certificate-v2', 'signing-certificate-v2 lists no certificate');
  const parts = [...first.valueBlock.value];
  let hashAlg = '2.16.840.1.101.3.4.2.1'; // ESSCertIDv2 hashAlgorithm DEFAULT id-sha256
  if (parts[0] instanceof asn1js.Sequence) hashAlg = new pkijs.AlgorithmIdentifier({ schema: parts.shift() }).algorithmId;
  const certHash = parts.shift();
  const hash = hashName(hashAlg);
  if (!hash) throw problem('signing-certificate-v2', `certificate hash algorithm ${hashAlg} is not allowed (SHA-256/384/512 only)`);
  if (!(certHash instanceof asn1js.OctetString)) throw problem('signing-certificate-v2', 'ESSCertIDv2 has no certHash');
  const der = toBytes(signer.toSchema().toBER(false));
  if (!bytesEqual(digest(hash, der), toBytes(certHash.valueBlock.valueHexView))) {
    throw problem('signing-certificate-v2', 'the certificate hash does not match the TSA signing certificate');
  }
  const issuerSerial = parts.shift();
  if (issuerSerial === undefined) return;
  const [names, serial] = issuerSerial instanceof asn1js.Sequence ? issuerSerial.valueBlock.value : [];
  let ok = false;
  try {
    const gns = new pkijs.GeneralNames({ schema: names });
    ok =
      gns.names.length > 0 &&
      gns.names.every((n) => n.type === 4) &&
      gns.names.some((n) => (n.value as pkijs.RelativeDistinguishedNames).isEqual(signer.issuer)) &&
      serial instanceof asn1js.Integer &&
      serial.isEqual(signer.serialNumber);
  } catch {
    ok = false;
  }
  if (!ok) throw problem('signing-certificate-v2', 'issuerSerial does not name the TSA signing certificate');
}

function checkSignedAttributes(si: pkijs.SignerInfo, eContent: Uint8Array): void {
  const digestAlg = hashName(si.digestAlgorithm.algorithmId);
  if (!digestAlg) throw problem('digest algorithm', `digest algorithm ${si.digestAlgorithm.algorithmId} is not allowed (SHA-256/384/512 only)`);
  const ct = attribute(si, OID_CONTENT_TYPE)?.values[0];
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== OID_TST_INFO) {
    throw problem('content type', 'the signed contentType attribute is not id-ct-TSTInfo');
  }
  const md = attribute(si, OID_MESSAGE_DIGEST)?.values[0];
  if (!(md instanceof asn1js.OctetString) || !bytesEqual(toBytes(md.valueBlock.valueHexView), digest(digestAlg, eContent))) {
    throw problem('message digest', 'the signed messageDigest does not match the TSTInfo');
  }
}

function checkSignature(si: pkijs.SignerInfo, signer: pkijs.Certificate): void {
  const encoded = si.signedAttrs?.encodedValue;
  if (!encoded || encoded.byteLength === 0) throw problem('signature', 'the SignerInfo has no signed attributes');
  // RFC 5652 §5.4: the signature covers the DER of the attributes with an EXPLICIT SET OF tag.
  const data = Uint8Array.from(toBytes(encoded));
  data[0] = 0x31;
  let ok: boolean;
  try {
    ok = verifySignature(si.signatureAlgorithm, data, publicKey(signer), toBytes(si.signature.valueBlock.valueHexView), si.digestAlgorithm.algorithmId);
  } catch (e) {
    throw problem('signature', (e as Error).message);
  }
  if (!ok) throw problem('signature', 'the token signature does not verify with the TSA signing certificate');
}

/** Parses and checks the token's CMS layer (not the imprint, the chain or the times). */
export function parseToken(token: Uint8Array): ParsedToken {
  const sd = decodeSignedData(token);
  const { tst, eContent } = decodeTstInfo(sd);
  if (sd.signerInfos.length !== 1) throw problem('signer', `the token has ${sd.signerInfos.length} SignerInfos (exactly one required)`);
  const raw = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (raw.length > MAX_TOKEN_CERTS) throw problem('certificates', `the token carries ${raw.length} certificates (at most ${MAX_TOKEN_CERTS})`);
  const certificates = raw.map((c, i) => parseCertificate(toBytes(c.toSchema().toBER(false)), `token certificate #${i + 1}`));
  const si = sd.signerInfos[0] as pkijs.SignerInfo;
  const signer = findSigner(si, certificates);
  checkSignedAttributes(si, eContent);
  checkSigningCertificateV2(si, signer);
  checkSignature(si, signer);
  return { tstInfo: tst, signer, certificates };
}
