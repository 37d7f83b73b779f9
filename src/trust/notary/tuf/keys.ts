/**
 * TUF public keys, key IDs and signature verification as Notary defines them (tuf/data/keys.go,
 * tuf/signed/verifiers.go) on Node's crypto: ecdsa (raw r||s, SHA-256), rsapss (salt 32) and
 * rsapkcs1v15 (SHA-256, >= 2048 bits), eddsa; a method that does not fit the key type fails.
 */
import { boundedMemo } from '../../../util/memo.js';
import { createHash, createPublicKey, constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { canonicalString } from './canonical.js';
import { loadFirstCert } from './certs.js';

export const KEY_TYPES = ['ecdsa', 'ecdsa-x509', 'rsa', 'rsa-x509', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** Signature methods Notary verifies (`data.SigAlgorithm`); lower-cased on decode. */
export const SIGNATURE_METHODS = ['ecdsa', 'rsapss', 'rsapkcs1v15', 'eddsa'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** A TUF public key. `keytype` is kept as written (unknown types never verify anything). */
export interface TufKey {
  readonly keytype: string;
  readonly public: Uint8Array;
  readonly id: string;
}

/** Notary `TUFKey.ID()`. */
export function computeKeyId(keytype: string, publicBytes: Uint8Array): string {
  const json = canonicalString({
    keytype,
    keyval: { private: null, public: Buffer.from(publicBytes).toString('base64') },
  });
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

export function makeKey(keytype: string, publicBytes: Uint8Array): TufKey {
  return { keytype, public: publicBytes, id: computeKeyId(keytype, publicBytes) };
}

const keyObjectCache = new WeakMap<TufKey, KeyObject | null>();

/** Parsed keys by key ID, shared across TUF key objects; an entry is used only when type and bytes match. */
const keyObjectMemo = boundedMemo<{ keytype: string; public: Uint8Array; obj: KeyObject | null }>(4096);

/** The Node public key for a TUF key, or undefined if it does not parse as its type says. */
export function publicKeyObject(key: TufKey): KeyObject | undefined {
  const cached = keyObjectCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let entry = keyObjectMemo(key.id, () => ({ keytype: key.keytype, public: key.public, obj: parsePublicKey(key) }));
  if (entry.keytype !== key.keytype || !Buffer.from(entry.public).equals(Buffer.from(key.public))) {
    entry = { keytype: key.keytype, public: key.public, obj: parsePublicKey(key) }; // not this key's entry
  }
  keyObjectCache.set(key, entry.obj);
  return entry.obj ?? undefined;
}

/** DER SubjectPublicKeyInfo header of an uncompressed P-256 point (id-ecPublicKey, prime256v1). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function isPlainP256Spki(spki: Uint8Array): boolean {
  return (
    spki.length === P256_SPKI_PREFIX.length + 65 &&
    spki[P256_SPKI_PREFIX.length] === 0x04 &&
    Buffer.from(spki.buffer, spki.byteOffset, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)
  );
}

/** A plain P-256 SPKI imported via JWK (faster under OpenSSL 3; point still checked); else undefined. */
function p256Jwk(spki: Uint8Array): KeyObject | undefined {
  if (!isPlainP256Spki(spki)) return undefined;
  const b = Buffer.from(spki);
  const at = P256_SPKI_PREFIX.length + 1;
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b.subarray(at, at + 32).toString('base64url'), y: b.subarray(at + 32, at + 64).toString('base64url') },
    format: 'jwk',
  });
}

function parsePublicKey(key: TufKey): KeyObject | null {
  let obj: KeyObject | null = null;
  try {
    switch (key.keytype) {
      case 'ecdsa':
      case 'rsa': {
        const k = p256Jwk(key.public) ?? createPublicKey({ key: Buffer.from(key.public), format: 'der', type: 'spki' });
        const want = key.keytype === 'ecdsa' ? 'ec' : 'rsa';
        obj = k.asymmetricKeyType === want ? k : null;
        break;
      }
      case 'ecdsa-x509':
      case 'rsa-x509': {
        const cert = loadFirstCert(key.public);
        const k = cert?.x509.publicKey;
        const want = key.keytype === 'ecdsa-x509' ? 'ec' : 'rsa';
        obj = k && k.asymmetricKeyType === want ? k : null;
        break;
      }
      case 'ed25519':
        if (key.public.length === 32) {
          // The JWK form imports faster than DER under OpenSSL 3 (same key, same checks).
          obj = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.public).toString('base64url') }, format: 'jwk' });
        }
        break;
      default:
        obj = null;
    }
  } catch {
    obj = null;
  }
  return obj;
}

/** notary `utils.CanonicalKeyID`: x509 keys: the plain key ID of the first cert's SPKI; others: the key ID. */
export function canonicalKeyId(key: TufKey): string | undefined {
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') return key.id;
  const cert = loadFirstCert(key.public);
  if (!cert) return undefined;
  // notary re-marshals the certificate's key (x509.MarshalPKIXPublicKey); a plain P-256 SPKI is already in that form.
  const spki = isPlainP256Spki(cert.spki) ? cert.spki : cert.x509.publicKey.export({ format: 'der', type: 'spki' });
  return computeKeyId(key.keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa', spki);
}

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp224r1: 224,
};

/** The curve size of each EC key object (`asymmetricKeyDetails` is computed anew on every read). */
const curveBitsOf = new WeakMap<KeyObject, number | undefined>();
function curveBits(pub: KeyObject): number | undefined {
  if (curveBitsOf.has(pub)) return curveBitsOf.get(pub);
  const bits = CURVE_BITS[pub.asymmetricKeyDetails?.namedCurve ?? ''];
  curveBitsOf.set(pub, bits);
  return bits;
}

function verifyEcdsa(key: TufKey, sig: Uint8Array, msg: Uint8Array): boolean {
  if (key.keytype !== 'ecdsa' && key.keytype !== 'ecdsa-x509') return false;
  const pub = publicKeyObject(key);
  const bits = pub && curveBits(pub);
  if (!pub || bits === undefined) return false;
  // verifiers.go: "If we have an invalid signature length, fail"; then r||s, SHA-256 digest.
  if (sig.length !== 2 * ((bits + 7) >> 3)) return false;
  return cryptoVerify('sha256', msg, { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
}

const MIN_RSA_BITS = 2048;

/** Go's (pre-1.21) rsa verification accepts a signature shorter than the modulus: left-pad it. */
function rsaSignatureBytes(pub: KeyObject, sig: Uint8Array): Uint8Array | undefined {
  const bits = pub.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) return undefined; // ErrInvalidKeyLength
  const size = (bits + 7) >> 3;
  if (sig.length < MIN_RSA_BITS / 8 || sig.length > size) return undefined;
  if (sig.length === size) return sig;
  const padded = new Uint8Array(size);
  padded.set(sig, size - sig.length);
  return padded;
}

function verifyRsa(key: TufKey, sig: Uint8Array, msg: Uint8Array, pss: boolean): boolean {
  if (key.keytype !== 'rsa' && key.keytype !== 'rsa-x509') return false;
  const pub = publicKeyObject(key);
  if (!pub) return false;
  const s = rsaSignatureBytes(pub, sig);
  if (!s) return false;
  return pss
    ? cryptoVerify('sha256', msg, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, s)
    : cryptoVerify('sha256', msg, { key: pub, padding: constants.RSA_PKCS1_PADDING }, s);
}

function verifyEd25519(key: TufKey, sig: Uint8Array, msg: Uint8Array): boolean {
  if (key.keytype !== 'ed25519' || sig.length !== 64) return false;
  const pub = publicKeyObject(key);
  if (!pub) return false;
  return cryptoVerify(null, msg, pub, sig);
}

/** notary `signed.VerifySignature` over the canonical `signed` bytes; false on any mismatch or bad input. */
export function verifySignature(key: TufKey, method: string, sig: Uint8Array, msg: Uint8Array): boolean {
  try {
    switch (method.toLowerCase()) {
      case 'ecdsa':
        return verifyEcdsa(key, sig, msg);
      case 'rsapss':
        return verifyRsa(key, sig, msg, true);
      case 'rsapkcs1v15':
        return verifyRsa(key, sig, msg, false);
      case 'eddsa':
        return verifyEd25519(key, sig, msg);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
