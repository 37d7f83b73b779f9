import { describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import type { ImageReference } from '../../reference/image-reference.js';
import { gunOf, trustServerFor } from './servers.js';

const ref = (domain: string, path: string): ImageReference => ({ original: `${domain}/${path}`, domain, path, repository: `${domain}/${path}` });

describe('trustServerFor', () => {
  it('uses the registry host', () => {
    expect(trustServerFor(ref('127.0.0.1:5000', 'app'), {}, {})).toBe('https://127.0.0.1:5000');
    expect(trustServerFor(ref('ghcr.io', 'a/b'), {}, {})).toBe('https://ghcr.io');
  });
  it('refuses notary.docker.io (retired 2026-12-08): no default for docker.io, and never when named', () => {
    const retired = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PinError);
        return e as PinError;
      }
      throw new Error('expected TRUST_SERVER_RETIRED');
    };
    const byDefault = retired(() => trustServerFor(ref('docker.io', 'library/nginx'), {}, {}));
    expect(byDefault.code).toBe('TRUST_SERVER_RETIRED');
    expect(byDefault.message).toMatch(/retired .*2026-12-08/);
    expect(byDefault.message).toMatch(/no trust server is set/);
    expect(byDefault.hint).toMatch(/Migrating from Docker Content Trust/);
    for (const server of ['https://notary.docker.io', 'https://Notary.Docker.IO:443/', 'https://notary.docker.io./']) {
      const named = retired(() => trustServerFor(ref('ghcr.io', 'a/b'), { server }, {}));
      expect(named.code).toBe('TRUST_SERVER_RETIRED');
      expect(named.message).toContain("the rule's server");
    }
    const fromEnv = retired(() => trustServerFor(ref('docker.io', 'library/nginx'), {}, { DOCKER_CONTENT_TRUST_SERVER: 'https://notary.docker.io' }));
    expect(fromEnv.code).toBe('TRUST_SERVER_RETIRED');
    expect(fromEnv.message).toContain('DOCKER_CONTENT_TRUST_SERVER');
    // a server of one's own still serves docker.io images
    expect(trustServerFor(ref('docker.io', 'library/nginx'), { server: 'https://notary.example:4443' }, {})).toBe('https://notary.example:4443');
  });
  it('prefers the rule server, then $DOCKER_CONTENT_TRUST_SERVER (as docker does)', () => {
    const env = { DOCKER_CONTENT_TRUST_SERVER: 'https://notary.example:4443/' };
    expect(trustServerFor(ref('docker.io', 'library/nginx'), {}, env)).toBe('https://notary.example:4443');
    expect(trustServerFor(ref('docker.io', 'library/nginx'), { server: 'http://127.0.0.1:4443/' }, env)).toBe('http://127.0.0.1:4443');
  });
  it('rejects a non-https $DOCKER_CONTENT_TRUST_SERVER', () => {
    expect(() => trustServerFor(ref('ghcr.io', 'a/b'), {}, { DOCKER_CONTENT_TRUST_SERVER: 'http://x' })).toThrow(/https/);
  });
  it('uses the normalised repository as the GUN', () => {
    expect(gunOf(ref('docker.io', 'library/nginx'))).toBe('docker.io/library/nginx');
  });
});
