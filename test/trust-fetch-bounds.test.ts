/**
 * Trust fetching under a hostile caller, against a real (in-process, HTTPS) stalling trust server:
 * the caller's abort signal cancels its lookups in the HTTP client, and the fetches in flight per
 * trust server are bounded across every caller of a resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustRuleSchema } from '../src/config/schema.js';
import { createNotaryResolver } from '../src/trust/notary/resolver.js';
import { TufRepoBuilder } from '../src/trust/notary/sign/repo.js';
import { startMaliciousServer, type MaliciousServer, type RoleBehaviour } from './support/attack/malicious.js';
import { D, error, ref, value } from './support/notary/helpers.js';

const HOST = 'registry.example:5000';
const stalled: Record<string, RoleBehaviour> = { root: 'stall', timestamp: 'stall', snapshot: 'stall', targets: 'stall' };

let srv: MaliciousServer;
beforeAll(async () => {
  srv = await startMaliciousServer();
});
afterAll(async () => {
  await srv?.close();
});

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
};

describe('trust fetching: caller signal and per-server bound', () => {
  it('a hostile caller occupies at most maxFetchesPerServer fetches; its abort cancels them and an honest lookup then runs at once', async () => {
    const honest = new TufRepoBuilder({ gun: `${HOST}/team/honest` });
    honest.addTarget('v1', { digest: D(1), length: 100 });
    const served: Record<string, Record<string, RoleBehaviour>> = { [`${HOST}/team/honest`]: { ...honest.build() } };
    for (let i = 0; i < 50; i++) served[`${HOST}/hostile/r${i}`] = stalled;
    srv.serve(served);
    // A long timeout: without cancellation the honest lookup would wait behind stalled fetches for 30 s.
    const rule = TrustRuleSchema.parse({
      images: ['**'],
      server: srv.url,
      ca: srv.caPem,
      timeoutSeconds: 30,
      rootKeys: honest.rootKeyIds().keyIds,
      signers: ['targets'],
    });
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', maxFetchesPerServer: 8 });
    try {
      const review = new AbortController();
      const hostile = Array.from({ length: 50 }, (_, i) => r.resolve(ref(`${HOST}/hostile/r${i}:v1`), rule, { signal: review.signal }));
      await until(() => srv.requests().length >= 8);
      await new Promise((res) => setTimeout(res, 200));
      expect(srv.requests().length).toBe(8); // 50 GUNs × 4 files asked for, 8 sent
      review.abort(new Error('review deadline'));
      const answers = await Promise.all(hostile);
      for (const a of answers) {
        const e = error(a);
        expect(e.code).toBe('TRUST_FETCH');
        expect(e.message).toMatch(/cancelled: its caller's deadline passed/);
        expect(e.image).toMatch(/hostile\/r\d+:v1$/);
      }
      const sent = srv.requests().length;
      const t0 = performance.now();
      expect(value(await r.resolve(ref(`${HOST}/team/honest:v1`), rule)).digest).toBe(D(1));
      expect(performance.now() - t0).toBeLessThan(10_000);
      // Only the honest GUN's files were asked for after the abort: no queued hostile fetch was sent.
      expect(srv.requests().slice(sent).every((p) => p.includes('/team/honest/'))).toBe(true);
    } finally {
      await r.close();
    }
  }, 20_000);
});
