/** The bench's load generator: schedule, counts, answer checks, and the isolated child process. */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../test/support/http-server.js';
import { useTestTls } from '../test/support/notary/helpers.js';
import { runLoad, runLoadIsolated } from './load.js';

const tls = useTestTls();

/** Answers like a webhook: allowed unless the body asks to be denied; 500 for `boom`. */
async function startReviewServer() {
  const bodies: string[] = [];
  const s = await startTestServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    bodies.push(body);
    if (body === 'boom') {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response: { allowed: body !== 'deny' } }));
  }, tls.leaf);
  tls.cleanup.push(() => s.close());
  return { s, bodies };
}

describe('runLoad', () => {
  it('sends rate × duration requests on schedule, each body once, and counts answers the check accepts', async () => {
    const { s, bodies } = await startReviewServer();
    const r = await runLoad({
      origin: s.url,
      path: '/validate',
      ca: tls.ca.certPem,
      rate: 100,
      durationMs: 300,
      body: (i) => (i === 3 ? 'deny' : i === 5 ? 'boom' : `req-${i}`),
      check: (b) => (JSON.parse(b) as { response: { allowed: boolean } }).response.allowed,
    });
    expect(r.sent).toBe(30);
    expect(bodies).toHaveLength(30);
    expect(new Set(bodies).size).toBe(30);
    expect(r.ok).toBe(28);
    expect(r.errors).toBe(2); // one denied (the check), one 500
    expect(r.dropped).toBe(0);
    expect(r.p50Ms).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms);
  });

  it('drops (does not queue) requests beyond maxInFlight', async () => {
    const { s } = await startReviewServer();
    s.handle(() => {}); // never answers
    const r = await runLoad({ origin: s.url, path: '/', ca: tls.ca.certPem, rate: 200, durationMs: 100, body: () => 'x', maxInFlight: 5, timeoutMs: 300 });
    expect(r.sent).toBe(5);
    expect(r.dropped).toBe(15);
    expect(r.errors).toBe(5); // timed out
    expect(r.ok).toBe(0);
  });
});

describe('runLoadIsolated', () => {
  it('runs the phases in a child process, in order, with the named check', async () => {
    const { s, bodies } = await startReviewServer();
    const results = await runLoadIsolated({
      origin: s.url,
      path: '/validate',
      ca: tls.ca.certPem,
      check: 'allowed',
      phases: [
        { rate: 50, durationMs: 200, bodies: ['a', 'deny'] },
        { rate: 100, durationMs: 200, bodies: ['b'] },
      ],
    });
    expect(results.map((r) => [r.sent, r.ok, r.errors])).toEqual([
      [10, 5, 5],
      [20, 20, 0],
    ]);
    expect(bodies.slice(0, 10).every((b) => b === 'a' || b === 'deny')).toBe(true);
    expect(bodies.slice(10)).toEqual(Array(20).fill('b'));
  });
});
