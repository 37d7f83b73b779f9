import { describe, expect, it } from 'vitest';
import { RegistryConfigSchema, isLoopbackHost, registryBaseUrl, registryConfigFor } from './config.js';
import { digestOf, isDigest, matchesDigest, referrersTag } from './digest.js';

describe('spec.registries entry', () => {
  it('has the documented defaults', () => {
    expect(RegistryConfigSchema.parse({ host: 'registry.example.com:5000' })).toEqual({
      host: 'registry.example.com:5000',
      plainHTTP: false,
      timeoutSeconds: 10,
      maxManifestBytes: 4 * 1024 * 1024,
      maxBlobBytes: 32 * 1024 * 1024,
    });
  });

  it('refuses plainHTTP for a host that is not loopback, and unknown fields', () => {
    expect(RegistryConfigSchema.safeParse({ host: 'registry.example.com', plainHTTP: true }).success).toBe(false);
    expect(RegistryConfigSchema.safeParse({ host: '10.0.0.1:5000', plainHTTP: true }).success).toBe(false);
    expect(RegistryConfigSchema.safeParse({ host: '127.0.0.1.evil.com', plainHTTP: true }).success).toBe(false);
    for (const host of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', '[::1]:5000']) {
      expect(RegistryConfigSchema.safeParse({ host, plainHTTP: true }).success).toBe(true);
    }
    expect(RegistryConfigSchema.safeParse({ host: 'r.example.com', insecure: true }).success).toBe(false);
    expect(RegistryConfigSchema.safeParse({ host: 'https://r.example.com' }).success).toBe(false);
    expect(RegistryConfigSchema.safeParse({ host: 'r.example.com', auth: { username: 'u', passwordEnv: 'P', tokenRealms: ['auth.example.com'] } }).success).toBe(true);
  });

  it('finds the entry for a host (case-insensitive, docker.io aliases) or gives the defaults', () => {
    const regs = [RegistryConfigSchema.parse({ host: 'Reg.Example.com:5000', timeoutSeconds: 3 }), RegistryConfigSchema.parse({ host: 'docker.io', timeoutSeconds: 4 })];
    expect(registryConfigFor('reg.example.com:5000', regs).timeoutSeconds).toBe(3);
    expect(registryConfigFor('reg.example.com', regs).timeoutSeconds).toBe(10);
    expect(registryConfigFor('index.docker.io', regs).timeoutSeconds).toBe(4);
    expect(registryBaseUrl(registryConfigFor('docker.io'))).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl(RegistryConfigSchema.parse({ host: '127.0.0.1:5000', plainHTTP: true }))).toBe('http://127.0.0.1:5000');
    expect(isLoopbackHost('[::1]')).toBe(true);
  });
});

describe('digests', () => {
  it('accepts sha256/sha512 of the right length only, and verifies bytes', () => {
    const b = Buffer.from('x');
    expect(isDigest(digestOf(b))).toBe(true);
    expect(isDigest(digestOf(b, 'sha512'))).toBe(true);
    expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
    expect(isDigest(`sha512:${'a'.repeat(64)}`)).toBe(false);
    expect(matchesDigest(b, digestOf(b, 'sha512'))).toBe(true);
    expect(matchesDigest(Buffer.from('y'), digestOf(b))).toBe(false);
    expect(referrersTag(`sha256:${'a'.repeat(64)}`)).toBe(`sha256-${'a'.repeat(64)}`);
  });
});
