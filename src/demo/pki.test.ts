import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCA, writeTestPki } from './pki.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 24 * 3600_000;

/** True when `keyPem` is the private half of the certificate's public key. */
function keyMatches(certPem: string, keyPem: string): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' });
  const fromCert = new X509Certificate(certPem).publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.compare(fromKey, fromCert) === 0;
}

describe('createTestCA', () => {
  const ca = createTestCA();
  const caCert = new X509Certificate(ca.certPem);

  it('makes a self-signed P-256 CA with a PKCS#8 key', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toBe('CN=notary-pin test CA');
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keyMatches(ca.certPem, ca.keyPem)).toBe(true);
    expect(createTestCA('other CA').certPem).not.toBe(ca.certPem);
    expect(new X509Certificate(createTestCA('other CA').certPem).subject).toBe('CN=other CA');
  });

  it('issues a serverAuth leaf for 127.0.0.1 and localhost by default, valid one day', () => {
    const leaf = ca.issue();
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=127.0.0.1');
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keyMatches(leaf.certPem, leaf.keyPem)).toBe(true);
    const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(lifetime).toBe(DAY_MS);
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(Date.now());
  });

  it('honours cn, ips, dns and days, and gives every leaf its own key', () => {
    const a = ca.issue({ cn: 'webhook', ips: ['127.0.0.1', '10.0.0.7'], dns: ['localhost', 'svc.ns.svc'], days: 3 });
    const b = ca.issue({ cn: 'webhook' });
    const cert = new X509Certificate(a.certPem);
    expect(cert.subject).toBe('CN=webhook');
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:svc.ns.svc, IP Address:127.0.0.1, IP Address:10.0.0.7');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(3 * DAY_MS);
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(new X509Certificate(b.certPem).serialNumber).not.toBe(cert.serialNumber);
    expect(keyMatches(a.certPem, b.keyPem)).toBe(false);
  });

  it('rejects an IP SAN that is not IPv4', () => {
    expect(() => ca.issue({ ips: ['::1'] })).toThrow(/IPv4/);
  });
});

describe('a TLS handshake with the test PKI', () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const handshake = async (ca: string, leaf: { certPem: string; keyPem: string }, servername?: string): Promise<string> => {
    server?.close();
    const s = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (sock) => sock.end('hello'));
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as AddressInfo;
    return new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}), timeout: 5_000 });
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('timeout', () => sock.destroy(new Error('timeout')));
      sock.on('error', reject);
    });
  };

  it('verifies a leaf against its CA for 127.0.0.1 and localhost, and not against another CA', async () => {
    const ca = createTestCA();
    const leaf = ca.issue();
    await expect(handshake(ca.certPem, leaf)).resolves.toBe('hello');
    await expect(handshake(ca.certPem, leaf, 'localhost')).resolves.toBe('hello');
    await expect(handshake(createTestCA().certPem, leaf)).rejects.toThrow(/certificate/i);
    await expect(handshake(ca.certPem, leaf, 'example.com')).rejects.toThrow(/altnames|Hostname/i);
  });
});

describe('writeTestPki', () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-pki-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes ca.pem, server.pem and server.key (0600) for 127.0.0.1 / localhost', () => {
    const pki = writeTestPki(dir);
    expect(pki).toEqual({
      caFile: join(dir, 'ca.pem'),
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      certFile: join(dir, 'server.pem'),
      keyFile: join(dir, 'server.key'),
    });
    const ca = new X509Certificate(pki.caPem);
    const cert = new X509Certificate(readFileSync(pki.certFile));
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
    expect(keyMatches(readFileSync(pki.certFile, 'utf8'), readFileSync(pki.keyFile, 'utf8'))).toBe(true);
    expect(statSync(pki.keyFile).mode & 0o777).toBe(0o600);
  });

  it('uses the CA it is given, so the caller can issue more leaves from it', () => {
    const ca = createTestCA('given CA');
    const pki = writeTestPki(dir, ca);
    expect(pki.caPem).toBe(ca.certPem);
    expect(readFileSync(pki.caFile, 'utf8')).toBe(ca.certPem);
    const cert = new X509Certificate(readFileSync(pki.certFile));
    expect(cert.issuer).toBe('CN=given CA');
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });
});
