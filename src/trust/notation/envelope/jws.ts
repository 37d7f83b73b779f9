/**
 * Decodes a Notary Project JWS envelope (flattened JWS JSON serialisation, RFC 7515 §7.2.2).
 * Notary Project signature-envelope-jws.md. Signature maths is done by the verifier.
 */
import type { SignatureAlg } from '../cert-chain.js';
import {
  ATTR,
  checkCritical,
  envelopeError,
  parseScheme,
  type DecodedEnvelope,
} from './decoded.js';

const JWS_ALGS: readonly SignatureAlg[] = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** RFC 7515 §4.1 registered header names: never allowed in crit. */
const REGISTERED = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);
const B64URL = /^[A-Za-z0-9_-]*$/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function b64url(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !B64URL.test(v) || v.length % 4 === 1) throw envelopeError(`(JWS) has a ${what} that is not base64url`);
  return Buffer.from(v, 'base64url');
}

function b64(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || v === '' || !B64.test(v)) throw envelopeError(`(JWS) has a ${what} that is not base64`);
  return Buffer.from(v, 'base64');
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw envelopeError(`(JWS) ${what} is not JSON`);
  }
}

/** An RFC 3339 date-time, or undefined when absent. */
function time(v: unknown, name: string): Date | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'string' && RFC3339.test(v) ? new Date(v.toUpperCase()) : undefined;
  if (t === undefined || Number.isNaN(t.getTime())) throw envelopeError(`(JWS) has ${name} ${JSON.stringify(v)}, which is not an RFC 3339 time`);
  return t;
}

function parseChain(header: Record<string, unknown>): Uint8Array[] {
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) throw envelopeError('(JWS) has no x5c certificate chain in its unprotected header');
  return x5c.map((c, i) => b64(c, `x5c[${i}]`));
}

/** Decodes and checks the structure of a JWS envelope. Throws NOTATION_ENVELOPE / NOTATION_PLUGIN_REQUIRED. */
export function decodeJws(bytes: Uint8Array): DecodedEnvelope {
  const env = parseJson(bytes, 'envelope');
  if (!isObject(env)) throw envelopeError('(JWS) is not a JSON object');
  if (Object.hasOwn(env, 'signatures')) throw envelopeError('(JWS) uses the general serialisation; the flattened form with one signature is required');
  const protectedB64 = env.protected;
  const payloadB64 = env.payload;
  if (typeof protectedB64 !== 'string' || protectedB64 === '') throw envelopeError('(JWS) has no protected header');
  if (typeof payloadB64 !== 'string') throw envelopeError('(JWS) has no payload');
  const header = env.header;
  if (!isObject(header)) throw envelopeError('(JWS) has no unprotected header (x5c)');
  const prot = parseJson(b64url(protectedB64, 'protected header'), 'protected header');
  if (!isObject(prot)) throw envelopeError('(JWS) protected header is not a JSON object');
  const alg = prot.alg;
  if (!JWS_ALGS.includes(alg as SignatureAlg)) throw envelopeError(`(JWS) has alg ${JSON.stringify(alg)}; one of ${JWS_ALGS.join(', ')} is required`);
  const crit = prot.crit;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((c) => typeof c !== 'string'))
    throw envelopeError('(JWS) has no crit list of strings in its protected header');
  for (const c of crit as string[]) if (REGISTERED.has(c)) throw envelopeError(`(JWS) lists the registered header ${c} in crit`);
  for (const k of Object.keys(header))
    if (Object.hasOwn(prot, k)) throw envelopeError(`(JWS) has ${k} in both the protected and the unprotected header`);
  const cty = prot.cty;
  if (typeof cty !== 'string') throw envelopeError('(JWS) has no cty (content type) in its protected header');
  const critical = crit as string[];
  const protectedNames = new Set(Object.keys(prot));
  checkCritical({ critical, protectedNames });
  const ts = header[ATTR.timestampSignature];
  return {
    format: 'jws',
    alg: alg as SignatureAlg,
    contentType: cty,
    signingScheme: parseScheme(prot[ATTR.signingScheme]),
    signingTime: time(prot[ATTR.signingTime], ATTR.signingTime),
    authenticSigningTime: time(prot[ATTR.authenticSigningTime], ATTR.authenticSigningTime),
    expiry: time(prot[ATTR.expiry], ATTR.expiry),
    critical,
    protectedNames,
    payload: b64url(payloadB64, 'payload'),
    signingInput: Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'),
    signature: b64url(env.signature, 'signature'),
    certificates: parseChain(header),
    timestampToken: ts === undefined ? undefined : b64(ts, ATTR.timestampSignature),
  };
}
