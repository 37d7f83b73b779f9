import { afterEach, describe, expect, it } from 'vitest';
import { startOciRegistry, type OciRegistry } from '../demo/oci-registry.js';
import { pushImage, pushManifest, pushPlatformIndex, sha256 } from '../../test/support/oci-push.js';
import type { PinError } from '../errors/errors.js';
import { createRegistryClient } from './client.js';
import { RegistryConfigSchema } from './config.js';
import { fetchIndex, selectPlatform } from './platform.js';
import { MediaTypes, type RegistryClient } from './contract.js';

const regs: OciRegistry[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(regs.splice(0).map((r) => r.close()));
});
async function setup() {
  const reg = await startOciRegistry({ referrersApi: false });
  regs.push(reg);
  const c = createRegistryClient({ registries: [RegistryConfigSchema.parse({ host: reg.host, plainHTTP: true })], env: {}, homeDir: '/nonexistent' });
  clients.push(c);
  return { c, t: { url: reg.url }, repo: { host: reg.host, name: 'app' } };
}
const thrown = (f: () => unknown): PinError => {
  try {
    f();
  } catch (e) {
    return e as PinError;
  }
  throw new Error('expected a throw');
};

describe('platform indexes', () => {
  it('picks the one manifest for a platform; arm64 and arm64/v8 are the same platform; a variant is matched', async () => {
    const { c, t, repo } = await setup();
    const p = await pushPlatformIndex(t, 'app', 'v1', ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
    const index = await fetchIndex(c, repo, p.index.digest, 'app');
    expect(index.descriptor.digest).toBe(p.index.digest);
    expect(selectPlatform(index, 'linux/amd64', 'app').digest).toBe(p.children['linux/amd64']!.digest);
    expect(selectPlatform(index, 'linux/arm64', 'app').digest).toBe(p.children['linux/arm64/v8']!.digest);
    expect(selectPlatform(index, 'linux/arm/v7', 'app').digest).toBe(p.children['linux/arm/v7']!.digest);
    const missing = thrown(() => selectPlatform(index, 'linux/arm/v6', 'app'));
    expect(missing.code).toBe('PLATFORM');
    expect(missing.message).toContain('platform linux/arm/v6 is missing from the index');
    expect(missing.message).toContain('(it lists linux/amd64, linux/arm64/v8, linux/arm/v7)');
  });

  it('a platform without its variant that matches two manifests is an error naming the count', async () => {
    const { c, t, repo } = await setup();
    const p = await pushPlatformIndex(t, 'app', 'v1', ['linux/arm/v6', 'linux/arm/v7']);
    const index = await fetchIndex(c, repo, p.index.digest, 'app');
    const two = thrown(() => selectPlatform(index, 'linux/arm', 'app'));
    expect(two.code).toBe('PLATFORM');
    expect(two.message).toContain('platform linux/arm matches 2 manifests');
  });

  it('a single-platform manifest is not an index; a nested index is not followed', async () => {
    const { c, t, repo } = await setup();
    const img = await pushImage(t, 'app', 'single');
    await expect(fetchIndex(c, repo, img.digest, 'app')).rejects.toMatchObject({ code: 'PLATFORM', message: expect.stringContaining('not an image index') });
    const inner = await pushPlatformIndex(t, 'app', 'inner', ['linux/amd64']);
    const outer = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [{ mediaType: MediaTypes.ociIndex, digest: inner.index.digest, size: inner.index.size, platform: { os: 'linux', architecture: 'amd64' } }],
    }));
    await pushManifest(t, 'app', sha256(outer), outer, MediaTypes.ociIndex);
    const index = await fetchIndex(c, repo, sha256(outer), 'app');
    expect(thrown(() => selectPlatform(index, 'linux/amd64', 'app')).message).toContain('not an image manifest');
  });
});
