import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_MS, parseGoDuration, requestTimeoutMs, verificationBudgetMs } from './timeout.js';

describe('timeout', () => {
  it.each([
    ['10s', 10_000],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['2h', 7_200_000],
  ])('parses the Go duration %s', (s, ms) => {
    expect(parseGoDuration(s)).toBe(ms);
  });

  it.each(['', '10', 's', '-5s', '0s', '10x', '10s ', '1e3s', 'x'.repeat(100)])('rejects %j', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });

  it('reads ?timeout= (clamped to 30 s), defaulting to 10 s', () => {
    expect(requestTimeoutMs(new URL('https://x/validate?timeout=5s'))).toBe(5000);
    expect(requestTimeoutMs(new URL('https://x/validate?timeout=10m'))).toBe(30_000);
    expect(requestTimeoutMs(new URL('https://x/validate'))).toBe(DEFAULT_TIMEOUT_MS);
    expect(requestTimeoutMs(new URL('https://x/validate?timeout=soon'))).toBe(DEFAULT_TIMEOUT_MS);
  });

  it('keeps a margin before the API server gives up', () => {
    expect(verificationBudgetMs(10_000)).toBe(8000);
    expect(verificationBudgetMs(30_000)).toBe(28_000);
    expect(verificationBudgetMs(1000)).toBe(750);
    expect(verificationBudgetMs(100)).toBe(50);
  });
});
