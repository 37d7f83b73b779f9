/**
 * staleIfErrorSeconds for the function's cacheDir, after a verification failure: once the trust
 * server answered with data that does not verify, a later run with the server unreachable fails
 * (TRUST_FETCH) instead of pinning the digest cached before; the rollback state is kept.
 * The real TUF verifier and the function's run path, against the test HTTPS server on 127.0.0.1.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { productionResolver } from '../src/cli/resolver.js';
import type { Spec } from '../src/config/schema.js';
import { notaryHandler } from '../src/demo/notary-handler.js';
import { runKrm } from '../src/krm/run.js';
import { TufRepoBuilder } from '../src/trust/notary/sign/repo.js';
import { errorsOf, imagesIn, parseList } from './support/attack/cli.js';
import { startTestServer } from './support/http-server.js';
import { D, asFiles, useTestTls } from './support/notary/helpers.js';

const GUN = 'registry.example:5000/team/app';
const tls = useTestTls();
const resolverFor = (spec: Spec) => productionResolver(spec, {});

describe('KRM function: staleIfErrorSeconds with cacheDir after a verification failure', () => {
  it('pinned; then data under other root keys fails the run; then the server down: TRUST_FETCH, not the cached digest', async () => {
    const b = new TufRepoBuilder({ gun: GUN });
    b.addTarget('1.0', { digest: D(1), length: 100 });
    const good = asFiles(b.build());
    const s = await startTestServer(notaryHandler(new Map([[GUN, good]])), tls.leaf);
    const cacheDir = mkdtempSync(join(tmpdir(), 'np-krm-stale-refused-'));
    tls.cleanup.push(() => s.close(), () => rmSync(cacheDir, { recursive: true, force: true }));
    const input = () => {
      const cfg = {
        apiVersion: 'notary-pin.dev/v1alpha1',
        kind: 'NotaryPin',
        spec: { cacheDir, staleIfErrorSeconds: 3600, trust: [{ name: 'app', images: [GUN], server: s.url, ca: tls.ca.certPem, rootKeys: b.rootKeyIds().keyIds, timeoutSeconds: 5 }] },
      };
      const items = `- apiVersion: v1\n  kind: Pod\n  metadata: {name: app}\n  spec:\n    containers:\n    - name: c\n      image: ${GUN}:1.0\n`;
      return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items}${stringify({ functionConfig: cfg }).trimEnd()}\n`;
    };
    const codeOf = (out: Awaited<ReturnType<typeof runKrm>>) => errorsOf(parseList(out.stdout))[0]?.tags?.code;

    const first = await runKrm(input(), { resolverFor });
    expect(first.exitCode).toBe(0);
    expect(imagesIn(parseList(first.stdout).items)).toEqual([`${GUN}:1.0@${D(1)}`]);
    const tofuDir = join(cacheDir, 'tofu', readdirSync(join(cacheDir, 'tofu'))[0]!);
    const versions = readFileSync(join(tofuDir, 'versions.json'), 'utf8');

    // the server now serves trust data under root keys the rule does not pin
    const other = new TufRepoBuilder({ gun: GUN }).addTarget('1.0', { digest: D(2), length: 100 });
    s.handle(notaryHandler(new Map([[GUN, asFiles(other.build())]])));
    const refused = await runKrm(input(), { resolverFor });
    expect(refused.exitCode).toBe(1);
    expect(codeOf(refused)).not.toBe('TRUST_FETCH');

    s.handle((req) => void req.socket.destroy()); // then the server goes away
    const down = await runKrm(input(), { resolverFor });
    expect(down.exitCode).toBe(1);
    expect(codeOf(down)).toBe('TRUST_FETCH');
    expect(down.stdout).not.toContain(D(1));
    expect(readFileSync(join(tofuDir, 'versions.json'), 'utf8')).toBe(versions); // rollback protection kept

    // the server back with the data the rule trusts: pinned, and a later outage may answer stale again
    s.handle(notaryHandler(new Map([[GUN, good]])));
    expect((await runKrm(input(), { resolverFor })).exitCode).toBe(0);
    s.handle((req) => void req.socket.destroy());
    const stale = await runKrm(input(), { resolverFor });
    expect(stale.exitCode).toBe(0);
    expect(parseList(stale.stdout).results!.some((x: any) => x.tags?.stale === 'true')).toBe(true);
  }, 60_000);
});
