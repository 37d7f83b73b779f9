/** Parsing the server's latency histogram, the delta of two scrapes, and quantiles as Prometheus computes them. */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/webhook/metrics.js';
import { histogramDelta, histogramQuantile, parseGauge, parseHistogram } from './prom-histogram.js';

const NAME = 'notary_pin_webhook_request_duration_seconds';

describe('prom-histogram', () => {
  it('reads one series of the webhook histogram from real /metrics text, ignoring the other outcomes', async () => {
    const m = createMetrics();
    for (const s of [0.0005, 0.002, 0.002, 0.004, 0.3]) m.observe('allowed', 'verified', s);
    m.observe('denied', 'policy', 0.0001);
    const b = parseHistogram(await m.registry.metrics(), NAME, { outcome: 'allowed' });
    expect(b.find((x) => x.le === 0.001)?.count).toBe(1);
    expect(b.find((x) => x.le === 0.0025)?.count).toBe(3);
    expect(b.find((x) => x.le === 0.005)?.count).toBe(4);
    expect(b.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 5 });
    expect(b.map((x) => x.le)).toEqual([...b.map((x) => x.le)].sort((x, y) => x - y));
  });

  it('subtracts an earlier scrape and interpolates inside the bucket', () => {
    const before = [
      { le: 0.001, count: 10 },
      { le: 0.005, count: 10 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ];
    const after = [
      { le: 0.001, count: 60 },
      { le: 0.005, count: 110 },
      { le: Number.POSITIVE_INFINITY, count: 110 },
    ];
    const d = histogramDelta(before, after);
    expect(d.map((x) => x.count)).toEqual([50, 100, 100]);
    expect(histogramQuantile(0.5, d)).toBeCloseTo(0.001); // rank 50: the top of the first bucket
    expect(histogramQuantile(0.75, d)).toBeCloseTo(0.003); // rank 75: half way through 0.001..0.005
    expect(histogramQuantile(0.99, d)).toBeCloseTo(0.00492);
  });

  it('gives NaN without observations and the highest finite bound for the +Inf bucket', () => {
    expect(histogramQuantile(0.99, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNaN();
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 10 },
      ]),
    ).toBe(1);
  });
});

describe('parseGauge', () => {
  it("reads the webhook's own event-loop gauges (default metrics) and nothing that only starts with the name", async () => {
    const m = createMetrics({ defaultMetrics: true });
    const text = await m.registry.metrics();
    const p99 = parseGauge(text, 'notary_pin_nodejs_eventloop_lag_p99_seconds');
    expect(typeof p99).toBe('number');
    expect(Number.isFinite(p99)).toBe(true);
    expect(parseGauge('a_total 3\na 4\n', 'a')).toBe(4);
    expect(parseGauge('a_total 3\n', 'a')).toBeUndefined();
  });
});
