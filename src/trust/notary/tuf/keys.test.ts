import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalKeyId, computeKeyId, makeKey, publicKeyObject, verifySignature } from './keys.js';
import {
  generateEcdsaKey,
  generateEd25519Key,
  generateRootKey,
  generateRsaKey,
  signBytes,
  toX509Key,
  type TestKey,
} from '../sign/keys.js';
import { createCertificate } from '../sign/x509.js';

const msg = new TextEncoder().encode('{"_type":"Targets","version":1}');
const asTuf = (k: TestKey) => makeKey(k.keytype, k.public);

describe('key IDs', () => {
  it('is the sha256 of {"keytype","keyval":{"private":null,"public"}} in canonical JSON', () => {
    const pub = Uint8Array.from([1, 2, 3, 250]);
    const json = `{"keytype":"ecdsa","keyval":{"private":null,"public":"${Buffer.from(pub).toString('base64')}"}}`;
    expect(computeKeyId('ecdsa', pub)).toBe(createHash('sha256').update(json).digest('hex'));
  });

  it('reproduces the ID notary-server gave its ed25519 timestamp key (real fixture value)', () => {
    // From test/fixtures/notary-real/targets-signed/root.json.
    const pub = Buffer.from('vFXsDPcKHrkZAk3OrlCmqiJdYWaPcijrraQcp0iTY8Y=', 'base64');
    expect(computeKeyId('ed25519', pub)).toBe('072cfd6596d7555c932c1bf6ebe2bc33255f185c5fe862969a90c1e81549b023');
  });

  it('canonical key ID of an x509 key is the ID of the plain ecdsa key of its certificate', () => {
    const base = generateEcdsaKey();
    const root = generateRootKey({ cn: 'example.com/app', key: base });
    expect(root.keytype).toBe('ecdsa-x509');
    expect(root.id).not.toBe(base.id);
    expect(canonicalKeyId(asTuf(root))).toBe(base.id);
    expect(canonicalKeyId(asTuf(base))).toBe(base.id);
    expect(canonicalKeyId(makeKey('ecdsa-x509', new TextEncoder().encode('not a pem')))).toBeUndefined();
  });

  it('canonical key ID: the SPKI as it stands in a P-256 certificate gives the same ID as re-encoding it; other keys are re-encoded', () => {
    for (const base of [generateEcdsaKey('P-256'), generateEcdsaKey('P-384'), generateRsaKey()]) {
      const root = toX509Key(base, [createCertificate({ subjectCN: 'example.com/app', publicKey: base.publicKey, selfSignKey: base.privateKey, notBefore: new Date(), notAfter: new Date(Date.now() + 3600_000) })]);
      const reEncoded = base.publicKey.export({ format: 'der', type: 'spki' });
      expect(canonicalKeyId(asTuf(root))).toBe(computeKeyId(base.keytype, reEncoded));
      expect(canonicalKeyId(asTuf(root))).toBe(base.id);
    }
  });
});

describe('signature methods', () => {
  it('ecdsa: raw r||s over SHA-256 verifies; ASN.1 DER does not', () => {
    const k = generateEcdsaKey();
    const sig = signBytes(k, msg);
    expect(sig.length).toBe(64);
    expect(verifySignature(asTuf(k), 'ecdsa', sig, msg)).toBe(true);
    expect(verifySignature(asTuf(k), 'ECDSA', sig, msg)).toBe(true); // notary lower-cases methods
    const derSig = sign('sha256', msg, k.privateKey);
    expect(verifySignature(asTuf(k), 'ecdsa', derSig, msg)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[10] = flipped[10]! ^ 1;
    expect(verifySignature(asTuf(k), 'ecdsa', flipped, msg)).toBe(false);
    expect(verifySignature(asTuf(k), 'ecdsa', sig, new TextEncoder().encode('other'))).toBe(false);
  });

  it('ecdsa with P-384 keys (96-byte r||s, still SHA-256)', () => {
    const k = generateEcdsaKey('P-384');
    const sig = signBytes(k, msg);
    expect(sig.length).toBe(96);
    expect(verifySignature(asTuf(k), 'ecdsa', sig, msg)).toBe(true);
  });

  it('ecdsa-x509: verifies with the certificate key', () => {
    const k = generateRootKey({ cn: 'example.com/app' });
    expect(verifySignature(asTuf(k), 'ecdsa', signBytes(k, msg), msg)).toBe(true);
  });

  it('eddsa with ed25519 keys', () => {
    const k = generateEd25519Key();
    expect(k.public.length).toBe(32);
    const sig = signBytes(k, msg);
    expect(verifySignature(asTuf(k), 'eddsa', sig, msg)).toBe(true);
    expect(verifySignature(asTuf(k), 'eddsa', sig.subarray(0, 63), msg)).toBe(false);
  });

  it('rsapss: SHA-256 with a 32-byte salt; other salt lengths fail', () => {
    const k = generateRsaKey(2048);
    expect(verifySignature(asTuf(k), 'rsapss', signBytes(k, msg), msg)).toBe(true);
    const otherSalt = sign('sha256', msg, { key: k.privateKey, padding: 6 /* PSS */, saltLength: 20 });
    expect(verifySignature(asTuf(k), 'rsapss', otherSalt, msg)).toBe(false);
    const pkcs1 = sign('sha256', msg, k.privateKey);
    expect(verifySignature(asTuf(k), 'rsapkcs1v15', pkcs1, msg)).toBe(true);
    expect(verifySignature(asTuf(k), 'rsapss', pkcs1, msg)).toBe(false);
  });

  it('rejects RSA keys under 2048 bits', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const key = makeKey('rsa', new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
    const sig = sign('sha256', msg, { key: privateKey, padding: 6, saltLength: 32 });
    expect(verifySignature(key, 'rsapss', sig, msg)).toBe(false);
  });

  it('rejects a method that does not fit the key type, and unknown methods', () => {
    const ec = generateEcdsaKey();
    const ed = generateEd25519Key();
    const rsa = generateRsaKey();
    expect(verifySignature(asTuf(ec), 'eddsa', signBytes(ec, msg), msg)).toBe(false);
    expect(verifySignature(asTuf(ed), 'ecdsa', signBytes(ed, msg), msg)).toBe(false);
    expect(verifySignature(asTuf(rsa), 'ecdsa', signBytes(rsa, msg), msg)).toBe(false);
    expect(verifySignature(asTuf(ec), 'rsapss', signBytes(ec, msg), msg)).toBe(false);
    expect(verifySignature(asTuf(ec), 'ed25519', signBytes(ec, msg), msg)).toBe(false);
    // an ecdsa key labelled ed25519 (or the reverse) does not verify
    expect(verifySignature(makeKey('ed25519', ec.public), 'eddsa', signBytes(ec, msg), msg)).toBe(false);
    expect(verifySignature(makeKey('ecdsa', ed.public), 'ecdsa', signBytes(ed, msg), msg)).toBe(false);
    expect(verifySignature(makeKey('rsa', ec.public), 'rsapss', signBytes(ec, msg), msg)).toBe(false);
  });
});

describe('public key import', () => {
  it('P-256 SPKI through its JWK form is the same key as the DER import; an off-curve point is refused', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const k = publicKeyObject(makeKey('ecdsa', spki));
    expect(k?.export({ format: 'der', type: 'spki' })).toEqual(spki);
    const bad = Buffer.from(spki);
    bad[bad.length - 1]! ^= 1;
    expect(publicKeyObject(makeKey('ecdsa', bad))).toBeUndefined();
    // other curves still import through DER
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(publicKeyObject(makeKey('ecdsa', p384))?.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('Ed25519 raw keys import through JWK as the same key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    expect(publicKeyObject(makeKey('ed25519', raw))?.export({ format: 'der', type: 'spki' })).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
    expect(publicKeyObject(makeKey('ed25519', raw.subarray(1)))).toBeUndefined();
  });
});

describe('parsed key memo', () => {
  it('never hands a key the parsed key of other bytes that claim its ID', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    const real = makeKey('ecdsa', a);
    expect(publicKeyObject(real)?.export({ format: 'der', type: 'spki' })).toEqual(a);
    const impostor = { keytype: 'ecdsa', public: new Uint8Array(b), id: real.id }; // a forged ID
    expect(publicKeyObject(impostor)?.export({ format: 'der', type: 'spki' })).toEqual(b);
  });
});
