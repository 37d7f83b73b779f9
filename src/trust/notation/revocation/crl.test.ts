import { describe, expect, it } from 'vitest';
import * as pkijs from 'pkijs';
import { OID, extension, parseCertificate } from '../timestamp/pkix.js';
import { CrlProblem, crlIssuerProblem, crlScopeProblem, crlVerdict, deltaProblem, deltaUrl, parseCrl, serialKey } from './crl.js';
import { fixture, readCerts } from '../../../../test/support/notation-revocation/fixtures.js';
import { makeCert, makeCrl } from '../../../../test/support/notation-revocation/pki.js';

const CORE = 'revocation/notation-core-go-crl/';
const E2E = 'revocation/notation-e2e-crl/';

function cert(rel: string, i = 0): pkijs.Certificate {
  return parseCertificate(readCerts(rel)[i]!);
}

describe('CRL fixtures from notation-core-go (delta CRL locations and indicators)', () => {
  const deltaOf = (file: string) => {
    const c = cert(CORE + file);
    const base = parseCrl(fixture(`${CORE}crlWithMultipleFreshestCRLs.crl`));
    return () => deltaUrl(extension(c, OID.freshestCrl), { ...base, freshest: undefined });
  };

  it('delta.crl is a delta CRL: number 5 based on CRL 4', () => {
    const d = parseCrl(fixture(`${CORE}delta.crl`));
    expect(d.number).toBe(5n);
    expect(d.deltaBase).toBe(4n);
    expect(d.nextUpdate?.toISOString()).toBe('2024-11-25T07:36:40.000Z');
  });

  it('a certificate with one freshest CRL URI yields that delta URL', () => {
    expect(deltaOf('certificateWithDeltaCRL.cer')()).toMatch(/^http:\/\/localhost:80\/ejbca\/.*cmd=deltacrl/);
  });

  it.each([
    ['certificateWith2DeltaCRL.cer', /more than one delta CRL URL/],
    ['certificateWithIncompleteFreshestCRL.cer', /not a URI|no delta CRL URL|does not parse/],
    ['certificateWithIncompleteFreshestCRL2.cer', /not a URI|no delta CRL URL|does not parse/],
    ['certificateWithNonURIDeltaCRL.cer', /not a URI|no delta CRL URL/],
    ['certificateWithZeroDeltaCRLURL.cer', /not a URI|no delta CRL URL/],
  ])('%s: the delta location is refused', (file, re) => {
    expect(deltaOf(file)).toThrow(CrlProblem);
    expect(deltaOf(file)).toThrow(re);
  });

  it('a base CRL with two freshest CRL URLs is refused', () => {
    const base = parseCrl(fixture(`${CORE}crlWithMultipleFreshestCRLs.crl`));
    expect(() => deltaUrl(undefined, base)).toThrow(/more than one delta CRL URL/);
  });

  it('delta.crl cannot complete a base CRL numbered 5 or later, nor a base older than its indicator', () => {
    const d = parseCrl(fixture(`${CORE}delta.crl`));
    const base = parseCrl(fixture(`${CORE}crlWithMultipleFreshestCRLs.crl`)); // CRL number 5
    expect(deltaProblem(base, d)).toMatch(/delta CRL number 5 is not after the base CRL number 5/);
    expect(deltaProblem({ ...base, number: 3n }, d)).toMatch(/based on CRL number 4, newer than the base CRL number 3/);
    expect(deltaProblem({ ...base, number: 4n }, d)).toBeUndefined();
    expect(deltaProblem(base, { ...d, deltaBase: undefined })).toMatch(/no deltaCRLIndicator/);
  });
});

describe('CRL fixtures from the notation e2e suite', () => {
  const chain = readCerts(`${E2E}certchain_with_crl.pem`).map((d) => parseCertificate(d));
  const [leaf, inter, root] = chain as [pkijs.Certificate, pkijs.Certificate, pkijs.Certificate];
  const now = new Date('2026-12-06T00:00:00Z');

  it('leaf.crl is issued and signed by the intermediate; the leaf is not listed', () => {
    const crl = parseCrl(fixture(`${E2E}leaf.crl`));
    expect(crlIssuerProblem(crl, inter)).toBeUndefined();
    expect(crlVerdict(crl, undefined, serialKey(leaf.serialNumber), now).status).toBe('good');
  });

  it('leaf_revoked.crl lists serial 0x3E8', () => {
    const crl = parseCrl(fixture(`${E2E}leaf_revoked.crl`));
    expect(crlIssuerProblem(crl, inter)).toBeUndefined();
    const v = crlVerdict(crl, undefined, serialKey(leaf.serialNumber), now);
    expect(v.status).toBe('revoked');
    expect(v.revokedAt?.toISOString()).toBe('2024-11-11T05:30:52.000Z');
  });

  it('intermediate_revoked.crl is signed by the root and revokes the intermediate', () => {
    const crl = parseCrl(fixture(`${E2E}intermediate_revoked.crl`));
    expect(crlIssuerProblem(crl, root)).toBeUndefined();
    expect(crlVerdict(crl, undefined, serialKey(inter.serialNumber), now).status).toBe('revoked');
  });

  it('a CRL from another issuer or another key is refused', () => {
    expect(crlIssuerProblem(parseCrl(fixture(`${E2E}leaf.crl`)), root)).toMatch(/issued by CN=IntermediateCA.*not by the certificate's issuer CN=RootCA/);
    // leaf_expired.crl names the intermediate but was signed by another key.
    expect(crlIssuerProblem(parseCrl(fixture(`${E2E}leaf_expired.crl`)), inter)).toMatch(/signature does not verify/);
  });

  it('an expired CRL never proves "good"', () => {
    const crl = parseCrl(fixture(`${E2E}leaf_expired.crl`));
    const v = crlVerdict(crl, undefined, serialKey(leaf.serialNumber), now);
    expect(v).toMatchObject({ status: 'unknown' });
    expect(v.detail).toMatch(/CRL expired \(nextUpdate 2023-12-25T08:15:42.000Z\)/);
  });

  it('bytes that are not a CRL are refused', () => {
    expect(() => parseCrl(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow(CrlProblem);
    expect(() => parseCrl(fixture(`${E2E}root.crt`))).toThrow(/not a CRL/);
  });
});

describe('crlVerdict: the spec rules on reasons, invalidity dates and deltas (generated ECDSA CRLs)', async () => {
  const ca = await makeCert({ cn: 'CRL test CA', ca: true });
  const now = new Date();
  const day = 86_400_000;
  const signing = new Date(now.getTime() - 10 * day);
  const base = (entries: Parameters<typeof makeCrl>[1]['entries'], extra: Partial<Parameters<typeof makeCrl>[1]> = {}) =>
    makeCrl(ca, { number: 10, entries, ...extra }).then(parseCrl);

  it('revoked with an invalidity date after the authentic signing time: still good', async () => {
    const crl = await base([{ serial: 7, date: new Date(now.getTime() - day), reason: 1, invalidity: new Date(now.getTime() - 2 * day) }]);
    expect(crlIssuerProblem(crl, ca.cert)).toBeUndefined();
    const v = crlVerdict(crl, undefined, '7', now, signing);
    expect(v.status).toBe('good');
    expect(v.detail).toMatch(/invalidity date .* is after the authentic signing time/);
  });

  it('revoked with an invalidity date before the signing time, or without a signing time: revoked', async () => {
    const crl = await base([{ serial: 7, date: new Date(now.getTime() - day), reason: 1, invalidity: new Date(now.getTime() - 20 * day) }]);
    expect(crlVerdict(crl, undefined, '7', now, signing)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const later = await base([{ serial: 7, date: new Date(now.getTime() - day), invalidity: new Date(now.getTime() - 2 * day) }]);
    expect(crlVerdict(later, undefined, '7', now, undefined).status).toBe('revoked');
  });

  it('revoked after the signing time but without an invalidity date: revoked (the revocation date alone does not count)', async () => {
    const crl = await base([{ serial: 7, date: new Date(now.getTime() - day), reason: 4 }]);
    expect(crlVerdict(crl, undefined, '7', now, signing)).toMatchObject({ status: 'revoked', reason: 'superseded' });
  });

  it('certificateHold is revoked in a current CRL, unknown in a stale one', async () => {
    const crl = await base([{ serial: 7, date: new Date(now.getTime() - day), reason: 6 }]);
    expect(crlVerdict(crl, undefined, '7', now)).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    const stale = await base([{ serial: 7, date: new Date(now.getTime() - 3 * day), reason: 6 }], { thisUpdate: new Date(now.getTime() - 3 * day), nextUpdate: new Date(now.getTime() - day) });
    expect(crlVerdict(stale, undefined, '7', now).status).toBe('unknown');
  });

  it('a stale CRL still proves a permanent revocation', async () => {
    const stale = await base([{ serial: 7, date: new Date(now.getTime() - 3 * day), reason: 1 }], { thisUpdate: new Date(now.getTime() - 3 * day), nextUpdate: new Date(now.getTime() - day) });
    expect(crlVerdict(stale, undefined, '7', now).status).toBe('revoked');
    expect(crlVerdict(stale, undefined, '8', now).status).toBe('unknown');
  });

  it('a CRL without nextUpdate never proves "good"', async () => {
    const crl = await base([], { nextUpdate: null });
    expect(crlVerdict(crl, undefined, '7', now).status).toBe('unknown');
  });

  it('a delta CRL adds revocations and removeFromCRL lifts a hold', async () => {
    const b = await base([{ serial: 7, date: new Date(now.getTime() - day), reason: 6 }]);
    const addDelta = parseCrl(await makeCrl(ca, { number: 11, deltaBase: 10, entries: [{ serial: 9, date: now, reason: 1 }] }));
    expect(deltaProblem(b, addDelta)).toBeUndefined();
    expect(crlVerdict(b, addDelta, '9', now).status).toBe('revoked');
    expect(crlVerdict(b, undefined, '9', now).status).toBe('good');
    const lift = parseCrl(await makeCrl(ca, { number: 11, deltaBase: 10, entries: [{ serial: 7, date: now, reason: 8 }] }));
    expect(crlVerdict(b, lift, '7', now).status).toBe('good');
    const staleDelta = parseCrl(await makeCrl(ca, { number: 11, deltaBase: 10, thisUpdate: new Date(now.getTime() - 3 * day), nextUpdate: new Date(now.getTime() - day) }));
    expect(crlVerdict(b, staleDelta, '9', now).status).toBe('unknown');
  });

  it('the delta must come from the same issuer and be newer than the base', async () => {
    const b = await base([]);
    const other = await makeCert({ cn: 'another CA', ca: true });
    const foreign = parseCrl(await makeCrl(other, { number: 11, deltaBase: 10 }));
    expect(deltaProblem(b, foreign)).toMatch(/another issuer/);
    const old = parseCrl(await makeCrl(ca, { number: 9, deltaBase: 8 }));
    expect(deltaProblem(b, old)).toMatch(/not after the base CRL number/);
  });

  it('a CRL signed with another key fails the issuer check', async () => {
    const impostor = await makeCert({ cn: 'CRL test CA', ca: true });
    const crl = parseCrl(await makeCrl(ca, { number: 1, signer: impostor }));
    expect(crlIssuerProblem(crl, ca.cert)).toMatch(/signature does not verify/);
  });

  it('issuingDistributionPoint: a user-only CRL does not cover a CA certificate; indirect CRLs are refused', async () => {
    const all = await base([]);
    expect(crlScopeProblem(all, true)).toBeUndefined();
    const users = await base([], { idp: { onlyContainsUserCerts: true } });
    expect(crlScopeProblem(users, false)).toBeUndefined();
    expect(crlScopeProblem(users, true)).toMatch(/only covers end-entity certificates/);
    const indirect = await makeCrl(ca, { number: 1, idp: { indirectCRL: true } });
    expect(() => parseCrl(indirect)).toThrow(/indirect or partitioned CRLs/);
  });
});
