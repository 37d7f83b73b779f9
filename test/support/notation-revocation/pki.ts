/**
 * A throw-away PKI for revocation tests, built with pkijs and WebCrypto: ECDSA P-256 (or RSA)
 * certificates with CRL distribution points, freshest CRL and OCSP locations; base and delta CRLs
 * with reasons and invalidity dates; signed OCSP responses (issuer or delegated responder).
 */
import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ocspRequest } from '../../../src/trust/notation/revocation/ocsp.js';

type KeyPair = webcrypto.CryptoKeyPair;

export interface TestCert {
  readonly cert: pkijs.Certificate;
  readonly der: Uint8Array;
  readonly keys: KeyPair;
}

export interface CertOptions {
  readonly cn: string;
  readonly issuer?: TestCert;
  readonly ca?: boolean;
  readonly serial?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly crl?: readonly string[];
  readonly freshest?: readonly string[];
  readonly ocsp?: readonly string[];
  readonly eku?: readonly string[];
  readonly ekuCritical?: boolean;
  readonly ocspNoCheck?: boolean;
  readonly rsa?: boolean;
}

const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
export const EKU_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
let nextSerial = 1000;

async function keyPair(rsa: boolean): Promise<KeyPair> {
  const alg = rsa
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;
}

function ext(oid: string, value: { toSchema(): asn1js.BaseBlock } | asn1js.BaseBlock, critical = false): pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID: oid, critical, extnValue: schema.toBER(false) });
}

function uriPoints(urls: readonly string[]): pkijs.CRLDistributionPoints {
  return new pkijs.CRLDistributionPoints({
    distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: urls.map((u) => new pkijs.GeneralName({ type: 6, value: u })) })],
  });
}

function certExtensions(o: CertOptions): pkijs.Extension[] {
  const out = [ext('2.5.29.19', new pkijs.BasicConstraints({ cA: Boolean(o.ca) }), true)];
  // keyUsage: CA → keyCertSign + cRLSign; leaf → digitalSignature.
  out.push(ext('2.5.29.15', new asn1js.BitString({ valueHex: new Uint8Array([o.ca ? 0x06 : 0x80]).buffer, unusedBits: o.ca ? 1 : 7 }), true));
  if (!o.ca) out.push(ext('2.5.29.37', new pkijs.ExtKeyUsage({ keyPurposes: [...(o.eku ?? [EKU_CODE_SIGNING])] }), Boolean(o.ekuCritical)));
  if (o.crl?.length) out.push(ext('2.5.29.31', uriPoints(o.crl)));
  if (o.freshest?.length) out.push(ext('2.5.29.46', uriPoints(o.freshest)));
  if (o.ocsp?.length) {
    const aia = new pkijs.InfoAccess({
      accessDescriptions: o.ocsp.map((u) => new pkijs.AccessDescription({ accessMethod: '1.3.6.1.5.5.7.48.1', accessLocation: new pkijs.GeneralName({ type: 6, value: u }) })),
    });
    out.push(ext('1.3.6.1.5.5.7.1.1', aia));
  }
  if (o.ocspNoCheck) out.push(ext('1.3.6.1.5.5.7.48.1.5', new asn1js.Null()));
  return out;
}

function reparse(der: ArrayBuffer): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

/** Issues a certificate (self-signed when `issuer` is absent). */
export async function makeCert(o: CertOptions): Promise<TestCert> {
  const keys = await keyPair(Boolean(o.rsa));
  const c = new pkijs.Certificate();
  c.version = 2;
  c.serialNumber = new asn1js.Integer({ value: o.serial ?? nextSerial++ });
  c.subject.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: o.cn }) }));
  const issuerName = o.issuer ? o.issuer.cert.subject : c.subject;
  c.issuer = new pkijs.RelativeDistinguishedNames({ schema: issuerName.toSchema() });
  c.notBefore.value = o.notBefore ?? new Date(Date.now() - 86_400_000);
  c.notAfter.value = o.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  await c.subjectPublicKeyInfo.importKey(keys.publicKey);
  c.extensions = certExtensions(o);
  await c.sign((o.issuer?.keys ?? keys).privateKey, 'SHA-256');
  const der = c.toSchema(true).toBER(false);
  return { cert: reparse(der), der: new Uint8Array(der), keys };
}

export interface CrlEntrySpec {
  readonly serial: number | bigint;
  readonly date: Date;
  readonly reason?: number;
  readonly invalidity?: Date;
}

export interface CrlOptions {
  readonly number: number;
  readonly thisUpdate?: Date;
  /** null = no nextUpdate. */
  readonly nextUpdate?: Date | null;
  readonly entries?: readonly CrlEntrySpec[];
  readonly deltaBase?: number;
  readonly freshest?: readonly string[];
  /** Sign with another key (wrong issuer). */
  readonly signer?: TestCert;
  /** issuingDistributionPoint flags. */
  readonly idp?: { readonly onlyContainsUserCerts?: boolean; readonly indirectCRL?: boolean };
}

function serialInt(s: number | bigint): asn1js.Integer {
  return typeof s === 'bigint' ? asn1js.Integer.fromBigInt(s) : new asn1js.Integer({ value: s });
}

/** A CRL issued by `issuer` (base, or delta when `deltaBase` is set). */
export async function makeCrl(issuer: TestCert, o: CrlOptions): Promise<Uint8Array> {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = new pkijs.RelativeDistinguishedNames({ schema: issuer.cert.subject.toSchema() });
  crl.thisUpdate = new pkijs.Time({ type: 1, value: o.thisUpdate ?? new Date(Date.now() - 3_600_000) });
  if (o.nextUpdate !== null) crl.nextUpdate = new pkijs.Time({ type: 1, value: o.nextUpdate ?? new Date(Date.now() + 7 * 86_400_000) });
  if (o.entries?.length) {
    crl.revokedCertificates = o.entries.map((e) => {
      const exts: pkijs.Extension[] = [];
      if (e.reason !== undefined) exts.push(ext('2.5.29.21', new asn1js.Enumerated({ value: e.reason })));
      if (e.invalidity) exts.push(ext('2.5.29.24', new asn1js.GeneralizedTime({ valueDate: e.invalidity })));
      return new pkijs.RevokedCertificate({
        userCertificate: serialInt(e.serial),
        revocationDate: new pkijs.Time({ type: 0, value: e.date }),
        crlEntryExtensions: exts.length ? new pkijs.Extensions({ extensions: exts }) : undefined,
      });
    });
  }
  const exts = [ext('2.5.29.20', new asn1js.Integer({ value: o.number }))];
  if (o.deltaBase !== undefined) exts.push(ext('2.5.29.27', new asn1js.Integer({ value: o.deltaBase }), true));
  if (o.freshest?.length) exts.push(ext('2.5.29.46', uriPoints(o.freshest)));
  if (o.idp) exts.push(ext('2.5.29.28', new pkijs.IssuingDistributionPoint({ ...o.idp }), true));
  crl.crlExtensions = new pkijs.Extensions({ extensions: exts });
  await crl.sign((o.signer ?? issuer).keys.privateKey, 'SHA-256');
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

export interface OcspOptions {
  readonly cert: TestCert;
  readonly issuer: TestCert;
  /** Signs the response (default the issuer); included in `certs` when it is not the issuer. */
  readonly signer?: TestCert;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: number;
  readonly invalidity?: Date;
  readonly thisUpdate?: Date;
  /** null = no nextUpdate. */
  readonly nextUpdate?: Date | null;
}

function certStatus(o: OcspOptions): asn1js.BaseBlock {
  if (o.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (o.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: o.revokedAt ?? new Date(Date.now() - 3_600_000) })];
  if (o.reason !== undefined) value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: o.reason })] }));
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
}

/** A successful, signed basic OCSP response about `cert`. */
export async function makeOcspResponse(o: OcspOptions): Promise<Uint8Array> {
  const signer = o.signer ?? o.issuer;
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = new pkijs.RelativeDistinguishedNames({ schema: signer.cert.subject.toSchema() });
  basic.tbsResponseData.producedAt = new Date();
  const single = new pkijs.SingleResponse({
    certID: ocspRequest(o.cert.cert, o.issuer.cert).certId,
    certStatus: certStatus(o),
    thisUpdate: o.thisUpdate ?? new Date(Date.now() - 60_000),
  });
  if (o.nextUpdate !== null) single.nextUpdate = o.nextUpdate ?? new Date(Date.now() + 86_400_000);
  if (o.invalidity) single.singleExtensions = [ext('2.5.29.24', new asn1js.GeneralizedTime({ valueDate: o.invalidity }))];
  basic.tbsResponseData.responses.push(single);
  if (signer !== o.issuer) basic.certs = [signer.cert];
  await basic.sign(signer.keys.privateKey, 'SHA-256');
  const resp = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({ responseType: '1.3.6.1.5.5.7.48.1.1', response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }) }),
  });
  return new Uint8Array(resp.toSchema().toBER(false));
}

/** An OCSP response with a non-successful status (e.g. 3 = tryLater). */
export function ocspErrorResponse(status: number): Uint8Array {
  return new Uint8Array(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(false));
}
