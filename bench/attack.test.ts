/** The stalling trust server holds every request; hostile reviews parse as AdmissionReviews naming distinct repositories. */
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { parseAdmissionReview } from '../src/webhook/review.js';
import { useTestTls } from '../test/support/notary/helpers.js';
import { manyRepositoriesReview, startStallingServer } from './attack.js';

const tls = useTestTls();

describe('startStallingServer', () => {
  it('counts every request and answers none (the client times out), until closed', async () => {
    const s = await startStallingServer({ cert: tls.leaf.certPem, key: tls.leaf.keyPem });
    tls.cleanup.push(() => s.close());
    const get = () =>
      new Promise<string>((resolve) => {
        const req = request(`${s.url}/v2/x/_trust/tuf/root.json`, { ca: tls.ca.certPem, agent: false, timeout: 300 }, () => resolve('answered'));
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve(e.message));
        req.end();
      });
    expect(await Promise.all([get(), get(), get()])).toEqual(['timeout', 'timeout', 'timeout']);
    expect(s.requests()).toBe(3);
  });
});

describe('manyRepositoriesReview', () => {
  it('is an AdmissionReview of a Pod with one pinned image per distinct repository', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const r = parseAdmissionReview(JSON.parse(manyRepositoriesReview(7, 'attack.invalid', 100, 64, digest)));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const images = (r.review.request.object as any).spec.containers.map((c: { image: string }) => c.image);
    expect(images).toHaveLength(64);
    expect(new Set(images).size).toBe(64);
    expect(images[0]).toBe(`attack.invalid/attack/r100@${digest}`);
    expect(images[63]).toBe(`attack.invalid/attack/r163@${digest}`);
    expect(r.review.request.uid).toBe('ffffffff-0000-4000-8000-000000000007');
  });
});
