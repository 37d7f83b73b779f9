/**
 * TEST SUPPORT ONLY. A resolver that signs a fixed set of digests, for driving the real engine
 * (src/engine/evaluate.ts) in webhook tests without a trust server. It can also hang forever or
 * fail like an unreachable trust server, and counts cache hits/misses like a caching resolver.
 */
import type { TrustRule } from '../../../src/config/schema.js';
import { err, ok, PinError, type Result } from '../../../src/errors/errors.js';
import type { ImageReference } from '../../../src/reference/image-reference.js';
import type { Resolution, Resolver } from '../../../src/engine/port.js';

export interface FakeResolverOptions {
  /** Digests that count as signed. */
  signed: readonly string[];
  /** Never answer (to test the deadline). */
  hang?: boolean;
  /** Repositories whose trust server "is down". */
  down?: readonly string[];
}

/** A resolver that signs a fixed set of digests, with counters like a caching resolver exposes. */
export class FakeResolver implements Resolver {
  calls = 0;
  private hits = 0;
  private misses = 0;
  private fetchErrors = 0;
  private readonly seen = new Set<string>();
  constructor(private readonly opts: FakeResolverOptions) {}

  resolve(ref: ImageReference, rule: TrustRule): Promise<Result<Resolution, PinError>> {
    void rule;
    this.calls++;
    if (this.opts.hang === true) return new Promise(() => undefined);
    if (this.seen.has(ref.repository)) this.hits++;
    else {
      this.misses++;
      this.seen.add(ref.repository);
    }
    if (this.opts.down?.includes(ref.repository) === true) {
      this.fetchErrors++;
      return Promise.resolve(
        err(new PinError({ code: 'TRUST_FETCH', message: `GET https://notary.example/v2/${ref.repository}/_trust/tuf/timestamp.json: connect ECONNREFUSED`, hint: 'check that the trust server is reachable', image: ref.original })),
      );
    }
    if (ref.digest !== undefined && this.opts.signed.includes(ref.digest)) {
      return Promise.resolve(ok({ digest: ref.digest, role: 'targets/releases', gun: ref.repository, ...(ref.tag !== undefined && { tag: ref.tag }) }));
    }
    return Promise.resolve(
      err(new PinError({ code: 'UNSIGNED', message: `${ref.digest ?? '(no digest)'} is not a signed target of ${ref.repository}`, hint: 'sign the image with notary, or deploy a signed digest', image: ref.original })),
    );
  }

  stats(): { cacheHits: number; cacheMisses: number; fetchErrors: number } {
    return { cacheHits: this.hits, cacheMisses: this.misses, fetchErrors: this.fetchErrors };
  }
}
