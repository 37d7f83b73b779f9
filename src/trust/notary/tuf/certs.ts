/**
 * X.509 for Notary root keys (`ecdsa-x509` / `rsa-x509`): PEM bundles and the checks of notary
 * tuf/utils/x509.go, `trustpinning.MatchCNToGun` and `trustpinning.caCheck`, on Node's X509Certificate.
 */
import { boundedMemo } from '../../../util/memo.js';
import { X509Certificate } from 'node:crypto';
import { DerError, parseCertFields, type CertFields } from './der.js';

/** A parsed certificate with the fields Notary looks at. */
export interface ParsedCert extends CertFields {
  readonly x509: X509Certificate;
  readonly der: Uint8Array;
  /** basicConstraints CA (Go `IsCA`). */
  readonly isCA: boolean;
}

const certMemo = boundedMemo<ParsedCert | undefined>(4096);

/** Parses one DER certificate; undefined if Node or our DER reader rejects it. Memoised by content. */
export function parseCert(der: Uint8Array): ParsedCert | undefined {
  return certMemo(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1'), () => parseCertUncached(der));
}

function parseCertUncached(der: Uint8Array): ParsedCert | undefined {
  try {
    const x509 = new X509Certificate(der);
    const fields = parseCertFields(der);
    return { ...fields, x509, der, isCA: x509.ca };
  } catch (e) {
    if (e instanceof DerError || e instanceof Error) return undefined;
    throw e;
  }
}

export interface PemBlock {
  readonly type: string;
  readonly der: Uint8Array;
  readonly hasHeaders: boolean;
}

const PEM_RE = /-----BEGIN ([^\r\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in `text`, in order (Go `pem.Decode` in a loop). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    const body = m[2] ?? '';
    const hasHeaders = /^[^\r\n]*:/m.test(body);
    const b64 = body.replace(/[\r\n\t ]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) continue;
    out.push({ type: m[1] ?? '', der: new Uint8Array(Buffer.from(b64, 'base64')), hasHeaders });
  }
  return out;
}

/** notary `utils.LoadCertBundleFromPEM`: at least one block, every one a CERTIFICATE that parses; else undefined. */
export function loadCertBundle(pem: Uint8Array | string): ParsedCert[] | undefined {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  const blocks = pemBlocks(text);
  const certs: ParsedCert[] = [];
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return undefined;
    const c = parseCert(b.der);
    if (!c) return undefined;
    certs.push(c);
  }
  return certs.length > 0 ? certs : undefined;
}

/** notary `utils.LoadCertFromPEM`: the first CERTIFICATE block without headers that parses. */
export function loadFirstCert(pem: Uint8Array | string): ParsedCert | undefined {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  for (const b of pemBlocks(text)) {
    if (b.type !== 'CERTIFICATE' || b.hasHeaders) continue;
    const c = parseCert(b.der);
    if (c) return c;
  }
  return undefined;
}

/** PEM exactly as Go's `pem.Encode` writes it (64-column base64, trailing newline): `utils.CertToPEM`. */
export function certToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const SHA1_SIGNATURE_OIDS = new Set([
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10040.4.3', // dsa-with-sha1
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
]);

export type CertProblem =
  | { kind: 'window' }
  | { kind: 'sha1' }
  | { kind: 'rsa-short'; bits: number }
  | { kind: 'expired'; notAfter: Date }
  | { kind: 'not-yet-valid'; notBefore: Date };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * notary `utils.ValidateCertificate`: sane validity window, no SHA-1, RSA >= 2048 bits and, when `now`
 * is given, not expired nor valid only from after tomorrow (one day of leeway). Undefined when fine.
 */
export function validateCertificate(c: ParsedCert, now: Date | undefined): CertProblem | undefined {
  if (c.notBefore.getTime() > c.notAfter.getTime()) return { kind: 'window' };
  if (SHA1_SIGNATURE_OIDS.has(c.signatureAlgorithm)) return { kind: 'sha1' };
  const pub = c.x509.publicKey;
  if (pub.asymmetricKeyType === 'rsa' || pub.asymmetricKeyType === 'rsa-pss') {
    const bits = pub.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return { kind: 'rsa-short', bits };
  }
  if (now) {
    const tomorrow = now.getTime() + DAY_MS;
    if (tomorrow < c.notBefore.getTime()) return { kind: 'not-yet-valid', notBefore: c.notBefore };
    if (now.getTime() > c.notAfter.getTime()) return { kind: 'expired', notAfter: c.notAfter };
  }
  return undefined;
}

/** notary `trustpinning.MatchCNToGun`: exact, or a `prefix*` wildcard CN. */
export function matchCNToGun(commonName: string, gun: string): boolean {
  if (commonName.endsWith('*')) {
    return gun.startsWith(commonName.replace(/\*+$/, ''));
  }
  return commonName === gun;
}

function validAt(c: ParsedCert, now: Date): boolean {
  const t = now.getTime();
  return c.notBefore.getTime() <= t && t <= c.notAfter.getTime();
}

function issuedBy(child: ParsedCert, issuer: ParsedCert): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * notary `trustpinning.caCheck`: a chain from the leaf through CA intermediates to a pinned CA, all valid
 * at `now`. Go's server-auth EKU check is not reproduced: notary root certs are code-signing certs.
 */
export function chainsToCA(
  leaf: ParsedCert,
  intermediates: readonly ParsedCert[],
  cas: readonly ParsedCert[],
  now: Date,
): boolean {
  if (!validAt(leaf, now)) return false;
  const walk = (cert: ParsedCert, depth: number, seen: Set<ParsedCert>): boolean => {
    if (depth > 8) return false;
    for (const ca of cas) {
      if (ca.isCA && validAt(ca, now) && issuedBy(cert, ca)) return true;
    }
    for (const int of intermediates) {
      if (seen.has(int) || !int.isCA || !validAt(int, now) || !issuedBy(cert, int)) continue;
      const next = new Set(seen).add(int);
      if (walk(int, depth + 1, next)) return true;
    }
    return false;
  };
  return walk(leaf, 0, new Set());
}
