/**
 * Checks the harness against the real tools: what `startNotaryEnv` reports (digests, root key IDs)
 * must be exactly what the registry serves and what the real `notary` CLI and server say.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { httpGet } from './http.js';
import { startNotaryEnv, type NotaryEnv } from './notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './tools.js';

describeWithTools(NOTARY_ENV_TOOLS, 'startNotaryEnv (real notary-server, registry, skopeo, notary CLI)', () => {
  let env: NotaryEnv;
  let freshTrust: string;

  beforeAll(async () => {
    env = await startNotaryEnv({
      repos: [
        { name: 'library/app', tags: ['1.0', '2.0'], sign: 'targets', unsignedTags: ['3.0'] },
        { name: 'library/rel', tags: ['1.0', '1.1'], sign: 'releases' },
        { name: 'team/rotated', tags: ['v1'], sign: 'targets', rotateSnapshot: true },
        { name: 'library/unsigned', tags: ['latest'], sign: 'none' },
      ],
    });
    console.info(`startNotaryEnv with 4 repositories: ${JSON.stringify(env.timings)}`);
    // A trust dir that has never seen these GUNs: lookups go through TOFU against the server.
    freshTrust = await mkdtemp(join(tmpdir(), 'notary-pin-lookup-'));
  });

  afterAll(async () => {
    await env?.stop();
    if (freshTrust) await rm(freshTrust, { recursive: true, force: true });
  });

  const signed: Array<[string, 'targets' | 'targets/releases']> = [
    ['library/app:1.0', 'targets'],
    ['library/app:2.0', 'targets'],
    ['library/rel:1.0', 'targets/releases'],
    ['library/rel:1.1', 'targets/releases'],
    ['team/rotated:v1', 'targets'],
  ];

  it('reports every pushed image with the registry digest of its manifest', async () => {
    expect(Object.keys(env.images).sort()).toEqual(
      [...signed.map(([k]) => k), 'library/app:3.0', 'library/unsigned:latest'].sort(),
    );
    const digests = new Set<string>();
    for (const img of Object.values(env.images)) {
      expect(img.reference).toBe(`${env.registryHost}/${img.repo}:${img.tag}`);
      expect(img.gun).toBe(`${env.registryHost}/${img.repo}`);
      const res = await httpGet(`${env.registryUrl}/v2/${img.repo}/manifests/${img.tag}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['docker-content-digest']).toBe(img.digest);
      expect(`sha256:${createHash('sha256').update(res.body).digest('hex')}`).toBe(img.digest);
      expect(res.body.length).toBe(img.length);
      digests.add(img.digest);
    }
    expect(digests.size).toBe(Object.keys(env.images).length); // every image is distinct
  });

  it.each(signed)('notary lookup %s returns exactly the registry digest (%s)', async (key, role) => {
    const img = env.images[key];
    expect(img).toBeDefined();
    expect(img!.signedIn).toBe(role);
    const res = await env.notary(['lookup', img!.gun, img!.tag], { trustDir: freshTrust });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const [tag, digest, length] = res.stdout.trim().split(/\s+/);
    expect(tag).toBe(img!.tag);
    expect(digest).toBe(img!.digest);
    expect(Number(length)).toBe(img!.length);
  });

  it('places releases-signed tags only in the targets/releases delegation', async () => {
    const gun = env.gunOf('library/rel');
    const targets = JSON.parse((await env.fetchMetadata(gun, 'targets')).toString('utf8'));
    const releases = JSON.parse((await env.fetchMetadata(gun, 'targets/releases')).toString('utf8'));
    expect(Object.keys(targets.signed.targets)).toEqual([]);
    expect(targets.signed.delegations.roles.map((r: { name: string }) => r.name)).toEqual(['targets/releases']);
    expect(targets.signed.delegations.roles[0].paths).toEqual(['']);
    expect(Object.keys(releases.signed.targets).sort()).toEqual(['1.0', '1.1']);
    const hex = env.images['library/rel:1.0']!.digest.slice('sha256:'.length);
    expect(Buffer.from(releases.signed.targets['1.0'].hashes.sha256, 'base64').toString('hex')).toBe(hex);
  });

  it('rotated the snapshot key to the server for team/rotated (root v2, ed25519 snapshot key)', async () => {
    const root = JSON.parse((await env.fetchMetadata(env.gunOf('team/rotated'), 'root')).toString('utf8'));
    expect(root.signed.version).toBe(2);
    const [snapshotKeyId] = root.signed.roles.snapshot.keyids;
    expect(root.signed.keys[snapshotKeyId].keytype).toBe('ed25519');
    const plain = JSON.parse((await env.fetchMetadata(env.gunOf('library/app'), 'root')).toString('utf8'));
    expect(plain.signed.version).toBe(1);
    expect(plain.signed.keys[plain.signed.roles.snapshot.keyids[0]].keytype).toBe('ecdsa');
  });

  it('has no trust data for the unsigned repository, and lookup fails for it and for unsigned tags', async () => {
    const gun = env.gunOf('library/unsigned');
    expect(env.rootKeyIds[gun]).toBeUndefined();
    expect((await env.notaryGet(`/v2/${gun}/_trust/tuf/root.json`)).status).toBe(404);
    await expect(env.fetchMetadata(gun, 'timestamp')).rejects.toThrow(/HTTP 404/);
    const res = await env.notary(['lookup', gun, 'latest'], { trustDir: freshTrust });
    expect(res.code).not.toBe(0);
    expect(res.stdout).not.toContain('sha256:');
    const tag = await env.notary(['lookup', env.gunOf('library/app'), '3.0'], { trustDir: freshTrust });
    expect(tag.code).not.toBe(0);
    expect(tag.stdout).not.toContain(env.images['library/app:3.0']!.digest);
  });

  it('reports the root key IDs exactly as the root role of the server root.json lists them', async () => {
    const guns = ['library/app', 'library/rel', 'team/rotated'].map((r) => env.gunOf(r));
    expect(Object.keys(env.rootKeyIds).sort()).toEqual([...guns].sort());
    for (const gun of guns) {
      const root = JSON.parse((await env.fetchMetadata(gun, 'root')).toString('utf8'));
      const ids = env.rootKeyIds[gun]!;
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(root.signed.roles.root.keyids);
      for (const id of ids) {
        const key = root.signed.keys[id];
        expect(key.keytype).toBe('ecdsa-x509');
        // The root certificate is issued to the GUN (CN = GUN).
        const pem = Buffer.from(key.keyval.public, 'base64').toString('utf8');
        expect(pem).toContain('BEGIN CERTIFICATE');
      }
    }
    // Each GUN has its own root certificate, so the IDs differ even though the key is shared.
    expect(new Set(guns.map((g) => env.rootKeyIds[g]![0])).size).toBe(3);
  });

  it('signs more later: a moved tag and a new delegation tag are visible to a fresh lookup', async () => {
    const before = env.images['library/app:1.0']!.digest;
    const moved = await env.sign('library/app', '1.0');
    expect(moved.digest).not.toBe(before);
    const rel = await env.sign('library/app', '4.0', { role: 'targets/releases' });
    expect(rel.signedIn).toBe('targets/releases');
    const trust = await mkdtemp(join(tmpdir(), 'notary-pin-lookup2-'));
    try {
      const a = await env.notary(['lookup', moved.gun, '1.0'], { trustDir: trust });
      expect(a.stdout.trim().split(/\s+/)[1]).toBe(moved.digest);
      const b = await env.notary(['lookup', rel.gun, '4.0'], { trustDir: trust });
      expect(b.stdout.trim().split(/\s+/)[1]).toBe(rel.digest);
    } finally {
      await rm(trust, { recursive: true, force: true });
    }
  });
});
