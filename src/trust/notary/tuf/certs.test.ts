import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certToPem,
  chainsToCA,
  loadCertBundle,
  loadFirstCert,
  matchCNToGun,
  parseCert,
  validateCertificate,
} from './certs.js';
import { parseCertFields } from './der.js';
import { generateCA, generateEcdsaKey, generateRootKey } from '../sign/keys.js';
import { createCertificate } from '../sign/x509.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 24 * 3600_000;

describe('test certificates (sign/x509.ts)', () => {
  it('are valid X.509 that Node parses, with the CN, validity and key given', () => {
    const k = generateEcdsaKey();
    const der = createCertificate({
      subjectCN: 'registry.example.com:5000/team/app',
      publicKey: k.publicKey,
      selfSignKey: k.privateKey,
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 10 * 365 * DAY),
    });
    const x = new X509Certificate(der);
    expect(x.subject).toBe('CN=registry.example.com:5000/team/app');
    expect(x.ca).toBe(false);
    expect(x.verify(k.publicKey)).toBe(true);
    expect(x.checkIssued(x)).toBe(false); // a leaf: no keyCertSign, so it cannot issue (even itself)
    expect(x.publicKey.export({ format: 'der', type: 'spki' }).equals(Buffer.from(k.public))).toBe(true);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']); // code signing, like notary's root certs
    const f = parseCertFields(der);
    expect(f).toMatchObject({ subjectCN: 'registry.example.com:5000/team/app', signatureAlgorithm: '1.2.840.10045.4.3.2' });
    expect(f.notBefore.toISOString()).toBe(NOW.toISOString());
    expect(f.notAfter.getUTCFullYear()).toBe(2036);
  });

  it('uses GeneralizedTime past 2049 and signs with RSA issuers too', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = createCertificate({
      subjectCN: 'x',
      publicKey,
      selfSignKey: privateKey,
      notBefore: NOW,
      notAfter: new Date('2060-01-01T00:00:00Z'),
      isCA: true,
    });
    const c = parseCert(der)!;
    expect(c.isCA).toBe(true);
    expect(c.notAfter.toISOString()).toBe('2060-01-01T00:00:00.000Z');
    expect(c.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
  });
});

describe('notary certificate checks', () => {
  it('PEM round trip as Go writes it', () => {
    const k = generateRootKey({ cn: 'a/b', notBefore: NOW });
    const pem = Buffer.from(k.public).toString('latin1');
    const certs = loadCertBundle(pem)!;
    expect(certs).toHaveLength(1);
    expect(certToPem(certs[0]!.der)).toBe(pem);
    expect(certToPem(certs[0]!.der)).toBe(pem);
    expect(loadFirstCert(k.public)?.subjectCN).toBe('a/b');
    expect(loadCertBundle('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toBeUndefined();
    expect(loadCertBundle('garbage')).toBeUndefined();
  });

  it('ValidateCertificate: expiry, one day of NotBefore leeway, invalid window', () => {
    const k = generateEcdsaKey();
    const mk = (nb: number, na: number) =>
      parseCert(
        createCertificate({
          subjectCN: 'x',
          publicKey: k.publicKey,
          selfSignKey: k.privateKey,
          notBefore: new Date(NOW.getTime() + nb),
          notAfter: new Date(NOW.getTime() + na),
        }),
      )!;
    expect(validateCertificate(mk(-DAY, DAY), NOW)).toBeUndefined();
    expect(validateCertificate(mk(-2 * DAY, -DAY), NOW)?.kind).toBe('expired');
    expect(validateCertificate(mk(-2 * DAY, -DAY), undefined)).toBeUndefined(); // previous roots: no expiry check
    expect(validateCertificate(mk(DAY / 2, 10 * DAY), NOW)).toBeUndefined();
    expect(validateCertificate(mk(2 * DAY, 10 * DAY), NOW)?.kind).toBe('not-yet-valid');
    expect(validateCertificate(mk(DAY, -DAY), undefined)?.kind).toBe('window');
  });

  it('rejects RSA certificate keys under 2048 bits', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const c = parseCert(
      createCertificate({ subjectCN: 'x', publicKey, selfSignKey: privateKey, notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY) }),
    )!;
    expect(validateCertificate(c, NOW)).toEqual({ kind: 'rsa-short', bits: 1024 });
  });

  it('MatchCNToGun: exact or prefix wildcard', () => {
    expect(matchCNToGun('docker.io/library/nginx', 'docker.io/library/nginx')).toBe(true);
    expect(matchCNToGun('docker.io/library/nginx', 'docker.io/library/nginx2')).toBe(false);
    expect(matchCNToGun('docker.io/library/*', 'docker.io/library/nginx')).toBe(true);
    expect(matchCNToGun('docker.io/library/*', 'docker.io/other/nginx')).toBe(false);
  });

  it('chains a leaf to a CA through intermediates, checking time and issuer', () => {
    const ca = generateCA('CA', new Date(NOW.getTime() - DAY));
    const other = generateCA('CA', new Date(NOW.getTime() - DAY)); // same name, other key
    const leaf = parseCert(loadCertBundle(generateRootKey({ cn: 'g', notBefore: NOW, issuer: { cn: 'CA', privateKey: ca.privateKey } }).public)![0]!.der)!;
    const caCert = parseCert(ca.certDer)!;
    const otherCert = parseCert(other.certDer)!;
    expect(chainsToCA(leaf, [], [caCert], NOW)).toBe(true);
    expect(chainsToCA(leaf, [], [otherCert], NOW)).toBe(false);
    expect(chainsToCA(leaf, [], [caCert], new Date(NOW.getTime() + 20 * 365 * DAY))).toBe(false);
  });
});
