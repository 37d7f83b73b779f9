/**
 * JWS and COSE decoders: structure rules not reachable through a signature that verifies
 * (each envelope here is hand-assembled from the test signer's output).
 */
import { encode, Tagged } from 'cborg';
import { describe, expect, it } from 'vitest';
import { PinError } from '../../../errors/errors.js';
import { makeChain, testKey } from '../../../../test/support/notation/pki.js';
import { coseProtectedHeader, jwsProtectedHeader, signEnvelope } from '../../../../test/support/notation/signer.js';
import { decodeCose } from './cose.js';
import { decodeJws } from './jws.js';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'3'.repeat(64)}`, size: 3 };
const { chain } = makeChain(testKey('p256'));
const ATTRS = { alg: 'ES256' as const, scheme: 'notary.x509', signingTime: new Date('2024-01-01T00:00:00Z') };

function refused(f: () => unknown, code: string, text: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe(code);
    expect((e as PinError).message).toMatch(text);
    return;
  }
  throw new Error('expected the envelope to be refused');
}

describe('decodeJws', () => {
  const jws = () => JSON.parse(Buffer.from(signEnvelope({ format: 'jws', subject: SUBJECT, chain }).envelope).toString());
  const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));
  const withProtected = (header: string) => ({ ...jws(), protected: Buffer.from(header).toString('base64url') });

  it.each([
    ['alg none', () => withProtected(JSON.stringify({ alg: 'none', crit: ['io.cncf.notary.signingScheme'], cty: 'x' })), /alg "none"/],
    ['alg HS256', () => withProtected(JSON.stringify({ alg: 'HS256', crit: ['io.cncf.notary.signingScheme'], cty: 'x' })), /alg "HS256"/],
    ['no crit', () => withProtected(JSON.stringify({ alg: 'ES256', cty: 'x', 'io.cncf.notary.signingScheme': 'notary.x509' })), /no crit/],
    ['registered header in crit', () => withProtected(jwsProtectedHeader({ ...ATTRS, crit: ['io.cncf.notary.signingScheme', 'alg'] })), /registered header alg in crit/],
    ['padded base64url', () => ({ ...jws(), payload: `${jws().payload}=` }), /not base64url/],
    ['x5c not base64', () => ({ ...jws(), header: { x5c: ['%%%'] } }), /x5c\[0\] that is not base64/],
    ['no x5c', () => ({ ...jws(), header: {} }), /no x5c/],
    ['header in both places', () => ({ ...jws(), header: { ...jws().header, alg: 'ES256' } }), /alg in both/],
    ['signing time not RFC 3339', () => withProtected(jwsProtectedHeader(ATTRS).replace('2024-01-01T00:00:00Z', '2024-01-01 00:00:00')), /not an RFC 3339 time/],
    ['protected header not JSON', () => ({ ...jws(), protected: Buffer.from('nope').toString('base64url') }), /not JSON/],
  ] as const)('refuses %s', (_, make, text) => refused(() => decodeJws(bytes(make())), 'NOTATION_ENVELOPE', text));

  it('accepts unknown unprotected header members, even prototype names', () => {
    const env = decodeJws(Buffer.from(JSON.stringify({ ...jws(), header: { ...jws().header, toString: 'x', constructor: 1 } })));
    expect(env.certificates).toHaveLength(3);
  });

  it('reads RFC 3339 times with offsets', () => {
    const env = decodeJws(bytes(withProtected(jwsProtectedHeader(ATTRS).replace('2024-01-01T00:00:00Z', '2024-01-01T08:00:00+08:00'))));
    expect(env.signingTime).toEqual(new Date('2024-01-01T00:00:00Z'));
  });
});

describe('decodeCose', () => {
  const sign1 = (prot: Uint8Array, unprotected: Map<unknown, unknown>, payload: unknown = new Uint8Array([1])) =>
    encode(new Tagged(18, [prot, unprotected, payload, new Uint8Array(64)]));
  const x5 = () => new Map<unknown, unknown>([[33, chain.map((c) => c.der)]]);

  it('accepts a single-certificate x5chain as one byte string', () => {
    const env = decodeCose(sign1(coseProtectedHeader(ATTRS), new Map([[33, chain[0]!.der]])));
    expect(env.certificates).toHaveLength(1);
    expect(env.signingTime).toEqual(ATTRS.signingTime);
  });
  it.each([
    ['another tag', () => encode(new Tagged(98, [])), /not valid CBOR|tag 18/],
    ['an array of three', () => encode(new Tagged(18, [new Uint8Array(0), new Map(), new Uint8Array(0)])), /four items/],
    ['a detached payload', () => sign1(coseProtectedHeader(ATTRS), x5(), null), /detached payload/],
    ['an empty protected header', () => sign1(new Uint8Array(0), x5()), /empty protected header/],
    ['an integer label 0-8 in crit', () => sign1(coseProtectedHeader({ ...ATTRS, crit: ['io.cncf.notary.signingScheme', 4] }), x5()), /label 4 in crit/],
    ['an unknown alg', () => sign1(encode(new Map<unknown, unknown>([[1, -257], [2, ['io.cncf.notary.signingScheme']], [3, 'x']])), x5()), /alg -257/],
    ['a signing time that is not tag 1', () => sign1(coseProtectedHeader(ATTRS).map((b) => (b === 0xc1 ? 0xc0 : b)), x5()), /not valid CBOR|not an epoch/],
    ['no x5chain', () => sign1(coseProtectedHeader(ATTRS), new Map()), /no x5chain/],
    ['x5chain in both headers', () => sign1(encode(new Map<unknown, unknown>([[1, -7], [2, ['io.cncf.notary.signingScheme']], [3, 'x'], [33, chain[0]!.der], ['io.cncf.notary.signingScheme', 'notary.x509']])), x5()), /in both headers/],
    ['trailing bytes', () => Buffer.concat([sign1(coseProtectedHeader(ATTRS), x5()), Buffer.from([0])]), /not valid CBOR/],
  ] as const)('refuses %s', (_, make, text) => refused(() => decodeCose(make()), 'NOTATION_ENVELOPE', text));
});
