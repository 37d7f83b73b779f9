/** The bench's load generator: schedule, counts, answer checks, and the isolated child process. */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../test/support/http-server.js';
import { useTestTls } from '../test/support/notary/helpers.js';
import { cpus } from 'node:os';
import { createMetrics } from '../src/webhook/metrics.js';
import { onCpu, runLoad, runLoadIsolated } from './load.js';

const tls = useTestTls();

/** Answers like a webhook: allowed unless the body asks to be denied; 500 for `boom`; its latency histogram on /metrics. */
async function startReviewServer() {
  const bodies: string[] = [];
  const metrics = createMetrics();
  const s = await startTestServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(await metrics.registry.metrics());
      return;
    }
    metrics.observe('allowed', 'verified', 0.0005); // the server's own latency, as its histogram says
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
  return { s, bodies, metrics };
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

describe('runLoadIsolated: server-side latency and pinning', () => {
  it("reads each phase's server-side p50/p99 from the server's histogram (that phase's requests only), and checks denials", async () => {
    const { s } = await startReviewServer();
    const results = await runLoadIsolated({
      origin: s.url,
      path: '/validate',
      ca: tls.ca.certPem,
      check: 'denied',
      serverHistogram: { path: '/metrics', name: 'notary_pin_webhook_request_duration_seconds', labels: { outcome: 'allowed' } },
      phases: [
        { rate: 100, durationMs: 200, bodies: ['deny'] },
        { rate: 100, durationMs: 200, bodies: ['a'] },
      ],
    });
    // phase 1: 20 denied answers pass the `denied` check, the server saw 20 requests at 0.5 ms
    expect([results[0]!.ok, results[0]!.errors, results[0]!.serverCount]).toEqual([20, 0, 20]);
    expect(results[0]!.serverP99Ms).toBeGreaterThan(0);
    expect(results[0]!.serverP99Ms).toBeLessThanOrEqual(1);
    // phase 2: allowed answers fail the check; its own 20 requests only
    expect([results[1]!.ok, results[1]!.errors, results[1]!.serverCount]).toEqual([0, 20, 20]);
  });

  it('onCpu prefixes taskset -c when the machine has that CPU, and leaves the command alone otherwise', () => {
    expect(onCpu(undefined, 'node', ['x'])).toEqual({ command: 'node', args: ['x'], pinned: false });
    expect(onCpu(cpus().length, 'node', ['x'])).toEqual({ command: 'node', args: ['x'], pinned: false });
    const pinned = onCpu(0, 'node', ['x']);
    if (pinned.pinned) expect(pinned).toEqual({ command: 'taskset', args: ['-c', '0', 'node', 'x'], pinned: true });
    else expect(pinned).toEqual({ command: 'node', args: ['x'], pinned: false });
  });
});
