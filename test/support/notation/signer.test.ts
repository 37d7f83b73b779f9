/**
 * The test signer encodes protected headers exactly as notation-core-go does: compared with its
 * conformance vectors (test/fixtures/notation/conformance), and round-tripped through our decoders.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCose } from '../../../src/trust/notation/envelope/cose.js';
import { decodeJws } from '../../../src/trust/notation/envelope/jws.js';
import { makeChain, testKey } from './pki.js';
import { coseProtectedHeader, jwsProtectedHeader, signEnvelope } from './signer.js';

const FIX = new URL('../../fixtures/notation/conformance/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, FIX), 'utf8'));

describe('test signer header encoding (notation-core-go conformance vectors)', () => {
  it('JWS protected header is byte-identical to jws-conformance.json', () => {
    const v = read('jws-conformance.json');
    const mine = jwsProtectedHeader({
      alg: 'ES256',
      scheme: 'notary.x509',
      signingTime: new Date('2022-08-29T13:50:00Z'),
      expiry: new Date('2099-08-30T13:50:00Z'),
      extended: [
        { key: 'signedCritKey1', value: 'signedCritValue1', critical: true },
        ...[1, 2, 3, 4].map((i) => ({ key: `signedKey${i}`, value: 'signedValue1', critical: false })),
      ],
    });
    expect(Buffer.from(mine).toString('base64url')).toBe(v.protected);
  });

  it('COSE protected header is byte-identical to cose-conformance.json', () => {
    const v = read('cose-conformance.json');
    const mine = coseProtectedHeader({
      alg: 'PS384',
      scheme: 'notary.x509',
      signingTime: new Date(v.signingTime * 1000),
      expiry: new Date(v.expiry * 1000),
      extended: [
        { key: 'signedKey1', value: 'signedValue1', critical: false },
        { key: 'signedCritKey1', value: 'signedCritValue1', critical: true },
      ],
    });
    expect(Buffer.from(mine).toString('hex').toUpperCase()).toBe(v.protectedHeaders.cborHex);
  });

  it.each(['jws', 'cose'] as const)('%s envelopes it makes decode to what it signed', (format) => {
    const { chain } = makeChain(testKey('p256'));
    const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 7 };
    const expiry = new Date('2100-01-01T00:00:00Z');
    const s = signEnvelope({ format, subject, chain, expiry });
    const env = format === 'jws' ? decodeJws(s.envelope) : decodeCose(s.envelope);
    expect(env.alg).toBe('ES256');
    expect(env.expiry).toEqual(expiry);
    expect(env.certificates.map((c) => Buffer.from(c))).toEqual(chain.map((c) => Buffer.from(c.der)));
    expect(Buffer.from(env.signature)).toEqual(Buffer.from(s.signature));
    expect(JSON.parse(Buffer.from(env.payload).toString()).targetArtifact).toEqual(subject);
  });
});
