import { describe, expect, it } from 'vitest';
import { notationRows, type ColdRun, type NotationFigures } from './notation.js';

/** Cold runs with these wall times; CPU and server CPU derived from them (×0.9, ×0.5 or undefined). */
const runs = (walls: number[], server = true): ColdRun[] =>
  walls.map((w) => ({ wallMs: w, cpuMs: w * 0.9, serverCpuMs: server ? w * 0.5 : undefined }));

const load = (p99Ms: number, serverP99Ms: number | undefined, errors = 0) => ({
  sent: 5000, ok: 5000 - errors, errors, dropped: 0, throughput: 500, p50Ms: 1, p99Ms, maxMs: 9, elapsedMs: 10_000, serverP99Ms,
  sendLatenessP99Ms: 1.5, serverEventLoopDelay: serverP99Ms === undefined ? undefined : { p99Ms: 0.4, maxMs: 3 },
});

function figures(o: Partial<NotationFigures> = {}): NotationFigures {
  return {
    cold: [900, 1000, 1100],
    ratioPairs: { notation: runs([1000, 1200, 1300]), notary: runs([800, 1000, 1000]) },
    delayed: { undelayed: [1000, 1000, 1000], delayed: [1100, 1080, 1200] },
    floor: [700, 650, 800],
    lightPairs: { notation: [900, 1000, 1100], notary: [800, 1000, 1000] },
    rttMs: 20,
    webhook: load(4, 2),
    webhookPinned: true,
    ...o,
  };
}

const row = (rows: ReturnType<typeof notationRows>, start: string) => rows.find((r) => r[0].startsWith(start))!;

describe('Notation bench rows', () => {
  it('ratio and round trips are per pair (medians of ratios and differences), with their targets', () => {
    const rows = notationRows(figures(), 2000, 50, 200);
    expect(row(rows, 'Notation cold,')[1]).toBe('1000 ms');
    expect(row(rows, 'Notation cold / Notary v1')).toEqual(['Notation cold / Notary v1 cold (paired runs)', '1.25× (1200 ms / 1000 ms)', '<= 1.5×', true]);
    expect(row(rows, 'Notation cold: wall time added')[1]).toBe('100 ms = 5.0 RTT');
    expect(row(rows, 'Notation cold: wall time added')[3]).toBe(true);
    expect(row(rows, 'Notation: registry floor')[1]).toBe('700 ms (Notation cold 1000 ms includes node start-up and reading the bundle)');
    expect(row(rows, 'Notation / Notary v1 cold: CPU of the notary-pin')).toEqual([
      'Notation / Notary v1 cold: CPU of the notary-pin process (user + system, paired runs)', '1.25× (1080 ms / 900 ms)', '', undefined,
    ]);
    expect(row(rows, 'Notation / Notary v1 cold: CPU of the server')[1]).toBe('600 ms / 500 ms');
    expect(row(rows, 'Notation cold / Notary v1 cold with a light registry')[1]).toBe('1.10× (1000 ms / 1000 ms)');
    expect(row(rows, 'Notation webhook latency p50')[3]).toBe(true);
    expect(row(rows, 'Notation webhook p99 beside the handler')[1]).toBe('1.50 ms / 0.40 ms (max 3.0 ms)');
  });

  it('misses: ratio over 1.5×, over 6 round trips, p99 at 5 ms, server p99 unknown, errors', () => {
    const rows = notationRows(
      figures({ ratioPairs: { notation: runs([1600], false), notary: runs([1000], false) }, delayed: { undelayed: [1000], delayed: [1130] }, webhook: load(5, undefined, 1) }),
      2000, 50, 200,
    );
    expect(row(rows, 'Notation cold / Notary v1')[3]).toBe(false);
    expect(row(rows, 'Notation cold: wall time added')[3]).toBe(false);
    expect(row(rows, 'Notation webhook @')[3]).toBe(false);
    expect(row(rows, 'Notation webhook latency p50')[3]).toBe(false);
    expect(row(rows, 'Notation webhook latency p99, server')[3]).toBe(false);
    expect(row(rows, 'Notation / Notary v1 cold: CPU of the server')[1]).toBe('n/a (no /proc) / n/a (no /proc)');
    expect(row(rows, 'Notation webhook p99 beside the handler')[1]).toBe('1.50 ms / ?');
  });
});
