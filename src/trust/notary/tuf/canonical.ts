/**
 * Canonical JSON exactly as Notary produces it for signing and verification.
 *
 * Notary (tuf/signed/verify.go `VerifySignatures`) does not verify the raw bytes of `signed`: it
 * decodes them into a `map[string]interface{}` with github.com/docker/go/canonical/json and
 * re-encodes with `json.MarshalCanonical`. The signature must match that re-encoding. Its rules:
 *
 * - objects: keys sorted by Go string order (byte-wise on UTF-8), no whitespace at all;
 * - strings: only `"` and `\` are escaped; every other character, control characters and non-ASCII
 *   included, is written raw as UTF-8 (the canonical mode of docker/go's `encodeState.string`);
 * - numbers: decoded as float64; a non-integer (or NaN/Inf) is an error ("floating point number"),
 *   an integer is written as `strconv.AppendInt(int64(f))` (docker/go PR #1, "encode non-fatal
 *   floats as integers in canonical mode"), so `1.0`, `1e2` and `100` all become integers;
 * - `true`, `false`, `null` as is; arrays in order.
 *
 * Deviations, all fail-closed: invalid UTF-8 in the input and lone UTF-16 surrogates (which Go would
 * silently turn into U+FFFD) and integers outside the int64 range are rejected as malformed.
 */
import { PinError } from '../../../errors/errors.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

const INT64_LIMIT = 2n ** 63n;

/** Thrown (as a PinError TRUST_MALFORMED) for input canonical JSON cannot represent. */
function malformed(message: string): PinError {
  return new PinError({
    code: 'TRUST_MALFORMED',
    message,
    hint: 'the trust data is not valid TUF JSON; it may be corrupt or tampered with',
  });
}

/**
 * Parses JSON bytes as Go's decoder would (strict UTF-8, numbers as float64). Throws a
 * TRUST_MALFORMED PinError for invalid UTF-8 or invalid JSON.
 */
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

/**
 * Object keys in Go's order (byte-wise on UTF-8). For ASCII keys that is JavaScript's own string
 * order (UTF-16 code units equal the bytes); otherwise the keys are compared as UTF-8.
 */
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

/** The canonical JSON text of a parsed JSON value (docker/go `MarshalCanonical`). */
export function canonicalString(value: unknown): string {
  const out: string[] = [];
  encodeValue(value, out, 0);
  return out.join('');
}

/** The canonical JSON bytes (UTF-8) of a parsed JSON value: the bytes Notary signs and verifies. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(canonicalString(value));
}
