/**
 * A Notary Project signer for tests: JWS and COSE envelopes (RSASSA-PSS and ECDSA) over a
 * subject descriptor, with options to break every envelope rule. Header encoding follows
 * notation-core-go (checked against its conformance vectors in signer.test.ts).
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { encode, Tagged } from 'cborg';
import type { Subject } from '../../../src/trust/notation/contracts.js';
import type { TestCert } from './pki.js';

export type Alg = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
export type Format = 'jws' | 'cose';

export const CTY = 'application/vnd.cncf.notary.payload.v1+json';
const HASH: Readonly<Record<Alg, string>> = { PS256: 'sha256', PS384: 'sha384', PS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
const SALT: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const COSE_ALG: Readonly<Record<Alg, number>> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };

/** The signed attributes of an envelope, before encoding. */
export interface Attributes {
  alg: Alg;
  cty?: string;
  scheme?: string;
  signingTime?: Date;
  authenticSigningTime?: Date;
  expiry?: Date;
  /** Extended attributes (JWS: any JSON value; COSE: any CBOR value). */
  extended?: ReadonlyArray<{ key: string; value: unknown; critical: boolean }>;
  /** Replaces the computed crit list. */
  crit?: ReadonlyArray<string | number>;
}

export interface SignOptions {
  format: Format;
  subject: Subject;
  /** Leaf first; the leaf's key signs unless `signingKey` is given. */
  chain: readonly TestCert[];
  signingKey?: KeyObject;
  /** Default: from the leaf key (RSA 2048 → PS256 …). */
  alg?: Alg;
  scheme?: 'notary.x509' | 'notary.x509.signingAuthority' | string;
  signingTime?: Date | null;
  authenticSigningTime?: Date;
  expiry?: Date;
  extended?: Attributes['extended'];
  crit?: Attributes['crit'];
  cty?: string;
  /** Replaces the payload bytes (default: `{"targetArtifact": subject}`). */
  payload?: Uint8Array;
  timestampToken?: Uint8Array;
  /** Countersigns the raw signature bytes (e.g. an RFC 3161 TSA) when `timestampToken` is not given. */
  timestamper?: (signature: Uint8Array) => Uint8Array;
  /** Attacks applied after signing. */
  tamper?: 'payload' | 'protected' | 'signature';
  /** COSE only: leave out CBOR tag 18. */
  untagged?: boolean;
}

export interface SignedEnvelope {
  readonly mediaType: 'application/jose+json' | 'application/cose';
  readonly envelope: Uint8Array;
  /** The raw signature bytes (what a timestamp countersigns). */
  readonly signature: Uint8Array;
}

/** The algorithm notation picks for a key. */
export function algForKey(spec: string): Alg {
  const map: Record<string, Alg> = { rsa2048: 'PS256', rsa3072: 'PS384', rsa4096: 'PS512', p256: 'ES256', p384: 'ES384', p521: 'ES512' };
  return map[spec] ?? 'PS256';
}

function critList(a: Attributes, format: Format): Array<string | number> {
  if (a.crit !== undefined) return [...a.crit];
  const ext = (a.extended ?? []).filter((e) => e.critical).map((e) => e.key);
  const own = ['io.cncf.notary.signingScheme'];
  if (a.authenticSigningTime !== undefined) own.push('io.cncf.notary.authenticSigningTime');
  // notation-core-go: JWS lists the extended critical keys before expiry, COSE after.
  return format === 'jws'
    ? [...own, ...ext, ...(a.expiry ? ['io.cncf.notary.expiry'] : [])]
    : [...own, ...(a.expiry ? ['io.cncf.notary.expiry'] : []), ...ext];
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The JWS protected header JSON (keys sorted, as Go's encoding/json writes a map). */
export function jwsProtectedHeader(a: Attributes): string {
  const h: Record<string, unknown> = { alg: a.alg, crit: critList(a, 'jws'), cty: a.cty ?? CTY };
  if (a.scheme !== undefined) h['io.cncf.notary.signingScheme'] = a.scheme;
  if (a.signingTime) h['io.cncf.notary.signingTime'] = rfc3339(a.signingTime);
  if (a.authenticSigningTime) h['io.cncf.notary.authenticSigningTime'] = rfc3339(a.authenticSigningTime);
  if (a.expiry) h['io.cncf.notary.expiry'] = rfc3339(a.expiry);
  for (const e of a.extended ?? []) h[e.key] = e.value;
  return JSON.stringify(Object.fromEntries(Object.entries(h).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))));
}

/** The COSE protected header bytes (a CBOR map; cborg sorts keys canonically, as go-cose does). */
export function coseProtectedHeader(a: Attributes): Uint8Array {
  const h = new Map<string | number, unknown>([
    [1, COSE_ALG[a.alg]],
    [2, critList(a, 'cose')],
    [3, a.cty ?? CTY],
  ]);
  if (a.scheme !== undefined) h.set('io.cncf.notary.signingScheme', a.scheme);
  const epoch = (d: Date) => new Tagged(1, Math.floor(d.getTime() / 1000));
  if (a.signingTime) h.set('io.cncf.notary.signingTime', epoch(a.signingTime));
  if (a.authenticSigningTime) h.set('io.cncf.notary.authenticSigningTime', epoch(a.authenticSigningTime));
  if (a.expiry) h.set('io.cncf.notary.expiry', epoch(a.expiry));
  for (const e of a.extended ?? []) h.set(e.key, e.value);
  return encode(h);
}

function rawSign(alg: Alg, key: KeyObject, data: Uint8Array): Uint8Array {
  const hash = HASH[alg];
  return alg.startsWith('PS')
    ? sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[hash]! })
    : sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

function flip(b: Uint8Array, at = b.length - 1): Uint8Array {
  const c = new Uint8Array(b);
  c[at] = c[at]! ^ 0x01;
  return c;
}

/** Signs `subject` and returns the envelope bytes. */
export function signEnvelope(o: SignOptions): SignedEnvelope {
  const leaf = o.chain[0]!;
  const alg = o.alg ?? algForKey(leaf.key.spec);
  const scheme = o.scheme ?? 'notary.x509';
  const attrs: Attributes = {
    alg,
    cty: o.cty,
    scheme,
    signingTime: o.signingTime === null ? undefined : o.signingTime ?? (scheme === 'notary.x509' ? new Date('2024-01-01T00:00:00Z') : undefined),
    authenticSigningTime: o.authenticSigningTime,
    expiry: o.expiry,
    extended: o.extended,
    crit: o.crit,
  };
  const payload = o.payload ?? Buffer.from(JSON.stringify({ targetArtifact: { mediaType: o.subject.mediaType, digest: o.subject.digest, size: o.subject.size } }));
  const key = o.signingKey ?? leaf.key.privateKey;
  return o.format === 'jws' ? signJws(o, attrs, payload, key) : signCose(o, attrs, payload, key);
}

function signJws(o: SignOptions, attrs: Attributes, payload: Uint8Array, key: KeyObject): SignedEnvelope {
  let protectedB64 = Buffer.from(jwsProtectedHeader(attrs)).toString('base64url');
  let payloadB64 = Buffer.from(payload).toString('base64url');
  let signature = rawSign(attrs.alg, key, Buffer.from(`${protectedB64}.${payloadB64}`));
  if (o.tamper === 'payload') payloadB64 = Buffer.from(flip(payload, payload.length - 3)).toString('base64url');
  if (o.tamper === 'protected') protectedB64 = Buffer.from(jwsProtectedHeader({ ...attrs, signingTime: new Date('2024-01-02T00:00:00Z') })).toString('base64url');
  if (o.tamper === 'signature') signature = flip(signature);
  const header: Record<string, unknown> = { x5c: o.chain.map((c) => Buffer.from(c.der).toString('base64')), 'io.cncf.notary.signingAgent': 'notary-pin-test/1.0' };
  const token = o.timestampToken ?? o.timestamper?.(signature);
  if (token) header['io.cncf.notary.timestampSignature'] = Buffer.from(token).toString('base64');
  const env = { payload: payloadB64, protected: protectedB64, header, signature: Buffer.from(signature).toString('base64url') };
  return { mediaType: 'application/jose+json', envelope: Buffer.from(JSON.stringify(env)), signature };
}

function signCose(o: SignOptions, attrs: Attributes, payload: Uint8Array, key: KeyObject): SignedEnvelope {
  let prot = coseProtectedHeader(attrs);
  let signature = rawSign(attrs.alg, key, encode(['Signature1', prot, new Uint8Array(0), payload]));
  let body = payload;
  if (o.tamper === 'payload') body = flip(payload, payload.length - 3);
  if (o.tamper === 'protected') prot = coseProtectedHeader({ ...attrs, signingTime: new Date('2024-01-02T00:00:00Z') });
  if (o.tamper === 'signature') signature = flip(signature);
  const unprotected = new Map<string | number, unknown>([
    [33, o.chain.map((c) => c.der)],
    ['io.cncf.notary.signingAgent', 'notary-pin-test/1.0'],
  ]);
  const token = o.timestampToken ?? o.timestamper?.(signature);
  if (token) unprotected.set('io.cncf.notary.timestampSignature', token);
  const msg = [prot, unprotected, body, signature];
  return { mediaType: 'application/cose', envelope: encode(o.untagged ? msg : new Tagged(18, msg)), signature };
}
