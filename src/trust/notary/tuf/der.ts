/**
 * A minimal DER reader for what Node's `X509Certificate` does not expose exactly (subject CN, validity
 * dates, signature algorithm); failures throw a plain `DerError` that certs.ts turns into a PinError.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export interface DerNode {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly raw: Uint8Array;
}

export function readNode(buf: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated DER header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let lenByte = buf[offset + 1]!;
  let pos = offset + 2;
  let length: number;
  if (lenByte < 0x80) {
    length = lenByte;
  } else {
    lenByte &= 0x7f;
    if (lenByte === 0 || lenByte > 4) throw new DerError('unsupported DER length');
    if (pos + lenByte > buf.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < lenByte; i++) length = length * 256 + buf[pos + i]!;
    pos += lenByte;
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError('truncated DER content');
  return {
    node: { tag, content: buf.subarray(pos, end), raw: buf.subarray(offset, end) },
    next: end,
  };
}

/** The children of a constructed element (SEQUENCE, SET, explicit tag). */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let pos = 0;
  while (pos < node.content.length) {
    const { node: child, next } = readNode(node.content, pos);
    out.push(child);
    pos = next;
  }
  return out;
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const b of content) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** Decodes a UTCTime (0x17) or GeneralizedTime (0x18) in the forms RFC 5280 allows (…Z). */
export function decodeTime(node: DerNode): Date {
  const s = Buffer.from(node.content).toString('latin1');
  let m: RegExpMatchArray | null;
  let year: number;
  if (node.tag === 0x17) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw new DerError(`bad UTCTime ${s}`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === 0x18) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
    if (!m) throw new DerError(`bad GeneralizedTime ${s}`);
    year = Number(m[1]);
  } else {
    throw new DerError('expected a time');
  }
  const t = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(t)) throw new DerError(`bad time ${s}`);
  return new Date(t);
}

/** The parts of an X.509 certificate Notary's checks need. */
export interface CertFields {
  /** The last commonName attribute of the subject (Go `pkix.Name.CommonName`); '' if none. */
  readonly subjectCN: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  /** The subjectPublicKeyInfo element as encoded in the certificate (Go `RawSubjectPublicKeyInfo`). */
  readonly spki: Uint8Array;
}

const OID_CN = '2.5.4.3';

function decodeDirectoryString(node: DerNode): string {
  switch (node.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: true }).decode(node.content);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // T61String (Go decodes as latin1)
      return Buffer.from(node.content).toString('latin1');
    case 0x1e: {
      // BMPString
      const c = node.content;
      let out = '';
      for (let i = 0; i + 1 < c.length; i += 2) out += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return out;
    }
    default:
      throw new DerError(`unsupported string type 0x${node.tag.toString(16)} in name`);
  }
}

function subjectCommonName(name: DerNode): string {
  let cn = '';
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [oid, value] = children(atv);
      if (oid?.tag === 0x06 && value && decodeOid(oid.content) === OID_CN) cn = decodeDirectoryString(value);
    }
  }
  return cn;
}

export function parseCertFields(der: Uint8Array): CertFields {
  const { node: cert, next } = readNode(der);
  if (cert.tag !== 0x30 || next !== der.length) throw new DerError('not a DER certificate');
  const [tbs, sigAlg] = children(cert);
  if (!tbs || tbs.tag !== 0x30 || !sigAlg || sigAlg.tag !== 0x30) throw new DerError('bad certificate structure');
  const fields = children(tbs);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i = 1; // [0] version
  // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const validity = fields[i + 3];
  const subject = fields[i + 4];
  const spki = fields[i + 5];
  if (!validity || validity.tag !== 0x30 || !subject || subject.tag !== 0x30 || !spki || spki.tag !== 0x30) {
    throw new DerError('bad TBSCertificate structure');
  }
  const [nb, na] = children(validity);
  if (!nb || !na) throw new DerError('bad validity');
  const [algOid] = children(sigAlg);
  if (!algOid || algOid.tag !== 0x06) throw new DerError('bad signature algorithm');
  return {
    subjectCN: subjectCommonName(subject),
    notBefore: decodeTime(nb),
    notAfter: decodeTime(na),
    signatureAlgorithm: decodeOid(algOid.content),
    spki: spki.raw,
  };
}
