import { describe, expect, it } from 'vitest';
import { mapLimit, median, paired, pairedDifference, pairedRatio } from './stats.js';

describe('bench statistics', () => {
  it('median of odd and even counts, NaN for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('paired runs alternate which side goes first', async () => {
    const order: string[] = [];
    const [a, b] = await paired(
      4,
      async (i) => (order.push(`a${i}`), i),
      async (i) => (order.push(`b${i}`), 10 * i),
    );
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3']);
    expect(a).toEqual([0, 1, 2, 3]);
    expect(b).toEqual([0, 10, 20, 30]);
  });

  it('differences and ratios are taken per pair, then the median', () => {
    // a drift that slows both sides of later pairs does not move the per-pair figures
    const a = [100, 200, 400];
    const b = [150, 300, 600];
    expect(pairedDifference(a, b)).toBe(100);
    expect(pairedRatio(a, b)).toBe(1.5);
    expect(() => pairedRatio([1], [1, 2])).toThrow(/1 and 2 runs/);
  });

  it('mapLimit keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (x, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, x));
      running--;
      return x * 10 + i;
    });
    expect(out).toEqual([50, 11, 42, 23, 34, 5]);
    expect(most).toBe(2);
  });
});
