/**
 * staleIfErrorMs with the on-disk metadata cache: when the trust server cannot be reached, the cached
 * files, verified again offline, answer if the server answered for them at most that long ago, and
 * never past the expiries signed into them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustRuleSchema } from '../../config/schema.js';
import { startTestServer } from '../../../test/support/http-server.js';
import { TufRepoBuilder } from './sign/repo.js';
import { createNotaryResolver } from './resolver.js';
import { notaryHandler } from '../../demo/notary-handler.js';
import { D, asFiles, error, value, ref, useTestTls } from '../../../test/support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const tls = useTestTls();
const { cleanup } = tls;
const DAY = 86_400_000;

describe('on-disk metadata cache: stale if error', () => {
  it('server unreachable: cached data answers (marked stale) within the window and never past its signed expiry', async () => {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('v1', { digest: D(1), length: 100 });
    const s = await startTestServer(notaryHandler(new Map([[GUN, asFiles(b.build())]])), tls.leaf);
    const cacheDir = mkdtempSync(join(tmpdir(), 'np-disk-stale-'));
    cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
    const rule = TrustRuleSchema.parse({ images: ['**'], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds });
    const t0 = Date.now();
    const run = async (staleIfErrorMs: number, at: number) => {
      const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, cache: { staleIfErrorMs }, now: () => new Date(at) });
      const out = await r.resolve(ref(`${GUN}:v1`), rule);
      await r.close();
      return out;
    };
    expect(value(await run(DAY, t0)).stale).toBeUndefined();

    s.handle((req) => void req.socket.destroy()); // the server goes away
    const stale = value(await run(DAY, t0 + 60_000));
    expect(stale.digest).toBe(D(1));
    expect(stale.stale).toBeDefined();
    expect(error(await run(0, t0 + 60_000)).code).toBe('TRUST_FETCH'); // off
    expect(error(await run(3_600_000, t0 + 2 * 3_600_000)).code).toBe('TRUST_FETCH'); // answered too long ago
    // the timestamp role expires after 14 days: the offline re-verification refuses it whatever the window
    expect(error(await run(30 * DAY, t0 + 15 * DAY)).code).toBe('TRUST_FETCH');
    // a stale answer does not renew the window
    expect(error(await run(DAY, t0 + DAY + 1)).code).toBe('TRUST_FETCH');
    // nor does a long-running resolver's memory cache (the webhook with a cacheDir): it ends with the window
    let t = t0 + 60_000;
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', cacheDir, cache: { staleIfErrorMs: 3_600_000, ttlMs: 10 * 3_600_000 }, now: () => new Date(t) });
    cleanup.push(() => r.close());
    expect(value(await r.resolve(ref(`${GUN}:v1`), rule)).stale).toBeDefined();
    t = t0 + 3_600_001;
    expect(error(await r.resolve(ref(`${GUN}:v1`), rule)).code).toBe('TRUST_FETCH');
  });
});
