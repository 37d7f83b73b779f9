import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCertificate } from './cert-chain.js';
import { formatDn, isSubsetOf, nameToDn, parseDistinguishedName, parseTrustedIdentity } from './trusted-identity.js';

const FIX = new URL('../../../test/fixtures/notation/', import.meta.url);
const pemDer = (p: string) => Buffer.from(readFileSync(new URL(p, FIX), 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');

describe('trusted identities', () => {
  it('parses x509.subject with escapes and the S alias', () => {
    const dn = parseTrustedIdentity('x509.subject: C=US, S=WA, O=Acme\\, Inc., OU=a\\;b, CN=x\\\\y');
    expect(typeof dn).not.toBe('string');
    expect(formatDn(dn as Map<string, string>)).toBe('C=US, ST=WA, O=Acme, Inc., OU=a;b, CN=x\\y');
  });
  it.each([
    ['x509.subject: C=US, ST=WA', /lacks O=/],
    ['x509.subject: C=US,, ST=WA, O=a', /empty RDN/],
    ['x509.subject: C=US, ST=WA, O=', /empty value/],
    ['x509.subject: C=US, ST=WA, O=a, C=CA', /more than once/],
    ['subject: C=US, ST=WA, O=a', /does not start with/],
    ['x509.subject: C=US, ST=WA, noequals', /not TYPE=value/],
  ])('refuses %s', (id, why) => expect(parseTrustedIdentity(id)).toMatch(why));
  it('matches as a subset of the certificate subject', () => {
    const leaf = parseCertificate(pemDer('truststores/notation-e2e-localkeys/e2e.crt'));
    const subject = nameToDn(leaf.asn.tbsCertificate.subject) as Map<string, string>;
    const id = (s: string) => parseDistinguishedName(s) as Map<string, string>;
    expect(isSubsetOf(id('C=US, ST=WA, O=Notary'), subject)).toBe(true);
    expect(isSubsetOf(id('CN=e2e, O=Notary, L=Seattle, ST=WA, C=US'), subject)).toBe(true);
    expect(isSubsetOf(id('C=US, ST=WA, O=Notary, OU=x'), subject)).toBe(false);
    expect(isSubsetOf(id('C=USB, ST=WA, O=Notary'), subject)).toBe(false);
  });
  it('reads an escaped subject (bad-cert.pem: CN=Bad=#CN) as a plain value', () => {
    const dn = nameToDn(parseCertificate(pemDer('truststores/notation-go-verifier-certs/bad-cert.pem')).asn.tbsCertificate.subject);
    expect(typeof dn === 'string' ? dn : dn.get('CN')).toBe('Bad=#CN');
  });
});
