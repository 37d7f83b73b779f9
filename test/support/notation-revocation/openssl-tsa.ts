/**
 * A throw-away RFC 3161 TSA made with the real `openssl ts` (ECDSA P-256 root and TSA certificate,
 * critical timeStamping EKU, signing-certificate-v2 with SHA-256), for timestamp verifier tests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTool } from '../tools.js';

export interface OpensslTsa {
  /** Trusted root (DER). */
  readonly root: Uint8Array;
  /** Timestamps `data`: returns the TimeStampToken (DER). */
  stamp(data: Uint8Array, hash: 'sha256' | 'sha384' | 'sha512'): Uint8Array;
}

function run(dir: string, args: string[]): void {
  execFileSync(findTool('openssl') as string, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/** Creates the TSA in `dir` (must be empty); `tsaDays` is the TSA certificate's validity. */
export function createOpensslTsa(dir: string, tsaDays = 365): OpensslTsa {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(dir, ['req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.crt', '-subj', '/CN=notary-pin test TSA root', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(dir, ['req', '-new', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=notary-pin test TSA']);
  writeFileSync(join(dir, 'ext.cnf'), '[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  run(dir, ['x509', '-req', '-in', 'tsa.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', String(tsaDays), '-extfile', 'ext.cnf', '-extensions', 'v3']);
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[tsa]', 'default_tsa = t', '[t]', `serial = ${join(dir, 'serial')}`, 'signer_cert = tsa.crt', 'certs = root.crt', 'signer_key = tsa.key',
      'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1, millisecs:500',
      'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'),
  );
  run(dir, ['x509', '-in', 'root.crt', '-outform', 'DER', '-out', 'root.der']);
  let n = 0;
  return {
    root: new Uint8Array(readFileSync(join(dir, 'root.der'))),
    stamp(data, hash) {
      n++;
      writeFileSync(join(dir, `data${n}`), data);
      run(dir, ['ts', '-query', '-data', `data${n}`, `-${hash}`, '-cert', '-out', `q${n}.tsq`]);
      run(dir, ['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `q${n}.tsq`, '-token_out', '-out', `t${n}.der`]);
      return new Uint8Array(readFileSync(join(dir, `t${n}.der`)));
    },
  };
}
