/**
 * Test PKI for Notary Project signatures: X.509 certificates built with @peculiar/asn1-x509 and
 * signed with node:crypto, with options to break each certificate rule.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  ExtendedKeyUsage,
  KeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';

export type KeySpec = 'rsa1024' | 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384' | 'p521';
export type CertHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const EKU = { codeSigning: '1.3.6.1.5.5.7.3.3', serverAuth: '1.3.6.1.5.5.7.3.1', timeStamping: '1.3.6.1.5.5.7.3.8' } as const;
export const KU = { digitalSignature: 1, keyEncipherment: 4, keyCertSign: 32, cRLSign: 64 } as const;

export interface TestKey {
  readonly spec: KeySpec;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface TestCert {
  readonly der: Uint8Array;
  readonly key: TestKey;
  /** Subject as [type OID-or-short-name, value] pairs, in encoding order. */
  readonly subject: ReadonlyArray<readonly [string, string]>;
}

const keyCache = new Map<string, TestKey>();

/** A key pair; `slot` lets tests get distinct keys of one spec (cached: RSA generation is slow). */
export function testKey(spec: KeySpec, slot = 0): TestKey {
  const id = `${spec}/${slot}`;
  let k = keyCache.get(id);
  if (k === undefined) {
    const pair = spec.startsWith('rsa')
      ? generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(3)) })
      : generateKeyPairSync('ec', { namedCurve: ({ p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1' } as Record<string, string>)[spec]! });
    k = { spec, privateKey: pair.privateKey, publicKey: pair.publicKey };
    keyCache.set(id, k);
  }
  return k;
}

const ATTR_OIDS: Readonly<Record<string, string>> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

function name(attrs: ReadonlyArray<readonly [string, string]>): Name {
  return new Name(
    attrs.map(([t, v]) => {
      const type = ATTR_OIDS[t] ?? t;
      const value = type === '2.5.4.6' ? new AttributeValue({ printableString: v }) : new AttributeValue({ utf8String: v });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
    }),
  );
}

/** Parses `C=US, ST=WA, O=acme, CN=x` into ordered pairs (test input only: no escapes). */
export function dn(s: string): Array<[string, string]> {
  return s.split(',').map((p) => {
    const [t, v] = p.split('=').map((x) => x.trim());
    return [t!, v!];
  });
}

function sigAlg(key: TestKey, hash: CertHash): AlgorithmIdentifier {
  const NULL = new Uint8Array([5, 0]).buffer;
  if (key.spec.startsWith('rsa')) {
    const oid = { sha1: '1.2.840.113549.1.1.5', sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12', sha512: '1.2.840.113549.1.1.13' }[hash];
    return new AlgorithmIdentifier({ algorithm: oid, parameters: NULL });
  }
  const oid = { sha1: '1.2.840.10045.4.1', sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' }[hash];
  return new AlgorithmIdentifier({ algorithm: oid });
}

export interface CertOptions {
  subject: string;
  key: TestKey;
  /** Issuer certificate; self-signed when absent. */
  issuer?: TestCert;
  /** basicConstraints; null = no extension. Default: CA for issuers-to-be (`ca: true`), absent otherwise. */
  basicConstraints?: { ca: boolean; critical?: boolean; pathLen?: number } | null;
  keyUsage?: { bits: number; critical?: boolean } | null;
  extKeyUsage?: string[] | null;
  notBefore?: Date;
  notAfter?: Date;
  hash?: CertHash;
  /** Issuer name to write (default: the issuer's subject). */
  issuerName?: string;
}

/** Builds and signs one certificate. */
export function makeCert(o: CertOptions): TestCert {
  const subject = dn(o.subject);
  const signer = o.issuer?.key ?? o.key;
  const issuerName = o.issuerName !== undefined ? dn(o.issuerName) : o.issuer?.subject ?? subject;
  const exts: Extension[] = [];
  const add = (id: string, critical: boolean, value: unknown) =>
    exts.push(new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) }));
  if (o.basicConstraints)
    add(id_ce_basicConstraints, o.basicConstraints.critical ?? true, new BasicConstraints({ cA: o.basicConstraints.ca, pathLenConstraint: o.basicConstraints.pathLen }));
  if (o.keyUsage) add(id_ce_keyUsage, o.keyUsage.critical ?? true, new KeyUsage(o.keyUsage.bits));
  if (o.extKeyUsage) add(id_ce_extKeyUsage, false, new ExtendedKeyUsage(o.extKeyUsage));
  const alg = sigAlg(signer, o.hash ?? 'sha256');
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([1, ...randomBytes(8)]).buffer,
    signature: alg,
    issuer: name(issuerName),
    validity: new Validity({ notBefore: o.notBefore ?? new Date('2020-01-01T00:00:00Z'), notAfter: o.notAfter ?? new Date('2120-01-01T00:00:00Z') }),
    subject: name(subject),
    subjectPublicKeyInfo: AsnConvert.parse(o.key.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
    extensions: exts.length > 0 ? new Extensions(exts) : undefined,
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(o.hash ?? 'sha256', tbsDer, signer.privateKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: new Uint8Array(signature).buffer });
  return { der: new Uint8Array(AsnConvert.serialize(cert)), key: o.key, subject };
}

export const LEAF_SUBJECT = 'C=US, ST=WA, L=Seattle, O=notary-pin test, CN=signer';

/** CA certificate defaults (critical basicConstraints cA, critical keyUsage keyCertSign). */
export function caCert(subject: string, key: TestKey, issuer?: TestCert, extra: Partial<CertOptions> = {}): TestCert {
  return makeCert({ subject, key, issuer, basicConstraints: { ca: true }, keyUsage: { bits: KU.keyCertSign | KU.cRLSign }, ...extra });
}

/** Code-signing leaf defaults (critical keyUsage digitalSignature, EKU codeSigning). */
export function leafCert(key: TestKey, issuer?: TestCert, extra: Partial<CertOptions> = {}): TestCert {
  return makeCert({ subject: LEAF_SUBJECT, key, issuer, keyUsage: { bits: KU.digitalSignature }, extKeyUsage: [EKU.codeSigning], ...extra });
}

export interface TestChain {
  readonly root: TestCert;
  readonly intermediate: TestCert;
  readonly leaf: TestCert;
  /** Leaf first, as an envelope carries it. */
  readonly chain: readonly TestCert[];
}

/** root → intermediate → leaf; the leaf key is `leafKey` (default RSA 2048). */
export function makeChain(leafKey: TestKey = testKey('rsa2048'), leafExtra: Partial<CertOptions> = {}, slot = 0): TestChain {
  const root = caCert(`C=US, ST=WA, O=notary-pin test, CN=Test Root ${slot}`, testKey('p384', slot));
  const intermediate = caCert(`C=US, ST=WA, O=notary-pin test, CN=Test Intermediate ${slot}`, testKey('p256', 100 + slot), root);
  const leaf = leafCert(leafKey, intermediate, leafExtra);
  return { root, intermediate, leaf, chain: [leaf, intermediate, root] };
}

/** sha256:<hex> of bytes. */
export function sha256Digest(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
