/**
 * TEST SUPPORT ONLY. Serving certificates for tests, made with the `openssl` CLI (bounded by a
 * timeout): a CA and a leaf for 127.0.0.1 / localhost / the in-cluster Service names.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  caCert: string;
  caKey: string;
  /** PEM of the CA certificate (for a client's `ca`). */
  caPem: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A throwaway CA in a fresh temp dir. */
export function makeCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'notary-pin-webhook-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=notary-pin test CA', '-out', 'ca.crt'], dir);
  return { dir, caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), caPem: readFileSync(join(dir, 'ca.crt')) };
}

/** Issues a leaf for 127.0.0.1 and localhost; returns the PEMs (not written to the serving paths). */
export function issueLeaf(ca: TestCa, cn: string): { cert: Buffer; key: Buffer } {
  const base = `leaf-${cn.replace(/[^A-Za-z0-9]/g, '_')}`;
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.ec.key`], ca.dir);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${base}.ec.key`, '-out', `${base}.key`], ca.dir);
  openssl(['req', '-new', '-key', `${base}.key`, '-subj', `/CN=${cn}`, '-out', `${base}.csr`], ca.dir);
  writeFileSync(
    join(ca.dir, `${base}.ext`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:notary-pin-webhook.notary-pin-system.svc\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n',
  );
  openssl(
    ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-sha256', '-extfile', `${base}.ext`, '-out', `${base}.crt`],
    ca.dir,
  );
  return { cert: readFileSync(join(ca.dir, `${base}.crt`)), key: readFileSync(join(ca.dir, `${base}.key`)) };
}

export function removeCa(ca: TestCa): void {
  rmSync(ca.dir, { recursive: true, force: true });
}
