import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinError } from '../../errors/errors.js';
import { createHttpClient, type HttpClient } from '../../http/client.js';
import { startTestServer, type TestServer } from '../../../test/support/http-server.js';
import { assertGun, assertRole, createDirSource, createHttpSource } from './source.js';
import { failure } from '../../../test/support/errors.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});


describe('names', () => {
  it('accepts GUNs and roles', () => {
    expect(() => assertGun('docker.io/library/nginx')).not.toThrow();
    expect(() => assertGun('127.0.0.1:5000/library/app')).not.toThrow();
    expect(() => assertRole('targets/releases')).not.toThrow();
    expect(() => assertRole('snapshot')).not.toThrow();
  });
  it.each(['../etc', 'a/../../b', 'a//b', '/abs', 'a/./b', 'a\\b', 'a/b%2f..', ''])('rejects GUN %j', (g) => {
    expect(() => assertGun(g)).toThrow(PinError);
  });
  it.each(['targets/..', 'targets/../../x', '../root', 'targets/.hidden', 'foo', 'targets/a b', 'root.json'])('rejects role %j', (r) => {
    expect(() => assertRole(r)).toThrow(PinError);
  });
});

describe('http source', () => {
  async function setup(): Promise<{ s: TestServer; http: HttpClient }> {
    const s = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"signed":{}}');
    });
    const http = createHttpClient({ timeoutMs: 2000 });
    cleanup.push(() => http.close(), () => s.close());
    return { s, http };
  }

  it('fetches by name, and by checksum when the sha256 is known, with the token scope of the GUN', async () => {
    const { s, http } = await setup();
    const src = createHttpSource({ server: `${s.url}/`, http, maxMetadataBytes: 1000 });
    await src.fetch('127.0.0.1:5000/app', 'root');
    await src.fetch('127.0.0.1:5000/app', 'targets/releases', { role: 'targets/releases', sha256: 'a'.repeat(64), length: 13 });
    expect(s.requests.map((r) => r.url)).toEqual([
      '/v2/127.0.0.1:5000/app/_trust/tuf/root.json',
      `/v2/127.0.0.1:5000/app/_trust/tuf/targets/releases.${'a'.repeat(64)}.json`,
    ]);
  });

  it('caps at the expected length when known, else maxMetadataBytes', async () => {
    const { s, http } = await setup();
    const src = createHttpSource({ server: s.url, http, maxMetadataBytes: 5 });
    expect((await failure(src.fetch('a/b', 'root'))).code).toBe('TRUST_TOO_LARGE');
    const e = await failure(src.fetch('a/b', 'snapshot', { role: 'snapshot', length: 3 }));
    expect(e.code).toBe('TRUST_TOO_LARGE');
    expect(e.role).toBe('snapshot');
    expect((await src.fetch('a/b', 'snapshot', { role: 'snapshot', length: 13 })).length).toBe(13);
  });

  it('rejects traversal before any request', async () => {
    const { s, http } = await setup();
    const src = createHttpSource({ server: s.url, http, maxMetadataBytes: 1000 });
    await failure(src.fetch('a/../../x', 'root'));
    await failure(src.fetch('a/b', 'targets/../../root'));
    await failure(src.fetch('a/b', 'snapshot', { role: 'snapshot', sha256: '../x' }));
    expect(s.requests).toHaveLength(0);
  });
});

describe('dir source', () => {
  function dir(): string {
    const d = mkdtempSync(join(tmpdir(), 'np-trustdir-'));
    cleanup.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  it('reads <dir>/<GUN>/<role>.json', async () => {
    const d = dir();
    mkdirSync(join(d, 'docker.io/library/nginx/targets'), { recursive: true });
    writeFileSync(join(d, 'docker.io/library/nginx/root.json'), 'R');
    writeFileSync(join(d, 'docker.io/library/nginx/targets/releases.json'), 'REL');
    const src = createDirSource({ dir: d, maxMetadataBytes: 100 });
    expect(Buffer.from(await src.fetch('docker.io/library/nginx', 'root')).toString()).toBe('R');
    expect(Buffer.from(await src.fetch('docker.io/library/nginx', 'targets/releases')).toString()).toBe('REL');
  });

  it("reads the notary client's layout <dir>/tuf/<GUN>/metadata/<role>.json", async () => {
    const d = dir();
    mkdirSync(join(d, 'tuf/127.0.0.1:5000/app/metadata/targets'), { recursive: true });
    writeFileSync(join(d, 'tuf/127.0.0.1:5000/app/metadata/snapshot.json'), 'S');
    writeFileSync(join(d, 'tuf/127.0.0.1:5000/app/metadata/targets/releases.json'), 'REL2');
    const src = createDirSource({ dir: d, maxMetadataBytes: 100 });
    expect(Buffer.from(await src.fetch('127.0.0.1:5000/app', 'snapshot', { role: 'snapshot', sha256: 'b'.repeat(64), length: 1 })).toString()).toBe('S');
    expect(Buffer.from(await src.fetch('127.0.0.1:5000/app', 'targets/releases')).toString()).toBe('REL2');
  });

  it('reports missing files as TRUST_NOT_FOUND and large ones as TRUST_TOO_LARGE', async () => {
    const d = dir();
    mkdirSync(join(d, 'a/b'), { recursive: true });
    writeFileSync(join(d, 'a/b/root.json'), 'x'.repeat(50));
    const src = createDirSource({ dir: d, maxMetadataBytes: 10 });
    const nf = await failure(src.fetch('a/b', 'timestamp'));
    expect(nf.code).toBe('TRUST_NOT_FOUND');
    expect(nf.hint).toMatch(/vendor/);
    expect((await failure(src.fetch('a/b', 'root'))).code).toBe('TRUST_TOO_LARGE');
  });

  it('cannot be made to read outside the directory', async () => {
    const d = dir();
    const inner = join(d, 'inner');
    mkdirSync(inner);
    writeFileSync(join(d, 'root.json'), 'secret');
    const src = createDirSource({ dir: inner, maxMetadataBytes: 100 });
    for (const [g, r] of [['..', 'root'], ['a/..', 'root'], ['x', '../root'], ['..%2f', 'root']] as const) {
      const e = await failure(src.fetch(g, r));
      expect(['REFERENCE_INVALID', 'TRUST_MALFORMED']).toContain(e.code);
    }
  });
});
