/**
 * Decodes a Notary Project COSE envelope: COSE_Sign1_Tagged (CBOR tag 18, RFC 9052 §4.2) with
 * cborg. Notary Project signature-envelope-cose.md. Signature maths is done by the verifier.
 */
import { decode, encode, Tagged, type DecodeOptions } from 'cborg';
import type { SignatureAlg } from '../cert-chain.js';
import { ATTR, checkCritical, envelopeError, parseScheme, type DecodedEnvelope } from './decoded.js';

const COSE_SIGN1_TAG = 18;
const EPOCH_TAG = 1;
const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;
/** RFC 9053 algorithm identifiers for the Notary Project algorithms. */
const COSE_ALGS: Readonly<Record<number, SignatureAlg>> = { [-37]: 'PS256', [-38]: 'PS384', [-39]: 'PS512', [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512' };

type Header = Map<string | number, unknown>;

const OUTER: DecodeOptions = {
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowNaN: false,
  allowInfinity: false,
  tags: { [COSE_SIGN1_TAG]: Tagged.decoder(COSE_SIGN1_TAG) },
};
const PROTECTED: DecodeOptions = { ...OUTER, tags: { [EPOCH_TAG]: Tagged.decoder(EPOCH_TAG) } };

function cbor(bytes: Uint8Array, opts: DecodeOptions, what: string): unknown {
  try {
    return decode(bytes, opts);
  } catch (e) {
    throw envelopeError(`(COSE) ${what} is not valid CBOR (${(e as Error).message})`);
  }
}

const nameOf = (label: string | number): string => (typeof label === 'number' ? `label:${label}` : label);

/** An epoch date-time (tag 1 around an integer or float), or undefined when absent. */
function time(h: Header, name: string): Date | undefined {
  const v = h.get(name);
  if (v === undefined) return undefined;
  if (!(v instanceof Tagged) || v.tag !== EPOCH_TAG || typeof v.value !== 'number' || !Number.isFinite(v.value))
    throw envelopeError(`(COSE) has ${name} that is not an epoch date-time (tag 1)`);
  return new Date(v.value * 1000);
}

function bstr(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw envelopeError(`(COSE) has a ${what} that is not a byte string`);
  return v;
}

/** x5chain: one bstr or an array of bstr, in the unprotected (or protected) header. */
function chain(unprotected: Header, prot: Header): Uint8Array[] {
  if (unprotected.has(LABEL_X5CHAIN) && prot.has(LABEL_X5CHAIN)) throw envelopeError('(COSE) has x5chain in both headers');
  const v = unprotected.get(LABEL_X5CHAIN) ?? prot.get(LABEL_X5CHAIN);
  if (v instanceof Uint8Array) return [v];
  if (!Array.isArray(v) || v.length === 0) throw envelopeError('(COSE) has no x5chain (label 33) certificate chain');
  return v.map((c, i) => bstr(c, `x5chain[${i}]`));
}

function decodeHeaders(protectedBytes: Uint8Array, unprotectedValue: unknown): { prot: Header; unprotected: Header } {
  if (protectedBytes.length === 0) throw envelopeError('(COSE) has an empty protected header');
  const prot = cbor(protectedBytes, PROTECTED, 'protected header');
  if (!(prot instanceof Map)) throw envelopeError('(COSE) protected header is not a map');
  if (!(unprotectedValue instanceof Map)) throw envelopeError('(COSE) unprotected header is not a map');
  for (const k of [...prot.keys(), ...unprotectedValue.keys()])
    if (typeof k !== 'string' && typeof k !== 'number') throw envelopeError('(COSE) has a header label that is neither an integer nor text');
  for (const k of unprotectedValue.keys()) if (prot.has(k)) throw envelopeError(`(COSE) has ${nameOf(k)} in both headers`);
  return { prot: prot as Header, unprotected: unprotectedValue as Header };
}

/** Decodes and checks the structure of a COSE_Sign1 envelope. Throws NOTATION_ENVELOPE / NOTATION_PLUGIN_REQUIRED. */
export function decodeCose(bytes: Uint8Array): DecodedEnvelope {
  const outer = cbor(bytes, OUTER, 'envelope');
  if (!(outer instanceof Tagged) || outer.tag !== COSE_SIGN1_TAG) throw envelopeError('(COSE) is not a COSE_Sign1_Tagged message (CBOR tag 18)');
  const msg = outer.value as unknown;
  if (!Array.isArray(msg) || msg.length !== 4) throw envelopeError('(COSE) COSE_Sign1 is not an array of four items');
  const protectedBytes = bstr(msg[0], 'protected header');
  const payload = msg[2] === null ? undefined : bstr(msg[2], 'payload');
  if (payload === undefined) throw envelopeError('(COSE) has a detached payload; the payload must be embedded');
  const signature = bstr(msg[3], 'signature');
  const { prot, unprotected } = decodeHeaders(protectedBytes, msg[1]);
  const algLabel = prot.get(LABEL_ALG);
  const alg = typeof algLabel === 'number' && Object.hasOwn(COSE_ALGS, algLabel) ? COSE_ALGS[algLabel] : undefined;
  if (alg === undefined) throw envelopeError(`(COSE) has alg ${String(prot.get(LABEL_ALG))}; PS256/384/512 or ES256/384/512 is required`);
  const crit = prot.get(LABEL_CRIT);
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((c) => typeof c !== 'string' && typeof c !== 'number'))
    throw envelopeError('(COSE) has no crit (label 2) list in its protected header');
  for (const c of crit) if (typeof c === 'number' && c >= 0 && c <= 8) throw envelopeError(`(COSE) lists the label ${c} in crit (labels 0-8 are not allowed)`);
  const cty = prot.get(LABEL_CONTENT_TYPE);
  if (typeof cty !== 'string') throw envelopeError('(COSE) has no text content type (label 3) in its protected header');
  const critical = (crit as (string | number)[]).map(nameOf);
  const protectedNames = new Set([...prot.keys()].map(nameOf));
  checkCritical({ critical, protectedNames });
  const ts = unprotected.get(ATTR.timestampSignature);
  return {
    format: 'cose',
    alg,
    contentType: cty,
    signingScheme: parseScheme(prot.get(ATTR.signingScheme)),
    signingTime: time(prot, ATTR.signingTime),
    authenticSigningTime: time(prot, ATTR.authenticSigningTime),
    expiry: time(prot, ATTR.expiry),
    critical,
    protectedNames,
    payload,
    // RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad (empty), payload].
    signingInput: encode(['Signature1', protectedBytes, new Uint8Array(0), payload]),
    signature,
    certificates: chain(unprotected, prot),
    timestampToken: ts === undefined ? undefined : bstr(ts, ATTR.timestampSignature),
  };
}
