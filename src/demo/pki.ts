/**
 * Test and demo support: a throw-away ECDSA P-256 CA issuing TLS server certificates, in process, no openssl.
 * Leaves carry what both OpenSSL and Go's crypto/x509 verify (SANs, serverAuth, digitalSignature, CA:false);
 * keys are unencrypted PKCS#8 PEM, which Go's `tls.LoadX509KeyPair` accepts.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCA } from '../trust/notary/sign/keys.js';
import { createCertificate } from '../trust/notary/sign/x509.js';
import { certToPem } from '../trust/notary/tuf/certs.js';

export interface TestKeyPair {
  readonly certPem: string;
  /** Unencrypted PKCS#8 PEM. */
  readonly keyPem: string;
}

export interface IssueOptions {
  /** Default the first IP (or DNS name); only a label, TLS clients check the SANs. */
  readonly cn?: string;
  /** Default `['127.0.0.1']`. */
  readonly ips?: readonly string[];
  /** Default `['localhost']`. */
  readonly dns?: readonly string[];
  /** Days from now; default 1. */
  readonly days?: number;
}

export interface TestCertAuthority extends TestKeyPair {
  /** A TLS server certificate (serverAuth) with a new P-256 key. */
  issue(opts?: IssueOptions): TestKeyPair;
}

const DAY_MS = 24 * 3600_000;
/** Validity starts this far back so a clock a little behind still accepts the certificates. */
const BACKDATE_MS = 5 * 60_000;
const CA_DAYS = 30;

const pkcs8 = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

/** A throw-away CA (P-256, CA:true, valid 30 days). */
export function createTestCA(cn = 'notary-pin test CA'): TestCertAuthority {
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const ca = generateCA(cn, notBefore, new Date(notBefore.getTime() + CA_DAYS * DAY_MS));
  return {
    certPem: ca.certPem,
    keyPem: pkcs8(ca.privateKey),
    issue(opts: IssueOptions = {}): TestKeyPair {
      const ips = opts.ips ?? ['127.0.0.1'];
      const dns = opts.dns ?? ['localhost'];
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const start = new Date(Date.now() - BACKDATE_MS);
      const certDer = createCertificate({
        subjectCN: opts.cn ?? ips[0] ?? dns[0] ?? 'test server',
        publicKey,
        issuer: { cn: ca.cn, privateKey: ca.privateKey },
        notBefore: start,
        notAfter: new Date(start.getTime() + (opts.days ?? 1) * DAY_MS),
        serverAuth: true,
        ipAddresses: ips,
        dnsNames: dns,
      });
      return { certPem: certToPem(certDer), keyPem: pkcs8(privateKey) };
    },
  };
}

export interface TestPki {
  readonly caFile: string;
  readonly caPem: string;
  /** For IP 127.0.0.1 and DNS localhost. */
  readonly certFile: string;
  /** PKCS#8 PEM, mode 0600. */
  readonly keyFile: string;
}

/** Writes `ca.pem`, `server.pem`, `server.key` into `dir`: a CA and a 2-day certificate for 127.0.0.1/localhost. */
export function writeTestPki(dir: string, ca: TestCertAuthority = createTestCA()): TestPki {
  const leaf = ca.issue({ cn: '127.0.0.1', days: 2 });
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  writeFileSync(caFile, ca.certPem);
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
  return { caFile, caPem: ca.certPem, certFile, keyFile };
}
