import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalString, parseJsonBytes } from './canonical.js';
import { isPinError } from '../../../errors/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const canon = (json: string) => canonicalString(parseJsonBytes(enc(json)));

function malformed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isPinError(e) && e.code).toBe('TRUST_MALFORMED');
    return;
  }
  throw new Error('expected TRUST_MALFORMED');
}

describe('canonical JSON (docker/go MarshalCanonical)', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canon('{ "b": 1, "a": [ 1, 2, { "d": null, "c": true } ], "_type": "Root" }')).toBe(
      '{"_type":"Root","a":[1,2,{"c":true,"d":null}],"b":1}',
    );
  });

  it('sorts keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const s = canon('{"\u{1F600}":1,"\uFF5E":2,"Z":3,"a":4}');
    expect(s).toBe('{"Z":3,"a":4,"\uFF5E":2,"\u{1F600}":1}');
  });

  it('escapes only quote and backslash; control and non-ASCII characters stay raw', () => {
    const s = canon('{"k":"a\\"b\\\\c\\n\\t\\u0001<>&\\u2028é\\u00e9"}');
    expect(s).toBe('{"k":"a\\"b\\\\c\n\t\u0001<>&\u2028éé"}');
    expect(Buffer.from(canonicalBytes({ k: 'é' })).toString('hex')).toBe(Buffer.from('{"k":"é"}').toString('hex'));
  });

  it('writes integral numbers as integers (float64 → int64), whatever their JSON spelling', () => {
    expect(canon('[1.0, 1e2, -0, 100, 9007199254740993, 1E3, -5]')).toBe('[1,100,0,100,9007199254740992,1000,-5]');
    expect(canon('[123456789012]')).toBe('[123456789012]');
  });

  it('rejects non-integral numbers and numbers beyond int64', () => {
    malformed(() => canon('{"a":1.5}'));
    malformed(() => canon('[1e300]'));
  });

  it('rejects invalid UTF-8, lone surrogates and invalid JSON', () => {
    malformed(() => parseJsonBytes(Uint8Array.from([0x22, 0xff, 0x22])));
    malformed(() => canon('{"a":"\\ud800"}'));
    malformed(() => canon('{"\\udc00":1}'));
    malformed(() => parseJsonBytes(enc('{"a":')));
    // a correct surrogate pair is fine
    expect(canon('["\\ud83d\\ude00"]')).toBe('["\u{1F600}"]');
  });

  it('keeps the last of duplicate keys, as Go decoding into a map does', () => {
    expect(canon('{"a":1,"a":2}')).toBe('{"a":2}');
  });

  it('encodes empty containers and nesting', () => {
    expect(canon('{"a":{},"b":[],"c":[[]],"d":""}')).toBe('{"a":{},"b":[],"c":[[]],"d":""}');
  });
});

describe('canonicalString against a plain reference encoder', () => {
  /** The rules written out naively: UTF-8 byte order for keys, only `"` and `\` escaped. */
  const reference = (v: unknown): string => {
    if (typeof v === 'string') return `"${v.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
    if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
    const keys = Object.keys(v as object).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${reference(k)}:${reference((v as Record<string, unknown>)[k])}`).join(',')}}`;
  };
  const alphabet = ['a', 'B', 'z', '0', '_', '-', '"', '\\', '\n', '\u0001', '\u007f', 'é', '\uff5e', '\u{1f600}', ' ', '~', '[', 'Z'];
  let seed = 11;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const str = (asciiOnly: boolean) => Array.from({ length: rnd(6) }, () => alphabet[rnd(asciiOnly ? 10 : alphabet.length)]!).join('');
  const value = (depth: number): unknown => {
    const pick = rnd(depth > 2 ? 3 : 5);
    if (pick === 0) return str(rnd(2) === 0);
    if (pick === 1) return rnd(1000) - 500;
    if (pick === 2) return [true, false, null][rnd(3)];
    if (pick === 3) return Array.from({ length: rnd(4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(6); i > 0; i--) o[str(rnd(3) !== 0)] = value(depth + 1);
    return o;
  };

  it('agrees on 500 generated values (ASCII and non-ASCII keys, escapes, control characters)', () => {
    for (let i = 0; i < 500; i++) {
      const v = value(0);
      expect(canonicalString(v)).toBe(reference(v));
    }
  });
});
