import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenge.js';

describe('parseChallenges', () => {
  it('parses a Docker bearer challenge', () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="notary.docker.io",scope="repository:docker.io/library/nginx:pull"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'notary.docker.io', scope: 'repository:docker.io/library/nginx:pull' },
      },
    ]);
  });
  it('parses several challenges, unquoted values and escapes', () => {
    const c = parseChallenges(['Basic realm="a \\"b\\"", charset=UTF-8', 'Bearer realm=https://x/t']);
    expect(c).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"', charset: 'UTF-8' } },
      { scheme: 'bearer', params: { realm: 'https://x/t' } },
    ]);
  });
  it('parses two challenges in one header value', () => {
    const c = parseChallenges('Basic realm="r", Bearer realm="https://t", service="s"');
    expect(c.map((x) => x.scheme)).toEqual(['basic', 'bearer']);
    expect(c[1]!.params).toEqual({ realm: 'https://t', service: 's' });
  });
  it('returns nothing for a missing header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
  });
});
