/**
 * Test-only X.509 certificates: Node cannot create them, so a minimal DER encoder for v3 certificates
 * like Notary's root key certificates (`utils.NewCertificate`: CN = GUN, code-signing EKU, CA:false)
 * and for test CAs, signed with Node crypto.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...lengthBytes(content.length)]), content]));
}

const cat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

export const der = {
  seq: (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(parts)),
  set: (...parts: Uint8Array[]): Uint8Array => tlv(0x31, cat(parts)),
  int(value: bigint | number): Uint8Array {
    let v = BigInt(value);
    if (v < 0n) throw new Error('negative INTEGER not supported');
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
    return tlv(0x02, Uint8Array.from(bytes));
  },
  oid(dotted: string): Uint8Array {
    const arcs = dotted.split('.').map(Number);
    const [a = 0, b = 0, ...rest] = arcs;
    const out: number[] = [];
    for (const arc of [40 * a + b, ...rest]) {
      const groups: number[] = [];
      let v = arc;
      do {
        groups.unshift(v & 0x7f);
        v = Math.floor(v / 128);
      } while (v > 0);
      groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
    }
    return tlv(0x06, Uint8Array.from(out));
  },
  utf8: (s: string): Uint8Array => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8'))),
  bool: (b: boolean): Uint8Array => tlv(0x01, Uint8Array.from([b ? 0xff : 0])),
  null: (): Uint8Array => Uint8Array.from([0x05, 0x00]),
  octets: (b: Uint8Array): Uint8Array => tlv(0x04, b),
  bits: (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, cat([Uint8Array.from([unused]), b])),
  explicit: (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner),
  /** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5). */
  time(d: Date): Uint8Array {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const y = d.getUTCFullYear();
    const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
    if (y >= 1950 && y < 2050) return tlv(0x17, new Uint8Array(Buffer.from(`${p(y % 100)}${rest}`, 'latin1')));
    return tlv(0x18, new Uint8Array(Buffer.from(`${p(y, 4)}${rest}`, 'latin1')));
  },
};

function name(cn: string): Uint8Array {
  return der.seq(der.set(der.seq(der.oid('2.5.4.3'), der.utf8(cn))));
}

function signatureAlgorithm(issuerKey: KeyObject): { alg: Uint8Array; hash: string | null } {
  switch (issuerKey.asymmetricKeyType) {
    case 'ec':
      return { alg: der.seq(der.oid('1.2.840.10045.4.3.2')), hash: 'sha256' }; // ecdsa-with-SHA256
    case 'rsa':
      return { alg: der.seq(der.oid('1.2.840.113549.1.1.11'), der.null()), hash: 'sha256' }; // sha256WithRSA
    case 'ed25519':
      return { alg: der.seq(der.oid('1.3.101.112')), hash: null };
    default:
      throw new Error(`unsupported issuer key type ${String(issuerKey.asymmetricKeyType)}`);
  }
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octets(value));
}

export interface CertificateOptions {
  /** Subject common name (for a Notary root key: the GUN). */
  readonly subjectCN: string;
  readonly publicKey: KeyObject;
  /** Signing key and its name; omit for a self-signed certificate (then `selfSignKey` is required). */
  readonly issuer?: { readonly cn: string; readonly privateKey: KeyObject };
  readonly selfSignKey?: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA certificate (basicConstraints CA:true, keyCertSign). Default false. */
  readonly isCA?: boolean;
  readonly serial?: bigint;
  /** IPv4 subject alternative names (e.g. `127.0.0.1` for a TLS server certificate). */
  readonly ipAddresses?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** A TLS server certificate (extended key usage serverAuth instead of codeSigning). */
  readonly serverAuth?: boolean;
}

/** subjectAltName: [2] dNSName (IA5String), [7] iPAddress (4 octets). */
function subjectAltName(dns: readonly string[], ips: readonly string[]): Uint8Array {
  const names = [
    ...dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map((ip) => {
      const parts = ip.split('.').map(Number);
      if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${ip}`);
      return tlv(0x87, Uint8Array.from(parts));
    }),
  ];
  return extension('2.5.29.17', false, der.seq(...names));
}

export function createCertificate(o: CertificateOptions): Uint8Array {
  const issuerKey = o.issuer?.privateKey ?? o.selfSignKey;
  if (!issuerKey) throw new Error('createCertificate: give issuer or selfSignKey');
  const issuerCN = o.issuer?.cn ?? o.subjectCN;
  const { alg, hash } = signatureAlgorithm(issuerKey);
  const serial = o.serial ?? BigInt('0x' + randomBytes(16).toString('hex')) >> 1n;
  const spki = new Uint8Array(o.publicKey.export({ format: 'der', type: 'spki' }));
  const exts = o.isCA
    ? [
        extension('2.5.29.19', true, der.seq(der.bool(true))), // basicConstraints CA:true
        extension('2.5.29.15', true, der.bits(Uint8Array.from([0x86]), 1)), // digitalSignature, keyCertSign, cRLSign
      ]
    : [
        extension('2.5.29.15', true, der.bits(Uint8Array.from([0x80]), 7)), // digitalSignature
        // extendedKeyUsage: serverAuth for TLS servers, codeSigning for Notary root keys
        extension('2.5.29.37', false, der.seq(der.oid(o.serverAuth ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.3'))),
        extension('2.5.29.19', true, der.seq()), // basicConstraints CA:false
        ...(o.ipAddresses?.length || o.dnsNames?.length ? [subjectAltName(o.dnsNames ?? [], o.ipAddresses ?? [])] : []),
      ];
  const tbs = der.seq(
    der.explicit(0, der.int(2)),
    der.int(serial),
    alg,
    name(issuerCN),
    der.seq(der.time(o.notBefore), der.time(o.notAfter)),
    name(o.subjectCN),
    spki,
    der.explicit(3, der.seq(...exts)),
  );
  const signature = sign(hash, tbs, issuerKey);
  return der.seq(tbs, alg, der.bits(new Uint8Array(signature)));
}

