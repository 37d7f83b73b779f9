/** Writes certificates into a trust store in notation's layout (`x509/<type>/<name>/<file>`), for tests and the bench. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certToPem } from '../../../src/trust/notary/tuf/certs.js';

/** Puts `cert` (DER, or PEM text as is) into store `type:name` under `storeDir`; returns `storeDir`. */
export function writeTrustStoreCert(storeDir: string, type: 'ca' | 'signingAuthority' | 'tsa', name: string, cert: Uint8Array | string, file = 'root.pem'): string {
  mkdirSync(join(storeDir, 'x509', type, name), { recursive: true });
  writeFileSync(join(storeDir, 'x509', type, name, file), typeof cert === 'string' ? cert : certToPem(cert));
  return storeDir;
}
