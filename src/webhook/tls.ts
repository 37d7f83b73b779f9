/** The serving cert/key pair: loaded and checked; reload.ts hands each new valid pair to the server. */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { PinError } from '../errors/errors.js';

export const TLS_BASE_OPTIONS: SecureContextOptions = { minVersion: 'TLSv1.2' };

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
  /** sha256 over both files, to tell a real change from a touch. */
  hash: string;
  /** Certificate facts for logs (never the key). */
  subject: string;
  notAfter: string;
  fingerprint256: string;
}

/** Both PEM, and the key must match the certificate. */
export async function loadKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (e) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `cannot read the TLS certificate or key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      hint: `check --tls-cert-file (${certFile}) and --tls-private-key-file (${keyFile})`,
      cause: e,
    });
  }
  let x509: X509Certificate;
  try {
    // createSecureContext fails when the key does not belong to the certificate.
    createSecureContext({ ...TLS_BASE_OPTIONS, cert, key });
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `the TLS certificate and key do not load: ${(e as Error).message}`,
      hint: 'give a PEM certificate (chain) and the PEM private key that belongs to it',
      cause: e,
    });
  }
  const hash = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, hash, subject: x509.subject.replace(/\n/g, ', '), notAfter: x509.validTo, fingerprint256: x509.fingerprint256 };
}
