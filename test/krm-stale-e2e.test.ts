/**
 * staleIfErrorSeconds for the function's cacheDir, with the real notary-server (behind a forwarder
 * taken down mid-test): the cached metadata, verified again offline, answers only if the server
 * answered for it at most staleIfErrorSeconds ago; the result is a warning saying so; off → fails.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { productionResolver } from '../src/cli/resolver.js';
import type { Spec } from '../src/config/schema.js';
import { runKrm } from '../src/krm/run.js';
import { errorsOf, imagesIn, parseList } from './support/attack/cli.js';
import { startForwarder, type Forwarder } from './support/forwarder.js';
import { startNotaryEnv, type NotaryEnv } from './support/notary-env.js';
import { describeWithTools, NOTARY_ENV_TOOLS } from './support/tools.js';

const resolverFor = (spec: Spec) => productionResolver(spec, {});

describeWithTools(NOTARY_ENV_TOOLS, 'KRM function: staleIfErrorSeconds with cacheDir (real notary-server stopped mid-test)', () => {
  let env: NotaryEnv;
  let fwd: Forwarder;
  let work: string;

  beforeAll(async () => {
    env = await startNotaryEnv({ repos: [{ name: 'acme/web', tags: ['1.0'], sign: 'targets' }] });
    fwd = await startForwarder(Number(new URL(env.notaryUrl).port));
    work = await mkdtemp(join(tmpdir(), 'notary-pin-krm-stale-'));
  }, 300_000);

  afterAll(async () => {
    await fwd?.down();
    await env?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const input = (cacheDir: string, staleIfErrorSeconds: number) => {
    const img = env.images['acme/web:1.0']!;
    const cfg = {
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: {
        cacheDir,
        staleIfErrorSeconds,
        trust: [{ name: 'web', images: [env.gunOf('acme/web')], server: `https://127.0.0.1:${fwd.port}`, ca: env.caFile, rootKeys: env.rootKeyIds[env.gunOf('acme/web')], timeoutSeconds: 5 }],
      },
    };
    const items = `- apiVersion: v1\n  kind: Pod\n  metadata: {name: web}\n  spec:\n    containers:\n    - name: c\n      image: ${img.reference}\n`;
    return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}${stringify({ functionConfig: cfg }).trimEnd()}\n`;
  };

  it('server down: pinned from cached trust data with a warning result; too old or off → TRUST_FETCH', async () => {
    const img = env.images['acme/web:1.0']!;
    const cacheDir = join(work, 'cache');
    const first = await runKrm(input(cacheDir, 300), { resolverFor });
    expect(first.exitCode).toBe(0);
    const [file] = await readdir(join(cacheDir, 'metadata'));
    const cached = JSON.parse(await readFile(join(cacheDir, 'metadata', file!), 'utf8'));
    expect(Math.abs(cached.verifiedAt - Date.now())).toBeLessThan(120_000);

    await fwd.down();
    try {
      const stale = await runKrm(input(cacheDir, 300), { resolverFor });
      expect(stale.exitCode).toBe(0);
      const list = parseList(stale.stdout);
      expect(imagesIn(list.items)).toEqual([`${img.reference}@${img.digest}`]);
      const r = list.results!.find((x: any) => x.tags?.stale === 'true') as any;
      expect(r.severity).toBe('warning');
      expect(r.message).toContain('cached trust data verified earlier because the server could not be reached');
      expect(stale.stderr.join('\n')).toContain('STALE');

      // off: the unreachable server fails the run, as before
      const off = await runKrm(input(cacheDir, 0), { resolverFor });
      expect(off.exitCode).toBe(1);
      expect(errorsOf(parseList(off.stdout))[0]!.tags?.code).toBe('TRUST_FETCH');

      // last answered longer ago than staleIfErrorSeconds: fails
      await writeFile(join(cacheDir, 'metadata', file!), JSON.stringify({ ...cached, verifiedAt: Date.now() - 301_000 }));
      const old = await runKrm(input(cacheDir, 300), { resolverFor });
      expect(old.exitCode).toBe(1);
      expect(errorsOf(parseList(old.stdout))[0]!.tags?.code).toBe('TRUST_FETCH');
    } finally {
      await fwd.up();
    }
    // the server back: a fresh answer, no stale warning
    const back = await runKrm(input(cacheDir, 300), { resolverFor });
    expect(back.exitCode).toBe(0);
    expect(parseList(back.stdout).results!.some((x: any) => x.tags?.stale === 'true')).toBe(false);
  }, 120_000);
});
