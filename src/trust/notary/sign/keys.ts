/**
 * Signing keys for the demo's and tests' own trust data, signing as Notary does (tuf/signed/sign.go):
 * `ecdsa` raw r||s over SHA-256, `ed25519` as `eddsa`, `rsa` as RSASSA-PSS SHA-256 with a 32-byte salt.
 * Root keys are `ecdsa-x509`: the public value is a PEM certificate naming the GUN.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { makeKey } from '../tuf/keys.js';
import { createCertificate } from './x509.js';
import { certToPem } from '../tuf/certs.js';

export interface TestKey {
  readonly keytype: 'ecdsa' | 'ecdsa-x509' | 'rsa' | 'rsa-x509' | 'ed25519';
  readonly public: Uint8Array;
  readonly id: string;
  readonly method: 'ecdsa' | 'eddsa' | 'rsapss';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface SignatureJson {
  keyid: string;
  method: string;
  sig: string;
}

function finish(keytype: TestKey['keytype'], pub: Uint8Array, privateKey: KeyObject, publicKey: KeyObject): TestKey {
  const method = keytype.startsWith('ecdsa') ? 'ecdsa' : keytype === 'ed25519' ? 'eddsa' : 'rsapss';
  return { keytype, public: pub, id: makeKey(keytype, pub).id, method, privateKey, publicKey };
}

/** A new ECDSA key (`ecdsa`, DER SPKI public value); P-256 unless told otherwise. */
export function generateEcdsaKey(curve: 'P-256' | 'P-384' = 'P-256'): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return finish('ecdsa', new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), privateKey, publicKey);
}

/** A new Ed25519 key (`ed25519`, raw 32-byte public value). */
export function generateEd25519Key(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return finish('ed25519', new Uint8Array(spki.subarray(spki.length - 32)), privateKey, publicKey);
}

/** A new RSA key (`rsa`, DER SPKI public value), 2048 bits unless told otherwise. */
export function generateRsaKey(bits = 2048): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return finish('rsa', new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), privateKey, publicKey);
}

/** Turns an `ecdsa`/`rsa` key into its `*-x509` form: the public value becomes the PEM of `certs`, leaf first. */
export function toX509Key(key: TestKey, certs: Uint8Array | readonly Uint8Array[]): TestKey {
  const list = certs instanceof Uint8Array ? [certs] : certs;
  const keytype = key.keytype.startsWith('ecdsa') ? 'ecdsa-x509' : 'rsa-x509';
  const pem = list.map(certToPem).join('');
  return finish(keytype, new Uint8Array(Buffer.from(pem, 'latin1')), key.privateKey, key.publicKey);
}

export interface RootKeyOptions {
  /** Certificate CN; Notary uses the GUN. */
  readonly cn: string;
  readonly notBefore?: Date;
  /** End of validity; default notBefore + 10 years (Notary's default). */
  readonly notAfter?: Date;
  /** Issue the certificate from this CA instead of self-signing. */
  readonly issuer?: { readonly cn: string; readonly privateKey: KeyObject };
  /** Intermediate certificates (DER) to bundle after the leaf. */
  readonly intermediates?: readonly Uint8Array[];
  readonly key?: TestKey;
}

const TEN_YEARS_MS = 10 * 365.25 * 24 * 3600_000;

/** A Notary root key: ECDSA P-256 with a certificate for the GUN (`ecdsa-x509`). */
export function generateRootKey(o: RootKeyOptions): TestKey {
  const base = o.key ?? generateEcdsaKey();
  const notBefore = o.notBefore ?? new Date();
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + TEN_YEARS_MS);
  const cert = createCertificate({
    subjectCN: o.cn,
    publicKey: base.publicKey,
    ...(o.issuer ? { issuer: o.issuer } : { selfSignKey: base.privateKey }),
    notBefore,
    notAfter,
  });
  return toX509Key(base, [cert, ...(o.intermediates ?? [])]);
}

export interface TestCA {
  readonly cn: string;
  readonly privateKey: KeyObject;
  readonly certDer: Uint8Array;
  readonly certPem: string;
}

/** Creates a self-signed ECDSA P-256 CA valid from `notBefore` (default now) for 10 years. */
export function generateCA(cn: string, notBefore = new Date(), notAfter?: Date): TestCA {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certDer = createCertificate({
    subjectCN: cn,
    publicKey,
    selfSignKey: privateKey,
    notBefore,
    notAfter: notAfter ?? new Date(notBefore.getTime() + TEN_YEARS_MS),
    isCA: true,
  });
  return { cn, privateKey, certDer, certPem: certToPem(certDer) };
}

/** Signs `message` (canonical JSON bytes) as Notary does for this key type. */
export function signBytes(key: TestKey, message: Uint8Array): Uint8Array {
  switch (key.method) {
    case 'ecdsa':
      return new Uint8Array(sign('sha256', message, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }));
    case 'eddsa':
      return new Uint8Array(sign(null, message, key.privateKey));
    case 'rsapss':
      return new Uint8Array(
        sign('sha256', message, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
      );
  }
}

export function signatureFor(key: TestKey, message: Uint8Array): SignatureJson {
  return { keyid: key.id, method: key.method, sig: Buffer.from(signBytes(key, message)).toString('base64') };
}

/** The key as it appears in root / delegation `keys`. */
export function publicKeyJson(key: TestKey): { keytype: string; keyval: { private: null; public: string } } {
  return { keytype: key.keytype, keyval: { private: null, public: Buffer.from(key.public).toString('base64') } };
}
