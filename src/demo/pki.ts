/**
 * TEST AND DEMO SUPPORT — the one throw-away PKI, for unit and integration tests and for the
 * embedded demo's in-process trust server (`notary-pin demo`): an ECDSA P-256 CA that issues TLS server certificates, built in process with
 * Node crypto (`src/trust/notary/sign/x509.ts`, `src/trust/notary/sign/keys.ts`), no `openssl`.
 *
 * Leaves carry what both Node (OpenSSL) and Go's crypto/x509 (notary-server, the notary CLI)
 * verify: subjectAltName IP/DNS entries (Go ignores the CN), extendedKeyUsage serverAuth, keyUsage
 * digitalSignature and basicConstraints CA:false; private keys are unencrypted PKCS#8 PEM
 * (`-----BEGIN PRIVATE KEY-----`), which Go's `tls.LoadX509KeyPair` accepts.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCA } from '../trust/notary/sign/keys.js';
import { createCertificate, toPem } from '../trust/notary/sign/x509.js';

/** A certificate and its private key, both PEM. */
export interface TestKeyPair {
  readonly certPem: string;
  /** Unencrypted PKCS#8 PEM. */
  readonly keyPem: string;
}

/** What to put in a leaf certificate. */
export interface IssueOptions {
  /** Subject CN; default the first IP (or DNS name). Only a label: TLS clients check the SANs. */
  readonly cn?: string;
  /** IPv4 SANs; default `['127.0.0.1']`. */
  readonly ips?: readonly string[];
  /** DNS SANs; default `['localhost']`. */
  readonly dns?: readonly string[];
  /** Validity in days from now; default 1. */
  readonly days?: number;
}

/** A test CA: its certificate and key (PEM), and a way to issue server certificates. */
export interface TestCertAuthority extends TestKeyPair {
  /** Issues a TLS server certificate (serverAuth) signed by this CA, with a new P-256 key. */
  issue(opts?: IssueOptions): TestKeyPair;
}

const DAY_MS = 24 * 3600_000;
/** Validity starts this far back so a clock a little behind still accepts the certificates. */
const BACKDATE_MS = 5 * 60_000;
/** CA lifetime: longer than any leaf a test asks for by default. */
const CA_DAYS = 30;

const pkcs8 = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

/** Creates a throw-away CA (ECDSA P-256, basicConstraints CA:true, valid 30 days). */
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
      return { certPem: toPem(certDer), keyPem: pkcs8(privateKey) };
    },
  };
}

/** Files written by {@link writeTestPki}. */
export interface TestPki {
  /** `ca.pem`: the CA certificate. */
  readonly caFile: string;
  /** Contents of `caFile`. */
  readonly caPem: string;
  /** `server.pem`: a server certificate for IP 127.0.0.1 and DNS localhost. */
  readonly certFile: string;
  /** `server.key`: its private key (PKCS#8 PEM, mode 0600). */
  readonly keyFile: string;
}

/**
 * Writes `ca.pem`, `server.pem` and `server.key` into the existing directory `dir`: the CA (a new
 * one unless `ca` is given) and a server certificate it issued for 127.0.0.1 / localhost, valid
 * 2 days (what the real notary-server and the webhook serve).
 */
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
