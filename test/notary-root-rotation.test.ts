/**
 * Root rotation against the REAL notary-server and CLI: a TOFU run trusts root v1, the owner runs
 * `notary key rotate <GUN> root` twice (each new root cross-signed by the previous root key), and the
 * next run must walk `2.root.json` (notary-server's GetRoleByVersion route) before accepting v3.
 * Skipped when the tools are not installed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrustRuleSchema } from '../src/config/schema.js';
import type { PinError, Result } from '../src/errors/errors.js';
import type { ImageReference } from '../src/reference/image-reference.js';
import type { Resolution } from '../src/engine/port.js';
import { createNotaryResolver } from '../src/trust/notary/resolver.js';
import { run } from './support/exec.js';
import { startNotaryEnv, TEST_PASSPHRASE, type NotaryEnv } from './support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

describeWithTools(NOTARY_ENV_TOOLS, 'root rotation chain against real notary-server', () => {
  let env: NotaryEnv;
  let cacheDir: string;

  beforeAll(async () => {
    env = await startNotaryEnv({ repos: [{ name: 'library/rot', tags: ['1.0'], sign: 'targets' }] });
    cacheDir = await mkdtemp(join(tmpdir(), 'np-real-rot-'));
  }, 300_000);

  afterAll(async () => {
    await env?.stop();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  const value = (r: Result<Resolution, PinError>) => {
    if (!r.ok) throw r.error;
    return r.value;
  };
  const rootVersion = async (gun: string) =>
    (JSON.parse((await env.fetchMetadata(gun, 'root')).toString('utf8')) as { signed: { version: number } }).signed.version;

  it('TOFU at root v1, two `notary key rotate <GUN> root`, next run walks 2.root.json and trusts v3', async () => {
    const img = env.images['library/rot:1.0']!;
    const gun = img.gun;
    const ref: ImageReference = { original: img.reference, domain: env.registryHost, path: 'library/rot', repository: gun, tag: '1.0' };
    const rule = TrustRuleSchema.parse({ images: ['**'], server: env.notaryUrl, ca: env.caFile, tofu: true, signers: ['targets'] });
    const fetches: string[] = [];
    const resolve = async () => {
      const r = createNotaryResolver({ env: {}, homeDir: cacheDir, cacheDir, onFetch: (_g, role) => fetches.push(role) });
      try {
        return await r.resolve(ref, rule);
      } finally {
        await r.close();
      }
    };

    const v1 = await rootVersion(gun);
    const rootKeysV1 = (JSON.parse((await env.fetchMetadata(gun, 'root')).toString('utf8')) as { signed: { roles: { root: { keyids: string[] } } } }).signed
      .roles.root.keyids;
    expect(value(await resolve()).digest).toBe(img.digest);

    for (let i = 0; i < 2; i++) {
      // `env.notary` closes stdin, and `key rotate … root` asks for confirmation (and exits 0 on
      // "Aborting action."): run the CLI the same way with "yes" on stdin.
      const res = await run('notary', ['-s', env.notaryUrl, '--tlscacert', env.caFile, '-d', env.trustDir, 'key', 'rotate', gun, 'root'], {
        input: 'yes\n',
        timeoutMs: 30_000,
        env: { NOTARY_ROOT_PASSPHRASE: TEST_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE: TEST_PASSPHRASE, NOTARY_SNAPSHOT_PASSPHRASE: TEST_PASSPHRASE },
      });
      expect(res.code, `${res.stderr}${res.stdout}`).toBe(0);
      expect(res.stdout).not.toMatch(/Aborting/);
    }
    expect(await rootVersion(gun)).toBe(v1 + 2);
    // The latest root is not signed by the v1 root key: only the walk through v1+1 can trust it.
    const latest = JSON.parse((await env.fetchMetadata(gun, 'root')).toString('utf8')) as { signatures: { keyid: string }[] };
    expect(latest.signatures.map((s) => s.keyid).filter((k) => rootKeysV1.includes(k))).toEqual([]);
    // The server serves the intermediate root by version.
    const mid = await env.notaryGet(`/v2/${gun}/_trust/tuf/${v1 + 1}.root.json`);
    expect(mid.status).toBe(200);

    fetches.length = 0;
    expect(value(await resolve()).digest).toBe(img.digest);
    expect(fetches.filter((f) => f === 'root')).toHaveLength(2); // the latest by name + the intermediate by version
    const tofuRoot = await readFile(join(cacheDir, 'tofu', createHash('sha256').update(gun).digest('hex'), 'root.json'));
    expect((JSON.parse(tofuRoot.toString('utf8')) as { signed: { version: number } }).signed.version).toBe(v1 + 2);
  }, 120_000);
});
