import { describe, expect, it } from 'vitest';
import { isPinError } from '../../../errors/errors.js';
import {
  base64Bytes,
  MetaRoleSchema,
  parseOrThrow,
  rfc3339,
  RootSchema,
  SignedEnvelopeSchema,
  TargetsSchema,
} from './schema.js';

const ctx = { gun: 'example.com/app', role: 'targets' };

describe('schemas', () => {
  it('decodes base64 strictly (padding required, CR/LF ignored as Go does)', () => {
    expect([...base64Bytes.parse('AQID')]).toEqual([1, 2, 3]);
    expect([...base64Bytes.parse('AQ\nID')]).toEqual([1, 2, 3]);
    expect(base64Bytes.safeParse('AQI').success).toBe(false);
    expect(base64Bytes.safeParse('AQ-_').success).toBe(false);
    expect(base64Bytes.safeParse('A QID').success).toBe(false);
  });

  it('reads RFC 3339 times as Go writes them (nanoseconds, offsets) and rejects others', () => {
    expect(rfc3339.parse('2036-11-22T10:44:28.444854711Z').toISOString()).toBe('2036-11-22T10:44:28.444Z');
    expect(rfc3339.parse('2026-01-01T01:00:00+01:00').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    for (const bad of ['2026-02-30T00:00:00Z', '2026-01-01 00:00:00Z', '2026-01-01T00:00:00', '1767225600', '2026-13-01T00:00:00Z']) {
      expect(rfc3339.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('tolerates fields notary adds or omits: unknown keys, null maps, missing delegations', () => {
    const t = TargetsSchema.parse({
      _type: 'Targets',
      version: 3,
      expires: '2030-01-01T00:00:00Z',
      targets: null,
      extra: { anything: true },
    });
    expect(t.targets).toEqual({});
    expect(t.delegations).toEqual({ keys: {}, roles: [] });
    const s = SignedEnvelopeSchema.parse({ signed: {}, signatures: null });
    expect(s.signatures).toEqual([]);
    const withCustom = TargetsSchema.parse({
      _type: 'Targets',
      version: 1,
      expires: '2030-01-01T00:00:00Z',
      targets: { v1: { length: 3, hashes: { sha256: 'AQID' }, custom: { x: 1 } } },
    });
    expect(withCustom.targets['v1']?.length).toBe(3);
  });

  it('lower-cases signature methods as notary does', () => {
    expect(SignedEnvelopeSchema.parse({ signed: {}, signatures: [{ keyid: 'k', method: 'ECDSA', sig: 'AQID' }] }).signatures[0]?.method).toBe('ecdsa');
  });

  it('rejects wrong types as TRUST_MALFORMED naming the role and the field', () => {
    const bad = [
      [RootSchema, { _type: 'Root', version: '1', expires: '2030-01-01T00:00:00Z' }],
      [MetaRoleSchema, { _type: 'Snapshot', version: 1.5, expires: '2030-01-01T00:00:00Z' }],
      [TargetsSchema, { _type: 'Targets', version: 1, expires: '2030-01-01T00:00:00Z', targets: { a: { length: -1, hashes: {} } } }],
      [SignedEnvelopeSchema, { signed: [], signatures: [] }],
      [SignedEnvelopeSchema, { signed: {}, signatures: [{ keyid: 'k', method: 'ecdsa', sig: '!!' }] }],
    ] as const;
    for (const [schema, value] of bad) {
      try {
        parseOrThrow(schema, value, ctx);
        throw new Error('expected failure');
      } catch (e) {
        expect(isPinError(e) && e.code).toBe('TRUST_MALFORMED');
        expect(isPinError(e) && e.role).toBe('targets');
        expect((e as Error).message).toContain('example.com/app');
      }
    }
  });
});
