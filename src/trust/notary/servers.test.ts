import { describe, expect, it } from 'vitest';
import type { ImageReference } from '../../reference/types.js';
import { gunOf, trustServerFor } from './servers.js';

const ref = (domain: string, path: string): ImageReference => ({ original: `${domain}/${path}`, domain, path, repository: `${domain}/${path}` });

describe('trustServerFor', () => {
  it('uses notary.docker.io for Docker Hub, the registry host otherwise', () => {
    expect(trustServerFor(ref('docker.io', 'library/nginx'), {}, {})).toBe('https://notary.docker.io');
    expect(trustServerFor(ref('127.0.0.1:5000', 'app'), {}, {})).toBe('https://127.0.0.1:5000');
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
