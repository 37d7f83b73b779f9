/**
 * Revocation checks against real HTTP servers on the ports the upstream e2e chains name
 * (CRL localhost:10086, OCSP localhost:10087). Every test releases both ports; the tests of this
 * file run one after the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRevocationChecker, revocationFailure, type RevocationCheckerOptions } from '../../../src/trust/notation/revocation/checker.js';
import { fetchRevocationBundle } from '../../../src/trust/notation/revocation/bundle.js';
import { bundleCrlFile, createNetworkFetcher } from '../../../src/trust/notation/revocation/source.js';
import { FIXTURES, fixture, readCerts } from './fixtures.js';
import { EKU_OCSP_SIGNING, makeCert, makeCrl, makeOcspResponse, ocspErrorResponse, type TestCert } from './pki.js';
import { CRL_PORT, OCSP_PORT, files, loopbackOnly, ocspResponder, serveOn, type PortServer } from './servers.js';
import { findTool } from '../tools.js';

const E2E = 'revocation/notation-e2e-crl/';
const CRL_CHAIN = readCerts(`${E2E}certchain_with_crl.pem`);
const NOW = new Date();
const CRL_BASE = `http://localhost:${CRL_PORT}`;
const OCSP_URL = `http://localhost:${OCSP_PORT}`;

const open: PortServer[] = [];
const checkers: { close(): Promise<void> }[] = [];
const tmps: string[] = [];

async function serve(port: number, h: Parameters<typeof serveOn>[1]): Promise<PortServer> {
  const s = await serveOn(port, h);
  open.push(s);
  return s;
}

function checker(o: RevocationCheckerOptions = {}) {
  const c = createRevocationChecker({ ...o, fetcher: loopbackOnly(o.fetcher ?? createNetworkFetcher(o)) });
  checkers.push(c);
  return c;
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'np-rev-'));
  tmps.push(d);
  return d;
}

afterEach(async () => {
  for (const c of checkers.splice(0)) await c.close();
  for (const s of open.splice(0)) await s.close();
  for (const d of tmps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const e2eCrls = (leaf: string, inter = 'intermediate.crl') => files({ '/leaf.crl': fixture(E2E + leaf), '/intermediate.crl': fixture(E2E + inter) });

describe('CRLs of the notation e2e chain served on localhost:10086', () => {
  it('good: leaf and intermediate are not listed; a warm second check makes no request', async () => {
    const srv = await serve(CRL_PORT, e2eCrls('leaf.crl'));
    const c = checker();
    const r = await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r.map((x) => x.status)).toEqual(['good', 'good']);
    expect(r[0]!.source).toBe(`${CRL_BASE}/leaf.crl`);
    expect(r[0]!.message).toMatch(/CN=LeafCert.*not listed in the CRL/);
    expect(revocationFailure(r)).toBeUndefined();
    const before = srv.requests.length;
    const again = await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(again.map((x) => x.status)).toEqual(['good', 'good']);
    expect(srv.requests.length).toBe(before);
  });

  it('revoked leaf: NOTATION_REVOKED naming the certificate, the CRL URL and the time', async () => {
    await serve(CRL_PORT, e2eCrls('leaf_revoked.crl'));
    const r = await checker().check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r[0]).toMatchObject({ index: 0, status: 'revoked', source: `${CRL_BASE}/leaf.crl` });
    expect(r[0]!.revokedAt?.toISOString()).toBe('2024-11-11T05:30:52.000Z');
    const err = revocationFailure(r, 'registry.example/app:1');
    expect(err?.code).toBe('NOTATION_REVOKED');
    expect(err?.message).toMatch(/signing certificate #0 CN=LeafCert.*serial 1000.*revoked on 2024-11-11.*leaf\.crl/);
  });

  it('revoked intermediate', async () => {
    await serve(CRL_PORT, e2eCrls('leaf.crl', 'intermediate_revoked.crl'));
    const r = await checker().check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r.map((x) => x.status)).toEqual(['good', 'revoked']);
  });

  it('a CRL signed by another key (leaf_expired.crl) is unknown, not good', async () => {
    await serve(CRL_PORT, e2eCrls('leaf_expired.crl'));
    const r = await checker().check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/leaf\.crl: the CRL signature does not verify/);
    expect(revocationFailure(r)?.code).toBe('NOTATION_REVOCATION_UNKNOWN');
  });

  it('unreachable, 404, slow and oversize CRLs are "unknown" with the reason', async () => {
    const none = await checker().check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(none[0]!.status).toBe('unknown');
    expect(none[0]!.message).toMatch(/leaf\.crl failed: .*ECONNREFUSED/);

    const srv = await serve(CRL_PORT, (_req, res) => void res.writeHead(404).end());
    expect((await checker().check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW }))[0]!.message).toMatch(/404/);

    srv.handle((req, res) => {
      const t = setTimeout(() => e2eCrls('leaf.crl')(req, res), 4000);
      res.on('close', () => clearTimeout(t));
    });
    const t0 = Date.now();
    const slow = await checker({ crlTimeoutMs: 300 }).check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(slow[0]!.status).toBe('unknown');
    expect(slow[0]!.message).toMatch(/time|abort/i);
    expect(Date.now() - t0).toBeLessThan(3000);

    srv.handle((_req, res) => void res.writeHead(200).end(Buffer.alloc(4096, 0x30)));
    const big = await checker({ maxCrlBytes: 1024 }).check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(big[0]!.message).toMatch(/1024|too large|exceed/i);
  });

  it('an ftp:// or https:// CDP is not fetched', async () => {
    const ca = await makeCert({ cn: 'scheme CA', ca: true });
    const leaf = await makeCert({ cn: 'scheme leaf', issuer: ca, crl: ['ftp://localhost/x.crl'] });
    const r = await checker().check([leaf.der, ca.der], { purpose: 'codeSigning', now: NOW });
    expect(r[0]).toMatchObject({ status: 'unknown' });
    expect(r[0]!.message).toMatch(/not an http:\/\/ URL, ignored/);
  });
});

/** A generated ECDSA chain whose leaf points at the local OCSP and CRL servers. */
async function genChain(o: { ocsp?: boolean; freshest?: boolean } = {}) {
  const ca = await makeCert({ cn: 'gen CA', ca: true });
  const leaf = await makeCert({
    cn: 'gen leaf',
    issuer: ca,
    crl: [`${CRL_BASE}/gen.crl`],
    freshest: o.freshest ? [`${CRL_BASE}/gen-delta.crl`] : undefined,
    ocsp: o.ocsp ? [OCSP_URL] : undefined,
  });
  return { ca, leaf, chain: [leaf.der, ca.der] };
}

function serialOf(c: TestCert): string {
  return c.cert.serialNumber.toBigInt().toString(16);
}

describe('OCSP first, then CRL (generated ECDSA chains, in-test responder on localhost:10087)', () => {
  it('OCSP good answers without touching the CRL; cached until nextUpdate', async () => {
    const { ca, leaf, chain } = await genChain({ ocsp: true });
    const ok = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good', nextUpdate: new Date(Date.now() + 3_600_000) });
    const ocsp = await serve(OCSP_PORT, ocspResponder((s) => (s === serialOf(leaf) ? ok : undefined)));
    const crl = await serve(CRL_PORT, files({}));
    const c = checker();
    const r = await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'good', source: `${OCSP_URL}/` });
    expect(r[0]!.validUntil).toBeInstanceOf(Date);
    await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(ocsp.requests.length).toBe(1);
    expect(crl.requests.length).toBe(0);
  });

  it('OCSP revoked; OCSP revoked with an invalidity date after the signing time stays good', async () => {
    const { ca, leaf, chain } = await genChain({ ocsp: true });
    const revoked = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'revoked', reason: 1, invalidity: new Date(Date.now() - 3_600_000) });
    await serve(OCSP_PORT, ocspResponder(() => revoked));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const t = await checker().check(chain, { purpose: 'timestamping', now: new Date(), signingTime: new Date(Date.now() - 86_400_000) });
    expect(t[0]!.status).toBe('good');
    expect(t[0]!.message).toMatch(/^TSA certificate #0 .*invalidity date .* after the authentic signing time/);
  });

  it('OCSP tryLater, unknown or down: falls back to the CRL', async () => {
    const { ca, leaf, chain } = await genChain({ ocsp: true });
    const crlRevoking = await makeCrl(ca, { number: 2, entries: [{ serial: BigInt(`0x${serialOf(leaf)}`), date: new Date(), reason: 1 }] });
    const crl = await serve(CRL_PORT, files({ '/gen.crl': crlRevoking }));
    const ocsp = await serve(OCSP_PORT, ocspResponder(() => ocspErrorResponse(3)));
    let r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'revoked', source: `${CRL_BASE}/gen.crl` });
    expect(crl.requests).toEqual(['/gen.crl']);
    const unknown = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'unknown' });
    ocsp.handle(ocspResponder(() => unknown));
    r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('revoked');
    await ocsp.close();
    r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('revoked');
  });

  it('a delegated responder: accepted with OCSPSigning, refused without (then CRL decides)', async () => {
    const { ca, leaf, chain } = await genChain({ ocsp: true });
    const responder = await makeCert({ cn: 'gen responder', issuer: ca, eku: [EKU_OCSP_SIGNING], ocspNoCheck: true });
    const impostor = await makeCert({ cn: 'gen impostor', issuer: ca });
    const good = await makeOcspResponse({ cert: leaf, issuer: ca, signer: responder, status: 'good' });
    const bad = await makeOcspResponse({ cert: leaf, issuer: ca, signer: impostor, status: 'good' });
    const ocsp = await serve(OCSP_PORT, ocspResponder(() => good));
    await serve(CRL_PORT, files({}));
    expect((await checker().check(chain, { purpose: 'codeSigning', now: new Date() }))[0]!.status).toBe('good');
    ocsp.handle(ocspResponder(() => bad));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/OCSPSigning.*; CRL .*gen\.crl.*404/);
  });

  it('a delta CRL revokes what the base CRL does not list', async () => {
    const { ca, leaf, chain } = await genChain({ freshest: true });
    const base = await makeCrl(ca, { number: 10 });
    const delta = await makeCrl(ca, { number: 11, deltaBase: 10, entries: [{ serial: BigInt(`0x${serialOf(leaf)}`), date: new Date(), reason: 4 }] });
    const srv = await serve(CRL_PORT, files({ '/gen.crl': base, '/gen-delta.crl': delta }));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'revoked', reason: 'superseded', source: `${CRL_BASE}/gen.crl + delta ${CRL_BASE}/gen-delta.crl` });
    srv.handle(files({ '/gen.crl': base }));
    const missing = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(missing[0]!.status).toBe('unknown');
  });

  it('an expired CRL gives "unknown" with its nextUpdate', async () => {
    const { ca, chain } = await genChain();
    const stale = await makeCrl(ca, { number: 3, thisUpdate: new Date(Date.now() - 2 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) });
    await serve(CRL_PORT, files({ '/gen.crl': stale }));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/CRL expired \(nextUpdate/);
  });

  it('a CRL issued in the future is "unknown"', async () => {
    const { ca, chain } = await genChain();
    const future = await makeCrl(ca, { number: 3, thisUpdate: new Date(Date.now() + 86_400_000), nextUpdate: new Date(Date.now() + 7 * 86_400_000) });
    await serve(CRL_PORT, files({ '/gen.crl': future }));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/thisUpdate .* is in the future/);
  });
});

describe('CRL cache: disk, single-flight, refresh ahead', () => {
  it('a CRL verified for one issuer is not trusted for another issuer with the same name', async () => {
    const ca1 = await makeCert({ cn: 'twin CA', ca: true });
    const ca2 = await makeCert({ cn: 'twin CA', ca: true });
    const leaf1 = await makeCert({ cn: 'twin leaf 1', issuer: ca1, crl: [`${CRL_BASE}/twin.crl`] });
    const leaf2 = await makeCert({ cn: 'twin leaf 2', issuer: ca2, crl: [`${CRL_BASE}/twin.crl`] });
    await serve(CRL_PORT, files({ '/twin.crl': await makeCrl(ca1, { number: 1 }) }));
    const c = checker();
    expect((await c.check([leaf1.der, ca1.der], { purpose: 'codeSigning', now: new Date() }))[0]!.status).toBe('good');
    const r = await c.check([leaf2.der, ca2.der], { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/signature does not verify/);
  });

  it('a new checker reuses the disk cache with the network down; a corrupted file is refetched', async () => {
    const dir = tmp();
    const srv = await serve(CRL_PORT, e2eCrls('leaf.crl'));
    await checker({ cacheDir: dir }).check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    await srv.close();
    const r = await checker({ cacheDir: dir }).check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r.map((x) => x.status)).toEqual(['good', 'good']);
    const crlDir = join(dir, 'crl');
    for (const f of readdirSync(crlDir)) writeFileSync(join(crlDir, f), 'garbage');
    const broken = await checker({ cacheDir: dir }).check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(broken.map((x) => x.status)).toEqual(['unknown', 'unknown']);
  });

  it('concurrent checks fetch each CRL once', async () => {
    const srv = await serve(CRL_PORT, e2eCrls('leaf.crl'));
    const c = checker();
    const all = await Promise.all(Array.from({ length: 8 }, () => c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW })));
    expect(all.every((r) => r.every((x) => x.status === 'good'))).toBe(true);
    expect(srv.requests.sort()).toEqual(['/intermediate.crl', '/leaf.crl']);
  });

  it('a CRL close to its nextUpdate is served from cache and refreshed in the background', async () => {
    const { ca, chain } = await genChain();
    const soon = await makeCrl(ca, { number: 1, thisUpdate: new Date(Date.now() - 3_600_000), nextUpdate: new Date(Date.now() + 120_000) });
    const srv = await serve(CRL_PORT, files({ '/gen.crl': soon }));
    const c = checker({ refreshAheadMs: 600_000 });
    await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(srv.requests.length).toBe(1);
    const fresh = await makeCrl(ca, { number: 2 });
    srv.handle(files({ '/gen.crl': fresh }));
    const r = await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]!.status).toBe('good');
    await c.settle();
    expect(srv.requests.length).toBe(2);
    const after = await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(after[0]!.validUntil!.getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    expect(srv.requests.length).toBe(2);
  });
});

describe('offline revocation bundle', () => {
  it('fetchRevocationBundle writes verified CRLs; the bundle checker works with the network down', async () => {
    const dir = tmp();
    await serve(CRL_PORT, e2eCrls('leaf_revoked.crl'));
    const report = await fetchRevocationBundle([CRL_CHAIN], dir, { fetcher: loopbackOnly(createNetworkFetcher()) });
    expect(report.failures).toEqual([]);
    expect(report.files.map((f) => f.url).sort()).toEqual([`${CRL_BASE}/intermediate.crl`, `${CRL_BASE}/leaf.crl`]);
    for (const s of open.splice(0)) await s.close();
    const c = createRevocationChecker({ bundleDir: dir });
    checkers.push(c);
    const r = await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r.map((x) => x.status)).toEqual(['revoked', 'good']);
    expect(r[0]!.message).toMatch(/bundle|leaf\.crl/);
  });

  it('OCSP responses with a nextUpdate are bundled too and answer offline', async () => {
    const dir = tmp();
    const { ca, leaf, chain } = await genChain({ ocsp: true });
    const good = await makeOcspResponse({ cert: leaf, issuer: ca, status: 'good', nextUpdate: new Date(Date.now() + 3_600_000) });
    await serve(OCSP_PORT, ocspResponder(() => good));
    await serve(CRL_PORT, files({ '/gen.crl': await makeCrl(ca, { number: 1 }) }));
    const report = await fetchRevocationBundle([chain], dir, { fetcher: loopbackOnly(createNetworkFetcher()), ocsp: true });
    expect(report.failures).toEqual([]);
    expect(report.files.map((f) => f.kind).sort()).toEqual(['crl', 'ocsp']);
    for (const s of open.splice(0)) await s.close();
    const c = createRevocationChecker({ bundleDir: dir });
    checkers.push(c);
    const r = await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'good', source: `${OCSP_URL}/` });
    expect(r[0]!.message).toMatch(/OCSP status good .* from bundle /);
  });

  it('a missing bundle file names the URL and the file expected; a stale one says it expired', async () => {
    const dir = tmp();
    const c = createRevocationChecker({ bundleDir: dir });
    checkers.push(c);
    const r = await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toContain(`no CRL for ${CRL_BASE}/leaf.crl (expected file ${bundleCrlFile(`${CRL_BASE}/leaf.crl`)})`);
    const stale = join(dir, bundleCrlFile(`${CRL_BASE}/leaf.crl`));
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, fixture(`${E2E}leaf.crl`));
    const c2 = createRevocationChecker({ bundleDir: dir });
    checkers.push(c2);
    const later = await c2.check(CRL_CHAIN, { purpose: 'codeSigning', now: new Date('2125-01-01T00:00:00Z') });
    expect(later[0]!.message).toMatch(/CRL expired \(nextUpdate 2124-10-18/);
  });

  it('fetchRevocationBundle reports CRLs it cannot fetch or verify', async () => {
    const dir = tmp();
    await serve(CRL_PORT, e2eCrls('leaf_expired.crl'));
    const report = await fetchRevocationBundle([CRL_CHAIN], dir, { fetcher: loopbackOnly(createNetworkFetcher()) });
    expect(report.failures).toEqual([expect.objectContaining({ url: `${CRL_BASE}/leaf.crl`, kind: 'crl' })]);
    expect(report.failures[0]!.message).toMatch(/signature does not verify/);
  });
});

/** Starts `openssl ocsp` on OCSP_PORT over an index we write; resolves once it says it is waiting for clients. */
async function startOpensslOcsp(index: string, extra: string[] = []): Promise<ChildProcess> {
  const dir = join(FIXTURES, 'revocation/notation-e2e-ocsp');
  const args = ['ocsp', '-index', index, '-port', String(OCSP_PORT), '-rsigner', 'ocsp.crt', '-rkey', 'ocsp.key', '-CA', 'root.crt', ...extra];
  const child = spawn(findTool('openssl')!, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // A probe connection would occupy the single-threaded responder, so wait for its own message instead.
  const ready = await new Promise<boolean>((resolve) => {
    let text = '';
    const t = setTimeout(() => resolve(false), 5000);
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('waiting for OCSP client connections')) {
        clearTimeout(t);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  if (!ready) {
    child.kill();
    throw new Error('openssl ocsp did not start');
  }
  return child;
}

const hasOpenssl = findTool('openssl') !== null;
if (!hasOpenssl && process.env.CI === 'true') throw new Error('openssl is required for the OCSP e2e tests (CI=true)');

describe.skipIf(!hasOpenssl)('real openssl OCSP responder (notation e2e OCSP chain, delegated responder ocsp.crt)', () => {
  const chain = readCerts('revocation/notation-e2e-ocsp/certchain_with_ocsp.pem');
  const leafLine = (status: string) =>
    `${status}\t21250121012154Z\t${status === 'R' ? '241111053052Z,keyCompromise' : ''}\t520D9B1364D98367711DA2B6A0A0F34B23E3D02A\tunknown\t/C=US/ST=State/L=City/O=Organization/OU=OrgUnit/CN=LeafCert\n`;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill();
      await exited;
    }
    child = undefined;
  });

  it('good, then cached until nextUpdate (-ndays 1)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'index.txt'), leafLine('V'));
    child = await startOpensslOcsp(join(dir, 'index.txt'), ['-ndays', '1']);
    const c = checker();
    const r = await c.check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'good', source: `${OCSP_URL}/` });
    expect(r[0]!.validUntil!.getTime()).toBeGreaterThan(Date.now());
    const killed = new Promise((res) => child!.once('exit', res));
    child.kill();
    await killed;
    expect((await c.check(chain, { purpose: 'codeSigning', now: new Date() }))[0]!.status).toBe('good');
  });

  it('revoked (keyCompromise, 2024-11-11)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'index.txt'), leafLine('R'));
    child = await startOpensslOcsp(join(dir, 'index.txt'));
    const r = await checker().check(chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(r[0]!.revokedAt?.toISOString()).toBe('2024-11-11T05:30:52.000Z');
  });
});
