/**
 * Canonical JSON exactly as Notary signs and verifies it (docker/go `json.MarshalCanonical` of the
 * decoded `signed`): keys sorted byte-wise on UTF-8, no whitespace, only `"` and `\` escaped, integers
 * only (as int64). Unlike Go, invalid UTF-8, lone surrogates and integers outside int64 are rejected.
 */
import { PinError } from '../../../errors/errors.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

const INT64_LIMIT = 2n ** 63n;

function malformed(message: string): PinError {
  return new PinError({
    code: 'TRUST_MALFORMED',
    message,
    hint: 'the trust data is not valid TUF JSON; it may be corrupt or tampered with',
  });
}

/** Parses JSON bytes as Go's decoder would (strict UTF-8, numbers as float64); TRUST_MALFORMED otherwise. */
export function parseJsonBytes(bytes: Uint8Array, what = 'metadata'): unknown {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new PinError({
      code: 'TRUST_MALFORMED',
      message: `${what} is not valid UTF-8`,
      hint: 'the trust data is corrupt or tampered with',
      cause,
    });
  }
  // Go's decoder does not accept a BOM either; JSON.parse rejects it as an unexpected token.
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new PinError({
      code: 'TRUST_MALFORMED',
      message: `${what} is not valid JSON: ${(cause as Error).message}`,
      hint: 'the trust data is corrupt or tampered with',
      cause,
    });
  }
}

/** A lone UTF-16 surrogate (Go would have replaced it with U+FFFD when decoding). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Printable ASCII without `"` and `\`: written as is (the common case, no regex needed). */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function encodeString(s: string, out: string[]): void {
  if (PLAIN_ASCII.test(s)) {
    out.push('"', s, '"');
    return;
  }
  if (!isWellFormed(s)) throw malformed('string contains a lone UTF-16 surrogate');
  // Only `\` and `"` are escaped in canonical mode.
  out.push('"', s.replace(/[\\"]/g, (c) => '\\' + c), '"');
}

const ASCII = /^[\x00-\x7f]*$/;

/** Object keys in Go's order (byte-wise on UTF-8; for ASCII keys that is JavaScript's own order). */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  if (keys.every((k) => ASCII.test(k))) return keys.sort();
  const entries = keys.map((k) => {
    if (!isWellFormed(k)) throw malformed('object key contains a lone UTF-16 surrogate');
    return { k, b: utf8Encoder.encode(k) };
  });
  entries.sort((x, y) => compareUtf8(x.b, y.b));
  return entries.map((e) => e.k);
}

function encodeNumber(n: number, out: string[]): void {
  if (!Number.isFinite(n) || Math.floor(n) !== n) {
    throw malformed(`floating point number ${String(n)} is not allowed in canonical JSON`);
  }
  const big = BigInt(n);
  if (big >= INT64_LIMIT || big < -INT64_LIMIT) {
    throw malformed(`number ${String(n)} is outside the int64 range`);
  }
  out.push(big.toString());
}

function encodeValue(v: unknown, out: string[], depth: number): void {
  if (depth > 100) throw malformed('JSON nesting is too deep');
  if (v === null) {
    out.push('null');
  } else if (v === true) {
    out.push('true');
  } else if (v === false) {
    out.push('false');
  } else if (typeof v === 'string') {
    encodeString(v, out);
  } else if (typeof v === 'number') {
    encodeNumber(v, out);
  } else if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      encodeValue(v[i], out, depth + 1);
    }
    out.push(']');
  } else if (typeof v === 'object') {
    const keys = sortedKeys(v);
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.push(',');
      encodeString(keys[i]!, out);
      out.push(':');
      encodeValue((v as Record<string, unknown>)[keys[i]!], out, depth + 1);
    }
    out.push('}');
  } else {
    throw malformed(`value of type ${typeof v} cannot be encoded as JSON`);
  }
}

export function canonicalString(value: unknown): string {
  const out: string[] = [];
  encodeValue(value, out, 0);
  return out.join('');
}

/** The canonical JSON bytes (UTF-8) of a parsed JSON value: the bytes Notary signs and verifies. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(canonicalString(value));
}
