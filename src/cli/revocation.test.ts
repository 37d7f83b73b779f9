import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { revocationCommand, runRevocationFetch } from './revocation.js';
import { createRevocationChecker } from '../trust/notation/revocation/checker.js';
import { startTestServer, type TestServer } from '../../test/support/http-server.js';
import { makeCert, makeCrl } from '../../test/support/notation-revocation/pki.js';

function pem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(crlBody: (ca: Awaited<ReturnType<typeof makeCert>>) => Promise<Uint8Array>) {
  const srv: TestServer = await startTestServer((_req, res) => void res.writeHead(404).end());
  cleanup.push(() => srv.close());
  const dir = mkdtempSync(join(tmpdir(), 'np-cli-rev-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await makeCert({ cn: 'cli CA', ca: true });
  const leaf = await makeCert({ cn: 'cli leaf', issuer: ca, crl: [`${srv.url}/ca.crl`] });
  const body = await crlBody(ca);
  srv.handle((req, res) => void (req.url === '/ca.crl' ? res.writeHead(200).end(Buffer.from(body)) : res.writeHead(404).end()));
  const chainFile = join(dir, 'chain.pem');
  writeFileSync(chainFile, pem(leaf.der) + pem(ca.der));
  return { srv, dir, chainFile, chain: [leaf.der, ca.der], out: join(dir, 'bundle') };
}

describe('notary-pin revocation fetch', () => {
  it('writes a verified bundle that the bundle checker then uses offline', async () => {
    const s = await setup((ca) => makeCrl(ca, { number: 1 }));
    const lines: string[] = [];
    expect(await runRevocationFetch({ out: s.out, chain: [s.chainFile] }, (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^wrote crl\/.*\.crl \(crl http:\/\/127\.0\.0\.1:\d+\/ca\.crl, valid until /);
    expect(JSON.parse(readFileSync(join(s.out, 'index.json'), 'utf8')).files).toHaveLength(1);
    await s.srv.close();
    const c = createRevocationChecker({ bundleDir: s.out });
    cleanup.push(() => c.close());
    const r = await c.check(s.chain, { purpose: 'codeSigning', now: new Date() });
    expect(r[0]?.status).toBe('good');
  });

  it('exits 1 and says the bundle is incomplete when a CRL does not verify', async () => {
    const other = await makeCert({ cn: 'cli CA', ca: true });
    const s = await setup(() => makeCrl(other, { number: 1 }));
    const lines: string[] = [];
    expect(await runRevocationFetch({ out: s.out, chain: [s.chainFile] }, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/FAILED crl .*ca\.crl: the CRL signature does not verify[\s\S]*INCOMPLETE/);
  });

  it('is a commander command with required --out and --chain', async () => {
    const cmd = revocationCommand().exitOverride();
    cmd.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
    await expect(cmd.parseAsync(['fetch', '--out', '/tmp/x'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
  });
});
