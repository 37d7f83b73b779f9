/**
 * X.509 certificates for Notary Project signatures: parsing (node:crypto and @peculiar/asn1-x509),
 * the code-signing certificate chain rules, validity windows, and the key → algorithm mapping.
 * Notary Project signature-specification §Certificate Requirements and §Algorithm Selection.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { formatName } from './trusted-identity.js';

export type SignatureAlg = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

/** Most certificates a signature's chain may carry. */
export const MAX_CHAIN_LENGTH = 10;

export interface ParsedCert {
  readonly der: Uint8Array;
  readonly node: NodeX509;
  readonly asn: Certificate;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly basicConstraints?: { critical: boolean; ca: boolean; pathLen?: number };
  readonly keyUsage?: { critical: boolean; bits: number };
  readonly extKeyUsage?: readonly string[];
}

const KU = { digitalSignature: 1, nonRepudiation: 2, keyCertSign: 32 } as const;
const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
/** signature-specification §Leaf Certificates: EKUs a code-signing certificate must not carry. */
const EKU_FORBIDDEN: Readonly<Record<string, string>> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
};
/** Certificate signature algorithms accepted (no SHA-1, no MD5); RSASSA-PSS is checked separately. */
const SIG_ALGS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
};
const RSA_PSS = '1.2.840.113549.1.1.10';
const SHA2_OIDS = new Set(['2.16.840.1.101.3.4.2.1', '2.16.840.1.101.3.4.2.2', '2.16.840.1.101.3.4.2.3']);

/** Memo of results that depend only on certificate bytes (runs see the same few chains); bounded. */
const MEMO_ENTRIES = 256;
const parsedByDer = new Map<string, ParsedCert>();
const chainRuleByDers = new Map<string, string | undefined>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
  return value;
}

const derKey = (der: Uint8Array): string => Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');

/** Parses one DER certificate (once per distinct bytes); throws an Error saying why it is not one. */
export function parseCertificate(der: Uint8Array): ParsedCert {
  const key = derKey(der);
  const hit = parsedByDer.get(key);
  if (hit !== undefined) return hit;
  // A copy: the entry must not change if the caller's buffer does.
  return remember(parsedByDer, key, parseUncached(new Uint8Array(der)));
}

function parseUncached(der: Uint8Array): ParsedCert {
  const node = new NodeX509(der);
  const asn = AsnConvert.parse(der, Certificate);
  const tbs = asn.tbsCertificate;
  const cert: {
    -readonly [K in keyof ParsedCert]: ParsedCert[K];
  } = {
    der,
    node,
    asn,
    subject: formatName(tbs.subject),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
  };
  const seen = new Set<string>();
  for (const e of tbs.extensions ?? []) {
    if (seen.has(e.extnID)) throw new Error(`certificate ${cert.subject} repeats the extension ${e.extnID}`);
    seen.add(e.extnID);
    const value = e.extnValue.buffer;
    if (e.extnID === id_ce_basicConstraints) {
      const bc = AsnConvert.parse(value, BasicConstraints);
      cert.basicConstraints = { critical: e.critical, ca: bc.cA, pathLen: bc.pathLenConstraint };
    } else if (e.extnID === id_ce_keyUsage) {
      cert.keyUsage = { critical: e.critical, bits: AsnConvert.parse(value, KeyUsage).toNumber() };
    } else if (e.extnID === id_ce_extKeyUsage) {
      cert.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
    }
  }
  return cert;
}

export function parseChain(ders: readonly Uint8Array[]): ParsedCert[] | string {
  if (ders.length === 0) return 'the certificate chain is empty';
  if (ders.length > MAX_CHAIN_LENGTH) return `the certificate chain has more than ${MAX_CHAIN_LENGTH} certificates`;
  const out: ParsedCert[] = [];
  for (const [i, der] of ders.entries()) {
    try {
      out.push(parseCertificate(der));
    } catch (e) {
      return `certificate #${i} of the chain does not parse (${(e as Error).message})`;
    }
  }
  return out;
}

/** True when `issuer` signed `cert`: issuer name byte-equal to the issuer's subject, signature verifies. */
export function issuedBy(cert: ParsedCert, issuer: ParsedCert): boolean {
  try {
    const issuerName = Buffer.from(AsnConvert.serialize(cert.asn.tbsCertificate.issuer));
    const subjectName = Buffer.from(AsnConvert.serialize(issuer.asn.tbsCertificate.subject));
    return issuerName.equals(subjectName) && cert.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

export const selfSigned = (c: ParsedCert): boolean => issuedBy(c, c);

/** True for a DER certificate that is self-signed (by name and signature). */
export function isSelfSigned(der: Uint8Array): boolean {
  try {
    return selfSigned(parseCertificate(der));
  } catch {
    return false;
  }
}

export function isCaCertificate(der: Uint8Array): boolean {
  try {
    return parseCertificate(der).basicConstraints?.ca === true;
  } catch {
    return false;
  }
}

/** The Notary Project signature algorithm for a certificate's key, or the reason there is none. */
export function algorithmForKey(cert: ParsedCert): SignatureAlg | string {
  const key = cert.node.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const byBits: Record<number, SignatureAlg> = { 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' };
    return byBits[d.modulusLength ?? 0] ?? `an RSA key of ${d.modulusLength} bits (only 2048, 3072 and 4096 are allowed)`;
  }
  if (key.asymmetricKeyType === 'ec') {
    const byCurve: Record<string, SignatureAlg> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
    return byCurve[d.namedCurve ?? ''] ?? `an EC key on ${d.namedCurve} (only P-256, P-384 and P-521 are allowed)`;
  }
  return `a ${key.asymmetricKeyType} key (only RSA and ECDSA are allowed)`;
}

/** signature-specification §Other requirements: no SHA-1 or MD5 certificate signatures. */
function checkSignatureAlgorithm(c: ParsedCert): string | undefined {
  const alg = c.asn.signatureAlgorithm;
  if (SIG_ALGS[alg.algorithm] !== undefined) return undefined;
  if (alg.algorithm === RSA_PSS && alg.parameters) {
    try {
      const p = AsnConvert.parse(alg.parameters, RsaSaPssParams);
      if (SHA2_OIDS.has(p.hashAlgorithm.algorithm)) return undefined;
    } catch {
      // falls through to the refusal below
    }
  }
  return `is signed with the algorithm ${alg.algorithm}, which is not allowed (SHA-1, MD5 and unknown algorithms are refused)`;
}

/** Key size rules: RSA ≥ 2048 bits, EC on P-256/P-384/P-521. */
function checkKey(c: ParsedCert): string | undefined {
  const key = c.node.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return (d.modulusLength ?? 0) >= 2048 ? undefined : `has an RSA key of ${d.modulusLength} bits (at least 2048 required)`;
  if (key.asymmetricKeyType === 'ec')
    return ['prime256v1', 'secp384r1', 'secp521r1'].includes(d.namedCurve ?? '') ? undefined : `has an EC key on ${d.namedCurve} (P-256 or larger required)`;
  return `has a ${key.asymmetricKeyType} key (RSA or ECDSA required)`;
}

/** signature-specification §Root and Intermediate CA Certificates. `below` = CA certificates under it. */
function checkCa(c: ParsedCert, below: number): string | undefined {
  const bc = c.basicConstraints;
  if (bc === undefined || !bc.critical || !bc.ca) return 'is a CA of the chain but lacks a critical basicConstraints with cA=true';
  if (bc.pathLen !== undefined && bc.pathLen < below) return `has pathLenConstraint ${bc.pathLen} but ${below} CA certificates below it`;
  if (c.keyUsage === undefined || !c.keyUsage.critical) return 'is a CA of the chain but lacks a critical keyUsage extension';
  if ((c.keyUsage.bits & KU.keyCertSign) === 0) return 'is a CA of the chain but its keyUsage lacks keyCertSign';
  return undefined;
}

/** signature-specification §Leaf Certificates, for a code-signing certificate. */
function checkLeaf(c: ParsedCert): string | undefined {
  if (c.basicConstraints?.ca === true) return 'is the signing certificate but has basicConstraints cA=true';
  if (c.keyUsage === undefined || !c.keyUsage.critical) return 'is the signing certificate but lacks a critical keyUsage extension';
  if ((c.keyUsage.bits & KU.digitalSignature) === 0) return 'is the signing certificate but its keyUsage lacks digitalSignature';
  if ((c.keyUsage.bits & ~(KU.digitalSignature | KU.nonRepudiation)) !== 0)
    return 'is the signing certificate but its keyUsage allows more than digitalSignature and nonRepudiation';
  const eku = c.extKeyUsage;
  if (eku !== undefined) {
    const bad = eku.find((oid) => EKU_FORBIDDEN[oid] !== undefined);
    if (bad !== undefined) return `is the signing certificate but its extendedKeyUsage has ${EKU_FORBIDDEN[bad]}`;
    if (!eku.includes(EKU_CODE_SIGNING)) return 'is the signing certificate but its extendedKeyUsage lacks codeSigning';
  }
  return undefined;
}

/** Notary Project code-signing chain rules (leaf first, issued in order, self-signed root, ...): first broken rule. */
export function checkCodeSigningChain(chain: readonly ParsedCert[]): string | undefined {
  // The rules read nothing but the certificates' bytes: a chain is checked once.
  const key = chain.map((c) => `${c.der.length}:${derKey(c.der)}`).join('');
  if (chainRuleByDers.has(key)) return chainRuleByDers.get(key);
  return remember(chainRuleByDers, key, chainRuleUncached(chain));
}

function chainRuleUncached(chain: readonly ParsedCert[]): string | undefined {
  const last = chain.length - 1;
  // Algorithms and key sizes of every certificate first, so no signature is checked with a key that breaks them.
  for (const [i, c] of chain.entries()) {
    const reason = checkSignatureAlgorithm(c) ?? checkKey(c);
    if (reason !== undefined) return `certificate #${i} (${c.subject}) ${reason}`;
  }
  for (const [i, c] of chain.entries()) {
    const who = `certificate #${i} (${c.subject})`;
    const reason =
      (i === 0 ? checkLeaf(c) : checkCa(c, i - 1)) ??
      (i < last && !issuedBy(c, chain[i + 1]!) ? `is not issued by the next certificate (${chain[i + 1]!.subject}); the chain must be ordered leaf first` : undefined) ??
      (i < last && selfSigned(c) ? 'is self-signed but is not the last certificate of the chain' : undefined) ??
      (i === last && !selfSigned(c) ? 'is the last certificate but is not a self-signed root; the chain must end in its root' : undefined);
    if (reason !== undefined) return `${who} ${reason}`;
  }
  return undefined;
}

/** The first certificate not valid at `at` (notBefore ≤ at ≤ notAfter), described, or undefined. */
export function invalidAt(chain: readonly ParsedCert[], from: Date, to: Date = from): string | undefined {
  for (const [i, c] of chain.entries()) {
    if (from < c.notBefore) return `certificate #${i} (${c.subject}) is not valid before ${c.notBefore.toISOString()}`;
    if (to > c.notAfter) return `certificate #${i} (${c.subject}) expired at ${c.notAfter.toISOString()}`;
  }
  return undefined;
}

export function chainNotAfter(chain: readonly ParsedCert[]): Date {
  return new Date(Math.min(...chain.map((c) => c.notAfter.getTime())));
}
