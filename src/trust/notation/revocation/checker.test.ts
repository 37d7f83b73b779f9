import { describe, expect, it } from 'vitest';
import { readCerts } from '../../../../test/support/notation-revocation/fixtures.js';
import { createRevocationChecker } from './checker.js';
import type { RevocationFetcher } from './source.js';

const CRL_CHAIN = readCerts('revocation/notation-e2e-crl/certchain_with_crl.pem');
const NOW = new Date();

/** A fetcher that reaches nothing: every status is unknown, and each ask is counted. */
function unreachable(): RevocationFetcher & { asked: number } {
  const f = {
    kind: 'test (unreachable)',
    asked: 0,
    async crl(): Promise<Uint8Array> {
      f.asked++;
      throw new Error('unreachable');
    },
    async ocsp(): Promise<Uint8Array> {
      f.asked++;
      throw new Error('unreachable');
    },
    async close() {},
  };
  return f;
}

describe('revocation checker: certificates parsed once per distinct bytes, statuses evaluated every time', () => {
  it('the same chain (other buffers) twice: the same answer, and the CRL locations asked again', async () => {
    const fetcher = unreachable();
    const c = createRevocationChecker({ fetcher });
    const first = await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    const asked = fetcher.asked;
    expect(asked).toBeGreaterThan(0);
    const again = await c.check(CRL_CHAIN.map((d) => new Uint8Array(d)), { purpose: 'codeSigning', now: NOW });
    expect(again.map((r) => [r.status, r.subject])).toEqual(first.map((r) => [r.status, r.subject]));
    expect(first.map((r) => r.status)).toEqual(['unknown', 'unknown']);
    expect(fetcher.asked).toBeGreaterThan(asked);
    await c.close();
  });

  it('a corrupted copy of a parsed certificate is not answered from the parsed one', async () => {
    const c = createRevocationChecker({ fetcher: unreachable() });
    await c.check(CRL_CHAIN, { purpose: 'codeSigning', now: NOW });
    const broken = CRL_CHAIN.map((d) => new Uint8Array(d));
    broken[0] = broken[0]!.slice(0, broken[0]!.length - 1);
    const r = await c.check(broken, { purpose: 'codeSigning', now: NOW });
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.message).toMatch(/certificate #0 is not an X\.509 certificate/);
    await c.close();
  });
});
