/**
 * X.509 helpers shared by the timestamp and revocation checkers: pkijs parsing (keeps the signed bytes
 * as received), node:crypto signatures, extensions. Only SHA-2 RSA (PKCS#1 v1.5, PSS) and ECDSA are
 * accepted (Notary Project signature-specification §Signature Algorithm Requirements).
 */
import { createHash, createPublicKey, constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { HashName } from '../contracts.js';

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuOcspSigning: '1.3.6.1.5.5.7.3.9',
  extKeyUsage: '2.5.29.37',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  accessOcsp: '1.3.6.1.5.5.7.48.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

const HASH_BY_OID: Record<string, HashName> = { [OID.sha256]: 'SHA-256', [OID.sha384]: 'SHA-384', [OID.sha512]: 'SHA-512' };
const OID_BY_HASH: Record<HashName, string> = { 'SHA-256': OID.sha256, 'SHA-384': OID.sha384, 'SHA-512': OID.sha512 };
const RSA_PKCS1: Record<string, HashName> = {
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};
const ECDSA: Record<string, HashName> = {
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'P-256', 'P-384', 'P-521']);

export function nodeHash(h: HashName): string {
  return h.replace('-', '').toLowerCase();
}

export function hashName(oid: string): HashName | undefined {
  return HASH_BY_OID[oid];
}

export function hashOid(h: HashName): string {
  return OID_BY_HASH[h];
}

export function digest(h: HashName, data: Uint8Array): Buffer {
  return createHash(nodeHash(h)).update(data).digest();
}

export function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Parsed certificates by SHA-256 of their DER: parsing is costly and certificates never change. */
const parsedCerts = new Map<string, pkijs.Certificate>();
const MAX_PARSED_CERTS = 512;

/** Parses one DER certificate (Error naming `what` if not one); results are shared: do not modify. */
export function parseCertificate(der: Uint8Array, what = 'certificate'): pkijs.Certificate {
  const key = createHash('sha256').update(der).digest('base64');
  const hit = parsedCerts.get(key);
  if (hit) return hit;
  const cert = parseCertificateUncached(der, what);
  parsedCerts.set(key, cert);
  if (parsedCerts.size > MAX_PARSED_CERTS) parsedCerts.delete(parsedCerts.keys().next().value as string);
  return cert;
}

function parseCertificateUncached(der: Uint8Array, what: string): pkijs.Certificate {
  try {
    const asn = asn1js.fromBER(toBytes(der));
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('not a single DER value');
    return new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw new Error(`${what} is not an X.509 certificate: ${(e as Error).message}`);
  }
}

export function certDer(c: pkijs.Certificate): Uint8Array {
  return toBytes(c.toSchema().toBER(false));
}

const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.5': 'serialNumber',
};

/** A distinguished name as `CN=…, O=…, C=…` (RFC 4514 order, most specific first), for messages. */
export function nameString(n: pkijs.RelativeDistinguishedNames): string {
  return n.typesAndValues
    .map((tv) => `${ATTR_NAMES[tv.type] ?? tv.type}=${String((tv.value.valueBlock as { value?: unknown }).value ?? '')}`)
    .reverse()
    .join(', ');
}

export function subjectOf(der: Uint8Array): string {
  try {
    return nameString(parseCertificate(der).subject);
  } catch {
    return '<unparseable certificate>';
  }
}

export function publicKey(cert: pkijs.Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' });
}

/** Notary Project certificate requirements: RSA ≥ 2048 bits, ECDSA on P-256/P-384/P-521. */
export function keyStrengthProblem(key: KeyObject): string | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return (d.modulusLength ?? 0) >= 2048 ? undefined : `RSA key of ${d.modulusLength ?? '?'} bits (at least 2048 required)`;
  }
  if (key.asymmetricKeyType === 'ec') return EC_CURVES.has(d.namedCurve ?? '') ? undefined : `EC curve ${d.namedCurve ?? '?'} not allowed`;
  return `key type ${key.asymmetricKeyType ?? '?'} not allowed`;
}

/** Verifies `sig` over `data` under `alg` (`digestOid` for a bare rsaEncryption); throws if not allowed. */
export function verifySignature(alg: pkijs.AlgorithmIdentifier, data: Uint8Array, key: KeyObject, sig: Uint8Array, digestOid?: string): boolean {
  const oid = alg.algorithmId;
  let hash: HashName | undefined;
  let opts: { padding?: number; saltLength?: number } = {};
  if (RSA_PKCS1[oid]) hash = RSA_PKCS1[oid];
  else if (ECDSA[oid]) hash = ECDSA[oid];
  else if (oid === OID.rsaEncryption && digestOid) hash = hashName(digestOid);
  else if (oid === OID.rsaPss) {
    const p = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
    hash = hashName(p.hashAlgorithm.algorithmId);
    const mgfHash = p.maskGenAlgorithm.algorithmParams ? new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams }) : undefined;
    if (p.maskGenAlgorithm.algorithmId !== OID.mgf1 || mgfHash?.algorithmId !== p.hashAlgorithm.algorithmId) {
      throw new Error('RSASSA-PSS with a mask generation function other than MGF1 over the same hash');
    }
    opts = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength };
  }
  if (!hash) throw new Error(`signature algorithm ${oid} is not allowed (SHA-256/384/512 with RSA or ECDSA only)`);
  const isEc = key.asymmetricKeyType === 'ec';
  if (isEc !== Boolean(ECDSA[oid])) throw new Error(`signature algorithm ${oid} does not match the ${key.asymmetricKeyType ?? '?'} key`);
  return cryptoVerify(nodeHash(hash), data, { key, ...opts }, sig);
}

/** Does `parent` issue `child`: names match and the signature verifies with the parent's key. */
export function issuedBy(child: pkijs.Certificate, parent: pkijs.Certificate): boolean {
  if (!child.issuer.isEqual(parent.subject)) return false;
  try {
    return verifySignature(child.signatureAlgorithm, child.tbsView, publicKey(parent), toBytes(child.signatureValue.valueBlock.valueHexView));
  } catch {
    return false;
  }
}

export function isSelfSigned(c: pkijs.Certificate): boolean {
  return issuedBy(c, c);
}

export function extension(c: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return c.extensions?.find((e) => e.extnID === oid);
}

export function extKeyUsages(c: pkijs.Certificate): string[] | undefined {
  const e = extension(c, OID.extKeyUsage);
  return e ? ((e.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? []) : undefined;
}

export function isCA(c: pkijs.Certificate): boolean {
  const e = extension(c, OID.basicConstraints);
  return Boolean(e && (e.parsedValue as pkijs.BasicConstraints | undefined)?.cA);
}

/** keyUsage bit `bit` (0 = digitalSignature, 5 = keyCertSign, 6 = cRLSign); undefined when absent. */
export function keyUsageBit(c: pkijs.Certificate, bit: number): boolean | undefined {
  const e = extension(c, OID.keyUsage);
  if (!e) return undefined;
  const bits = e.parsedValue as asn1js.BitString | undefined;
  const view = bits ? toBytes(bits.valueBlock.valueHexView) : new Uint8Array();
  const byte = view[bit >> 3] ?? 0;
  return (byte & (0x80 >> (bit & 7))) !== 0;
}

export function validAt(c: pkijs.Certificate, t: Date): boolean {
  return c.notBefore.value.getTime() <= t.getTime() && t.getTime() <= c.notAfter.value.getTime();
}

/** HTTP(S)/other URIs named in distribution points (CRL DP or freshest CRL extension). */
export function distributionPointUris(ext: pkijs.Extension | undefined): { uris: string[]; nonUri: boolean } {
  const out: string[] = [];
  let nonUri = false;
  const dps = (ext?.parsedValue as pkijs.CRLDistributionPoints | undefined)?.distributionPoints ?? [];
  for (const dp of dps) {
    const names = Array.isArray(dp.distributionPoint) ? dp.distributionPoint : [];
    for (const n of names) {
      if (n.type === 6 && typeof n.value === 'string') out.push(n.value);
      else nonUri = true;
    }
    if (!Array.isArray(dp.distributionPoint)) nonUri = true;
  }
  return { uris: out, nonUri };
}

export function crlUrls(c: pkijs.Certificate): string[] {
  return distributionPointUris(extension(c, OID.crlDistributionPoints)).uris;
}

export function ocspUrls(c: pkijs.Certificate): string[] {
  const aia = extension(c, OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess | undefined;
  return (aia?.accessDescriptions ?? [])
    .filter((d) => d.accessMethod === OID.accessOcsp && d.accessLocation.type === 6)
    .map((d) => String(d.accessLocation.value));
}

export function serialHex(c: pkijs.Certificate): string {
  return c.serialNumber.toBigInt().toString(16);
}
