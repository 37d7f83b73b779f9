/**
 * Delegation keys for the real notary CLI, made with `openssl` (TLS certificates come from
 * `src/demo/pki.ts`).
 */
import { join } from 'node:path';
import { runOk } from './exec.js';

const OPENSSL_TIMEOUT_MS = 15_000;

/**
 * Makes a PKCS#8 P-256 key pair for a delegation role (`notary key import` accepts this form,
 * unlike the output of `notary key generate -o`). Returns the private and public PEM paths.
 */
export async function makeDelegationKey(dir: string, name: string): Promise<{ keyFile: string; pubFile: string }> {
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub`);
  const opts = { timeoutMs: OPENSSL_TIMEOUT_MS };
  await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile], opts);
  await runOk('openssl', ['pkey', '-in', keyFile, '-pubout', '-out', pubFile], opts);
  return { keyFile, pubFile };
}
