/**
 * Captures REAL Notary v1 trust metadata for offline unit tests (canonical JSON, key IDs,
 * signatures, delegations, a server-managed snapshot key).
 *
 *   npx tsx test/support/capture-fixtures.ts [--out DIR]
 *
 * Starts the real environment (see notary-env.ts) and writes, per case, the raw bytes the server
 * serves for each role to `<out>/<case>/{root,timestamp,snapshot,targets[,targets/releases]}.json`
 * plus `manifest.json` (GUN, tags, digests, lengths, root key IDs, capture time, tool versions).
 * Default `<out>`: test/fixtures/notary-real. The timestamp role expires 14 days after capture,
 * so tests must pass their own `now`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';
import { startNotaryEnv, type RepoSpec } from './notary-env.js';
import { requireTools, NOTARY_ENV_TOOLS } from './find-tool.js';

interface Case {
  /** Directory name under the output dir. */
  id: string;
  description: string;
  spec: RepoSpec;
  roles: string[];
}

const CASES: Case[] = [
  {
    id: 'targets-signed',
    description: 'tags signed directly in the targets role; all keys but timestamp held by the client',
    spec: { name: 'library/app', tags: ['1.0', '2.0'], sign: 'targets' },
    roles: ['root', 'timestamp', 'snapshot', 'targets'],
  },
  {
    id: 'releases-rotated-snapshot',
    description:
      'tags signed in the targets/releases delegation (--all-paths); snapshot key rotated to the server (root v2)',
    spec: { name: 'library/web', tags: ['1.0', '2.0'], sign: 'releases', rotateSnapshot: true },
    roles: ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases'],
  },
];

function parseOut(argv: string[]): string {
  const i = argv.indexOf('--out');
  if (i >= 0) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error('--out needs a directory');
    return resolve(v);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'notary-real');
}

async function toolVersion(cmd: string, args: string[]): Promise<string> {
  const res = await run(cmd, args, { timeoutMs: 10_000 });
  return (res.stdout + res.stderr).trim().split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ');
}

async function main(): Promise<void> {
  const check = requireTools(NOTARY_ENV_TOOLS);
  if (!check.ok) throw new Error(check.reason);
  const out = parseOut(process.argv.slice(2));
  const env = await startNotaryEnv({ repos: CASES.map((c) => c.spec) });
  try {
    const capturedAt = new Date().toISOString();
    const versions = {
      notary: await toolVersion('notary', ['version']),
      'notary-server': await toolVersion('notary-server', ['-version']),
      'docker-registry': await toolVersion('docker-registry', ['--version']),
      skopeo: await toolVersion('skopeo', ['--version']),
      debianPackages: await toolVersion('dpkg-query', ['-W', 'notary', 'docker-registry', 'skopeo']).catch(() => ''),
    };
    for (const c of CASES) {
      const gun = env.gunOf(c.spec.name);
      const dir = join(out, c.id);
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(dir, 'targets'), { recursive: true });
      const files: Record<string, string> = {};
      for (const role of c.roles) {
        const body = await env.fetchMetadata(gun, role);
        await writeFile(join(dir, `${role}.json`), body);
        files[role] = `${role}.json`;
      }
      if (!c.roles.some((r) => r.startsWith('targets/'))) await rm(join(dir, 'targets'), { recursive: true });
      const manifest = {
        description: c.description,
        capturedAt,
        gun,
        registryHost: env.registryHost,
        repository: c.spec.name,
        sign: c.spec.sign ?? 'targets',
        rotateSnapshot: c.spec.rotateSnapshot === true,
        rootKeyIds: env.rootKeyIds[gun],
        tags: c.spec.tags.map((tag) => {
          const img = env.images[`${c.spec.name}:${tag}`];
          if (img === undefined) throw new Error(`no image for ${c.spec.name}:${tag}`);
          return { tag, digest: img.digest, length: img.length, role: img.signedIn };
        }),
        files,
        versions,
        note: 'Raw bytes as served by notary-server (GET /v2/<gun>/_trust/tuf/<role>.json). timestamp expires 14 days after capturedAt.',
      };
      await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      console.log(`wrote ${dir} (${c.roles.length} roles, gun ${gun})`);
    }
  } finally {
    await env.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
