import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOciRegistry, type OciRegistry, type OciRegistryOptions } from '../demo/oci-registry.js';
import { createTestCA } from '../demo/pki.js';
import { failure } from '../../test/support/errors.js';
import { pushImage } from '../../test/support/oci-push.js';
import { createRegistryClient, type RegistryClientOptions } from './client.js';
import { RegistryConfigSchema, type RegistryConfigInput } from './config.js';
import { MediaTypes, type RegistryClient } from './contract.js';

const regs: OciRegistry[] = [];
const clients: RegistryClient[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(regs.splice(0).map((r) => r.close()));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
/** A home directory whose ~/.docker/config.json holds `config` (removed after the test). */
function homeWithDockerConfig(config: object): string {
  const home = mkdtempSync(join(tmpdir(), 'np-reg-home-'));
  homes.push(home);
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(config));
  return home;
}
async function registry(o: OciRegistryOptions = {}): Promise<OciRegistry> {
  const r = await startOciRegistry(o);
  regs.push(r);
  return r;
}
function client(reg: OciRegistry, entry: Partial<RegistryConfigInput> = {}, o: RegistryClientOptions = {}): RegistryClient {
  const cfg = RegistryConfigSchema.parse({ host: reg.host, plainHTTP: !reg.url.startsWith('https'), ...entry });
  const c = createRegistryClient({ registries: [cfg], env: {}, homeDir: '/nonexistent', http: { retryDelayMs: 5 }, ...o });
  clients.push(c);
  return c;
}
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('registry client: resolve', () => {
  it('resolves a tag with HEAD (Docker-Content-Digest) and a digest to itself', async () => {
    const reg = await registry();
    const img = await pushImage({ url: reg.url }, 'app/web', 'v1');
    const c = client(reg);
    const repo = { host: reg.host, name: 'app/web' };
    expect(await c.resolve(repo, 'v1')).toEqual({ mediaType: MediaTypes.ociManifest, digest: img.digest, size: img.size });
    expect(await c.resolve(repo, img.digest)).toMatchObject({ digest: img.digest });
    const heads = reg.requests.filter((r) => r.method === 'HEAD');
    expect(heads).toHaveLength(2);
    expect(reg.requests.filter((r) => r.method === 'GET' && r.url.includes('/manifests/'))).toHaveLength(0);
  });

  it('GETs and hashes the manifest when the registry sends no Docker-Content-Digest', async () => {
    const reg = await registry({ digestHeader: () => undefined });
    const img = await pushImage({ url: reg.url }, 'app', 'v1');
    const d = await client(reg).resolve({ host: reg.host, name: 'app' }, 'v1');
    expect(d).toEqual({ mediaType: MediaTypes.ociManifest, digest: img.digest, size: img.size });
    expect(reg.requests.filter((r) => r.url === '/v2/app/manifests/v1' && r.method !== 'PUT').map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('refuses a registry that answers a digest with another Docker-Content-Digest', async () => {
    const other = `sha256:${'1'.repeat(64)}`;
    const reg = await registry({ digestHeader: () => other });
    const img = await pushImage({ url: reg.url }, 'app', 'v1');
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'app' }, img.digest));
    expect(e.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(e.message).toContain(`registry ${reg.host}, repository app, ${img.digest}`);
  });

  it('refuses a malformed Docker-Content-Digest', async () => {
    const reg = await registry({ digestHeader: () => 'md5:abc' });
    await pushImage({ url: reg.url }, 'app', 'v1');
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_MALFORMED');
  });

  it('maps a missing tag to REGISTRY_NOT_FOUND naming registry, repository and tag', async () => {
    const reg = await registry();
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'nope' }, 'v9'));
    expect(e.code).toBe('REGISTRY_NOT_FOUND');
    expect(e.message).toContain(`registry ${reg.host}, repository nope, v9`);
  });

  it('refuses invalid repository names and references before any request', async () => {
    const reg = await registry();
    const c = client(reg);
    expect((await failure(c.resolve({ host: reg.host, name: 'Bad/Name' }, 'v1'))).code).toBe('REFERENCE_INVALID');
    expect((await failure(c.resolve({ host: reg.host, name: 'a' }, '../x'))).code).toBe('REFERENCE_INVALID');
    expect((await failure(c.resolve({ host: reg.host, name: 'a' }, 'sha256:abc'))).code).toBe('REFERENCE_INVALID');
    expect(reg.requests).toHaveLength(0);
  });
});

describe('registry client: manifests and blobs', () => {
  it('fetches a manifest and a blob, verified against their digests (sha256 and sha512)', async () => {
    const reg = await registry();
    const img = await pushImage({ url: reg.url }, 'app', 'v1');
    const c = client(reg);
    const repo = { host: reg.host, name: 'app' };
    const m = await c.fetchManifest(repo, img.digest);
    expect(Buffer.from(m.bytes).equals(img.bytes)).toBe(true);
    expect(m.descriptor).toEqual({ mediaType: MediaTypes.ociManifest, digest: img.digest, size: img.size });
    const blob = Buffer.from('envelope bytes');
    const d256 = reg.putBlob('app', blob);
    expect(Buffer.from(await c.fetchBlob(repo, { mediaType: MediaTypes.jws, digest: d256, size: blob.length })).toString()).toBe('envelope bytes');
    // a sha512-addressed blob (stored under its sha512 key by a test hook)
    const d512 = `sha512:${createHash('sha512').update(blob).digest('hex')}`;
    const reg2 = await registry({
      hook: (req, res) => {
        if (req.url !== `/v2/app/blobs/${d512}`) return false;
        res.writeHead(200, { 'content-length': String(blob.length) });
        res.end(blob);
        return true;
      },
    });
    const got = await client(reg2).fetchBlob({ host: reg2.host, name: 'app' }, { mediaType: MediaTypes.jws, digest: d512, size: blob.length });
    expect(Buffer.from(got).equals(blob)).toBe(true);
  });

  it('refuses manifest bytes that do not hash to the digest (a lying registry)', async () => {
    const reg = await registry();
    const img = await pushImage({ url: reg.url }, 'app', 'v1');
    const forged = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: JSON.parse(img.bytes.toString()).config, layers: [] }));
    reg.putManifest('app', forged, MediaTypes.ociManifest, undefined, img.digest);
    const e = await failure(client(reg).fetchManifest({ host: reg.host, name: 'app' }, img.digest));
    expect(e.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(e.message).toContain(sha(forged));
  });

  it('refuses a tag whose bytes contradict its Docker-Content-Digest (GET path)', async () => {
    const reg = await registry({
      hook: (req, res) => {
        if (req.method !== 'HEAD' || !req.url?.includes('/manifests/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest }); // HEAD without a digest: forces the GET
        res.end();
        return true;
      },
      digestHeader: () => `sha256:${'2'.repeat(64)}`,
    });
    await pushImage({ url: reg.url }, 'app', 'v1');
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_DIGEST_MISMATCH');
  });

  it('refuses a blob that does not hash to its descriptor', async () => {
    const reg = await registry();
    const d = reg.putBlob('app', Buffer.from('real'));
    const e = await failure(client(reg).fetchBlob({ host: reg.host, name: 'app' }, { mediaType: MediaTypes.jws, digest: d.replace(/.$/, d.endsWith('0') ? '1' : '0'), size: 4 }));
    expect(e.code).toBe('REGISTRY_NOT_FOUND');
    const reg2 = await registry({
      hook: (req, res) => {
        if (!req.url?.includes('/blobs/')) return false;
        res.writeHead(200, { 'content-length': '4' });
        res.end('fake');
        return true;
      },
    });
    const e2 = await failure(client(reg2).fetchBlob({ host: reg2.host, name: 'app' }, { mediaType: MediaTypes.jws, digest: d, size: 4 }));
    expect(e2.code).toBe('REGISTRY_DIGEST_MISMATCH');
  });

  it('caps manifests (configured max) and blobs (descriptor size and max) without reading past the cap', async () => {
    let written = 0;
    const reg = await registry({
      hook: (req, res) => {
        if (!req.url?.includes('/manifests/') && !req.url?.includes('/blobs/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'docker-content-digest': `sha256:${'3'.repeat(64)}` });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && written < 256 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
        return true;
      },
    });
    const c = client(reg, { maxManifestBytes: 100_000, maxBlobBytes: 1_000_000 });
    const repo = { host: reg.host, name: 'app' };
    const e = await failure(c.fetchManifest(repo, `sha256:${'3'.repeat(64)}`));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
    expect(e.message).toContain('100000');
    const e2 = await failure(c.fetchBlob(repo, { mediaType: MediaTypes.jws, digest: `sha256:${'4'.repeat(64)}`, size: 500 }));
    expect(e2.code).toBe('REGISTRY_TOO_LARGE');
    expect(written).toBeLessThan(64 * 1024 * 1024);
    const before = reg.requests.length;
    const e3 = await failure(c.fetchBlob(repo, { mediaType: MediaTypes.jws, digest: `sha256:${'4'.repeat(64)}`, size: 2_000_000 }));
    expect(e3.code).toBe('REGISTRY_TOO_LARGE');
    expect(e3.hint).toContain('maxBlobBytes');
    expect(reg.requests.length).toBe(before); // refused from the descriptor, nothing fetched
  });

  it('refuses a HEAD that announces an oversize manifest', async () => {
    const reg = await registry({
      hook: (req, res) => {
        if (req.method !== 'HEAD') return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': String(50 * 1024 * 1024), 'docker-content-digest': `sha256:${'5'.repeat(64)}` });
        res.end();
        return true;
      },
    });
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
  });

  it('bounds a stalled registry by the timeout, and honours an abort signal', async () => {
    const reg = await registry({ hook: () => true }); // never answers
    const c = client(reg, { timeoutSeconds: 0.3 });
    const repo = { host: reg.host, name: 'app' };
    let started = Date.now();
    const e = await failure(c.resolve(repo, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(e.message).toMatch(/timed out/);
    expect(e.hint).toContain('timeoutSeconds');
    expect(Date.now() - started).toBeLessThan(3000);
    const slow = client(reg, { timeoutSeconds: 30 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    started = Date.now();
    const e2 = await failure(slow.fetchManifest(repo, `sha256:${'6'.repeat(64)}`, { signal: ac.signal }));
    expect(e2.code).toBe('REGISTRY_FETCH');
    expect(e2.message).toMatch(/cancelled/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('retries a connection reset (transport error) but not an HTTP 500', async () => {
    let resets = 0;
    const reg = await registry({
      hook: (req) => {
        if (req.method === 'HEAD' && req.url?.includes('/reset/') && resets++ < 1) {
          req.socket.destroy();
          return true;
        }
        return false;
      },
    });
    const img = await pushImage({ url: reg.url }, 'reset/app', 'v1');
    expect((await client(reg).resolve({ host: reg.host, name: 'reset/app' }, 'v1')).digest).toBe(img.digest);
    expect(resets).toBe(2); // the reset HEAD, then its retry
    const reg500 = await registry({ hook: (_req, res) => (res.writeHead(500).end(), true) });
    const e = await failure(client(reg500).resolve({ host: reg500.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(reg500.requests).toHaveLength(1);
  });
});

describe('registry client: blob redirects', () => {
  it('follows a redirect to https storage without sending credentials there; refuses plain http', async () => {
    const ca = createTestCA('storage CA');
    const storage = await registry({ tls: ca.issue() });
    const blob = Buffer.from('signature envelope');
    const digest = storage.putBlob('app', blob);
    let target = `${storage.url}/v2/app/blobs/${digest}`;
    const reg = await registry({
      hook: (req, res) => {
        if (!req.url?.includes('/blobs/')) return false;
        res.writeHead(307, { location: target, 'content-length': '0' });
        res.end();
        return true;
      },
    });
    const c = client(reg, { ca: ca.certPem, auth: { tokenEnv: 'TOK' } }, { env: { TOK: 'secret-token' } });
    const desc = { mediaType: MediaTypes.jws, digest, size: blob.length };
    expect(Buffer.from(await c.fetchBlob({ host: reg.host, name: 'app' }, desc)).equals(blob)).toBe(true);
    expect(reg.requests[0]!.authorization).toBe('Bearer secret-token');
    expect(storage.requests.map((r) => r.authorization)).toEqual([undefined]);
    target = `http://localhost:1/v2/app/blobs/${digest}`;
    const e = await failure(c.fetchBlob({ host: reg.host, name: 'app' }, desc));
    expect(e.message).toContain('not https');
  });
});

describe('registry client: TLS and auth', () => {
  it('uses spec.registries[].ca, and says to set it for the host when TLS fails', async () => {
    const ca = createTestCA('registry CA');
    const reg = await registry({ tls: ca.issue() });
    const img = await pushImageDirect(reg);
    expect((await client(reg, { ca: ca.certPem }).resolve({ host: reg.host, name: 'app' }, 'v1')).digest).toBe(img);
    const e = await failure(client(reg, { ca: createTestCA('other').certPem }).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(e.hint).toContain(`spec.registries[].ca for ${reg.host}`);
  });

  it('runs the token flow with scope repository:<name>:pull and Basic credentials to the own realm', async () => {
    const reg = await registry({ auth: { username: 'ci', password: 'pw-123' } });
    const img = await pushImageDirect(reg);
    const c = client(reg, { auth: { username: 'ci', passwordEnv: 'REG_PW' } }, { env: { REG_PW: 'pw-123' } });
    expect((await c.resolve({ host: reg.host, name: 'app' }, 'v1')).digest).toBe(img);
    const tokenReq = reg.requests.find((r) => r.url.startsWith('/token'))!;
    expect(new URL(tokenReq.url, 'http://x').searchParams.get('scope')).toBe('repository:app:pull');
    expect(tokenReq.authorization).toBe(`Basic ${Buffer.from('ci:pw-123').toString('base64')}`);
    const e = await failure(client(reg).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
  });

  it('takes credentials from ~/.docker/config.json auths for the registry host', async () => {
    const reg = await registry({ auth: { username: 'dock', password: 'er-pw' } });
    const img = await pushImageDirect(reg);
    const home = homeWithDockerConfig({ auths: { [reg.host]: { auth: Buffer.from('dock:er-pw').toString('base64') } } });
    const c = client(reg, {}, { homeDir: home });
    expect((await c.resolve({ host: reg.host, name: 'app' }, 'v1')).digest).toBe(img);
  });

  it('takes credentials from the docker config credsStore helper (docker-credential-<name> on PATH)', async () => {
    const reg = await registry({ auth: { username: 'dock', password: 'er-pw' } });
    const img = await pushImageDirect(reg);
    const home = homeWithDockerConfig({ auths: { [reg.host]: {} }, credsStore: 'fakestore' });
    const helper = `#!/bin/sh\n[ "$1" = get ] || exit 3\nserver=$(cat)\n[ "$server" = "${reg.host}" ] || { echo 'credentials not found in native keychain'; exit 1; }\n`;
    writeFileSync(join(home, 'docker-credential-fakestore'), `${helper}echo '{"ServerURL":"${reg.host}","Username":"dock","Secret":"er-pw"}'\n`, { mode: 0o755 });
    const c = client(reg, {}, { homeDir: home, env: { PATH: `${home}:/usr/bin:/bin` } });
    expect((await c.resolve({ host: reg.host, name: 'app' }, 'v1')).digest).toBe(img);
    const tokenAuth = reg.requests.filter((r) => r.url.startsWith('/token')).map((r) => r.authorization);
    expect(tokenAuth).toContain(`Basic ${Buffer.from('dock:er-pw').toString('base64')}`);
  });

  it('a 401 says when the docker config credential store could not be run', async () => {
    const reg = await registry({ auth: { username: 'dock', password: 'er-pw' } });
    await pushImageDirect(reg);
    const home = homeWithDockerConfig({ auths: { [reg.host]: {} }, credsStore: 'desktop' });
    const e = await failure(client(reg, {}, { homeDir: home }).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(e.message).toMatch(/401 Unauthorized \(no credentials sent: docker config .*config\.json: credsStore "desktop" for .*: docker-credential-desktop is not on PATH/);
    expect(e.hint).toContain(`spec.registries[].auth for ${reg.host}`);
    expect(e.hint).toContain('credential helper or store (docker-credential-<name> on PATH)');
    expect(reg.requests.filter((r) => r.url.startsWith('/token')).map((r) => r.authorization)).toEqual([undefined]);
  });

  it('does not send credentials to a token realm on another host (asks anonymously, hints auth.tokenRealms)', async () => {
    const realmReg = await registry({ auth: { username: 'ci', password: 'pw' } });
    // The registry's challenges point at a realm on `localhost` (another host name than 127.0.0.1).
    const realm = `${realmReg.url.replace('127.0.0.1', 'localhost')}/token`;
    const reg = await registry({ auth: { username: 'ci', password: 'pw', realm } });
    await pushImageDirect(reg);
    const e = await failure(client(reg, { auth: { username: 'ci', passwordEnv: 'P' } }, { env: { P: 'pw' } }).resolve({ host: reg.host, name: 'app' }, 'v1'));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(e.hint).toContain('spec.registries[].auth.tokenRealms');
    expect(realmReg.requests.filter((r) => r.url.startsWith('/token')).map((r) => r.authorization)).toEqual([undefined]);
  });
});

/** Pushes an image straight into the in-process store (for TLS/auth registries); returns its digest. */
async function pushImageDirect(reg: OciRegistry): Promise<string> {
  const config = Buffer.from('{}');
  reg.putBlob('app', config);
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: 2 }, layers: [] }));
  return reg.putManifest('app', m, MediaTypes.ociManifest, 'v1');
}
