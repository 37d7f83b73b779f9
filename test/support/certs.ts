/**
 * Test PKI made with the real `openssl` CLI: a throw-away CA and a server certificate for
 * 127.0.0.1 / localhost (SAN IP + DNS), P-256 keys, valid for 2 days.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './exec.js';

/** Files written by {@link makeTestPki}. */
export interface TestPki {
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
}

const OPENSSL_TIMEOUT_MS = 15_000;

/** Generates `ca.pem`, `server.pem` and `server.key` in `dir`. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const opts = { timeoutMs: OPENSSL_TIMEOUT_MS };

  const ca = runOk(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=notary-pin test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    opts,
  );
  const req = runOk(
    'openssl',
    [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1',
    ],
    opts,
  );
  const extText = writeFile(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await Promise.all([ca, req, extText]);
  await runOk(
    'openssl',
    [
      'x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial',
      '-days', '2', '-sha256', '-extfile', ext, '-out', certFile,
    ],
    opts,
  );
  return { caFile, caPem: await readFile(caFile, 'utf8'), certFile, keyFile };
}

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
