import { afterEach, describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { createHttpClient } from '../../http/client.js';
import { startTestServer } from '../../../test/support/http-server.js';
import type { ExpectedFile, TrustVerifier } from './tuf/verifier-contract.js';
import { fetchTrust } from './load-trust.js';
import { createHttpSource, type MetadataSource } from './source.js';
import { buildStubRepo, createStubVerifier, stubCalls } from '../../../test/support/notary/stub.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';

const GUN = '127.0.0.1:5000/app';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

const verifier = (depth = 4) => createStubVerifier({ gun: GUN, anchor: { tofu: true }, maxDelegationDepth: depth });

async function serve(data: TrustData, byName?: TrustData) {
  const s = await startTestServer(notaryHandler(data, byName));
  const http = createHttpClient({ timeoutMs: 2000 });
  cleanup.push(() => http.close(), () => s.close());
  return { s, source: createHttpSource({ server: s.url, http, maxMetadataBytes: 1 << 20 }) };
}

describe('fetchTrust', () => {
  it('requests the four top-level roles in one round, verifies in TUF order, then delegations by checksum', async () => {
    const repo = buildStubRepo({ gun: GUN, roles: { targets: { v1: D1 }, 'targets/releases': { v1: D2 } } });
    const { s, source } = await serve(new Map([[GUN, repo]]));
    stubCalls.length = 0;
    const v = await fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets/releases', 'targets'], maxDelegationDepth: 4 });
    expect(stubCalls).toEqual(['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']);
    const urls = s.requests.map((r) => r.url.replace(`/v2/${GUN}/_trust/tuf/`, ''));
    expect(urls.slice(0, 4).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    expect(urls[4]).toMatch(/^targets\/releases\.[0-9a-f]{64}\.json$/);
    expect(urls).toHaveLength(5);
    expect(v.lookupTag('v1', ['targets/releases', 'targets'])?.digest).toBe(D2);
  });

  it('refetches snapshot and targets by checksum when the by-name copies are stale', async () => {
    const fresh = buildStubRepo({ gun: GUN, roles: { targets: { v1: D2 } }, version: 2 });
    const stale = buildStubRepo({ gun: GUN, roles: { targets: { v1: D1 } }, version: 1 });
    const byName = new Map([[GUN, new Map([...fresh, ['snapshot.json', stale.get('snapshot.json')!], ['targets.json', stale.get('targets.json')!]])]]);
    const { s, source } = await serve(new Map([[GUN, fresh]]), byName);
    const v = await fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets'], maxDelegationDepth: 4 });
    expect(v.lookupTag('v1', ['targets'])?.digest).toBe(D2);
    const urls = s.requests.map((r) => r.url.replace(`/v2/${GUN}/_trust/tuf/`, ''));
    expect(urls).toHaveLength(6);
    expect(urls.slice(4)).toEqual([expect.stringMatching(/^snapshot\.[0-9a-f]{64}\.json$/), expect.stringMatching(/^targets\.[0-9a-f]{64}\.json$/)]);
  });

  it('does not fetch delegations the signers do not need', async () => {
    const repo = buildStubRepo({ gun: GUN, roles: { targets: { v1: D1 }, 'targets/releases': { v1: D2 } } });
    const { s, source } = await serve(new Map([[GUN, repo]]));
    await fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets'], maxDelegationDepth: 4 });
    expect(s.requests).toHaveLength(4);
  });

  it('walks nested delegations round by round', async () => {
    const repo = buildStubRepo({ gun: GUN, roles: { targets: {}, 'targets/a': {}, 'targets/a/b': { v1: D1 } } });
    const { source } = await serve(new Map([[GUN, repo]]));
    stubCalls.length = 0;
    const v = await fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets/a/b'], maxDelegationDepth: 4 });
    expect(stubCalls.slice(4)).toEqual(['targets/a', 'targets/a/b']);
    expect(v.lookupTag('v1', ['targets/a/b'])?.role).toBe('targets/a/b');
  });

  it('fails on a missing root (TRUST_NOT_FOUND) and never verifies out of order', async () => {
    const { source } = await serve(new Map());
    stubCalls.length = 0;
    await expect(fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets'], maxDelegationDepth: 4 })).rejects.toMatchObject({
      code: 'TRUST_NOT_FOUND',
      role: 'root',
    });
    expect(stubCalls).toEqual([]);
  });

  it('reports a delegation the snapshot lists but the server lacks as incomplete trust data', async () => {
    const repo = buildStubRepo({ gun: GUN, roles: { targets: {}, 'targets/releases': { v1: D1 } } });
    repo.delete('targets/releases.json');
    const { source } = await serve(new Map([[GUN, repo]]));
    const e = await fetchTrust({ gun: GUN, source, verifier: verifier(), signers: ['targets/releases'], maxDelegationDepth: 4 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRUST_NOT_FOUND', role: 'targets/releases' });
    expect((e as PinError).hint).toMatch(/incomplete/);
  });

  it('stops a verifier that keeps asking for the same delegation', async () => {
    const repo = buildStubRepo({ gun: GUN, roles: { targets: {}, 'targets/releases': {} } });
    const { source } = await serve(new Map([[GUN, repo]]));
    const v = verifier();
    const stuck: TrustVerifier = { ...v, neededDelegations: (): ExpectedFile[] => v.neededDelegations(['targets/releases']).concat([{ role: 'targets/releases' }]), updateDelegation: () => {} };
    const e = await fetchTrust({ gun: GUN, source, verifier: stuck, signers: ['targets/releases'], maxDelegationDepth: 4 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe('TRUST_DELEGATION');
  });

  it('bounds delegation rounds by maxDelegationDepth', async () => {
    let n = 0;
    const source: MetadataSource = { description: 'x', fetch: async () => new Uint8Array() };
    const v: TrustVerifier = {
      ...verifier(),
      updateRoot() {},
      updateTimestamp() {},
      expectedSnapshot: () => ({ role: 'snapshot' }),
      updateSnapshot() {},
      expectedTargets: () => undefined,
      updateTargets() {},
      neededDelegations: () => [{ role: `targets/r${n++}` }], // always one more
      updateDelegation() {},
    };
    const e = await fetchTrust({ gun: GUN, source, verifier: v, signers: ['targets/deep'], maxDelegationDepth: 2 }).catch((x: unknown) => x);
    expect((e as PinError).code).toBe('TRUST_DELEGATION');
    expect(n).toBe(4); // rounds 0..2 loaded, the 4th request is refused
  });
});
