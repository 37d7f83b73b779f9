import { describe, expect, it } from 'vitest';
import { caCert, leafCert, makeChain, testKey } from '../../../test/support/notation/pki.js';
import { checkCodeSigningChain, parseCertificate, parseChain, type ParsedCert } from './cert-chain.js';

const parsed = (ders: readonly Uint8Array[]): ParsedCert[] => {
  const c = parseChain(ders);
  if (typeof c === 'string') throw new Error(c);
  return c;
};

describe('certificates are parsed and chains checked once per distinct bytes', () => {
  it('equal bytes in another buffer give the same parse; changing the caller\'s buffer afterwards changes nothing', () => {
    const { leaf } = makeChain(testKey('p256', 41), {}, 41);
    const mine = new Uint8Array(leaf.der);
    const a = parseCertificate(mine);
    expect(parseCertificate(new Uint8Array(leaf.der))).toBe(a);
    mine[mine.length - 1] = mine[mine.length - 1]! ^ 0xff;
    expect(Buffer.from(a.der).equals(Buffer.from(leaf.der))).toBe(true);
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]))).toThrow();
  });

  it('a chain that breaks a rule still fails after a good chain sharing its leaf was checked', () => {
    const good = makeChain(testKey('p256', 42), {}, 42);
    expect(checkCodeSigningChain(parsed(good.chain.map((c) => c.der)))).toBeUndefined();
    // same leaf and root, but an intermediate that did not issue the leaf
    const stranger = caCert('C=US, O=notary-pin test, CN=Other Intermediate', testKey('p256', 43), good.root);
    const broken = parsed([good.leaf.der, stranger.der, good.root.der]);
    expect(checkCodeSigningChain(broken)).toMatch(/is not issued by the next certificate/);
    expect(checkCodeSigningChain(broken)).toMatch(/is not issued by the next certificate/);
    // and the good one is still good
    expect(checkCodeSigningChain(parsed(good.chain.map((c) => c.der)))).toBeUndefined();
  });

  it('the leaf alone (no root) is not the same chain as leaf → intermediate → root', () => {
    const good = makeChain(testKey('p256', 44), {}, 44);
    expect(checkCodeSigningChain(parsed(good.chain.map((c) => c.der)))).toBeUndefined();
    expect(checkCodeSigningChain(parsed([good.leaf.der]))).toMatch(/not a self-signed root/);
    const selfIssued = leafCert(testKey('p256', 45));
    expect(checkCodeSigningChain(parsed([selfIssued.der, good.root.der]))).toMatch(/not issued by the next certificate/);
  });
});
