import { describe, expect, it } from 'vitest';
import { boundedMemo } from './memo.js';

describe('boundedMemo', () => {
  it('computes once per key and forgets the oldest beyond the bound', () => {
    const memo = boundedMemo<number>(2);
    let calls = 0;
    const f = (k: string) => memo(k, () => ++calls);
    expect(f('a')).toBe(1);
    expect(f('a')).toBe(1);
    expect(f('b')).toBe(2);
    expect(f('c')).toBe(3); // evicts a
    expect(f('b')).toBe(2);
    expect(f('a')).toBe(4);
    expect(calls).toBe(4);
  });

  it('remembers undefined results too', () => {
    const memo = boundedMemo<number | undefined>(4);
    let calls = 0;
    memo('x', () => (calls++, undefined));
    memo('x', () => (calls++, undefined));
    expect(calls).toBe(1);
  });
});
