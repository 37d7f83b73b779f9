import { describe, expect, it } from 'vitest';
import { compactRef, Interner, ownString } from './intern.js';

describe('Interner', () => {
  it('pools equal values and keeps them equal', () => {
    const big = `prefix ${'x'.repeat(100)} registry.example.com/team/app:1.0 suffix`;
    const strings = new Interner();
    const a = strings.intern(big.slice(108, 141));
    const b = strings.intern(`registry.example.com/${'team/app:1.0'}`);
    expect(a).toBe('registry.example.com/team/app:1.0');
    expect(b).toBe(a);
    strings.intern('short');
    expect(strings.size).toBe(2);
  });

  it('ownString copies long values and leaves short ones', () => {
    expect(ownString('abc')).toBe('abc');
    const long = 'é"\\\n'.repeat(10);
    expect(ownString(long)).toBe(long);
  });

  it('new Interner(false) (JSON input, no slices to drop) hands strings back as they are and pools nothing', () => {
    const strings = new Interner(false);
    const s = `registry.example.com/${'team/app:1.0'}`;
    expect(strings.intern(s)).toBe(s);
    expect(strings.own(s)).toBe(s);
    expect(compactRef({ kind: 'Pod', name: 'a-very-long-name-here' }, strings)).toStrictEqual({ kind: 'Pod', name: 'a-very-long-name-here' });
    expect(strings.size).toBe(0);
  });

  it('compactRef keeps exactly the fields given', () => {
    const strings = new Interner();
    expect(compactRef({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'a-very-long-name-here' }, strings)).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'a-very-long-name-here',
    });
    expect(compactRef({}, strings)).toStrictEqual({});
  });
});
