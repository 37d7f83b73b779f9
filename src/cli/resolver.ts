/** The production resolver: Notary v1 trust data over HTTPS (or a vendored trustDir), verified by src/trust/notary/tuf. */
import type { Spec } from '../config/schema.js';
import { createNotaryResolver, type NotaryResolver } from '../trust/notary/resolver.js';
import { clean } from '../report/format.js';
import type { Resolver } from '../engine/port.js';

/** `NOTARY_PIN_DEBUG=1` prints what is fetched and from where on stderr (never credentials). */
function debugSink(env: NodeJS.ProcessEnv): ((message: string) => void) | undefined {
  if (!env.NOTARY_PIN_DEBUG || env.NOTARY_PIN_DEBUG === '0') return undefined;
  return (message) => process.stderr.write(`notary-pin: debug: ${clean(message)}\n`);
}

/** The Notary resolver for `spec`, in this thread; close() waits for its cache writes. */
export function notaryResolverFor(
  spec: Spec,
  env: NodeJS.ProcessEnv = process.env,
  opts: { deferStoreWrites?: boolean; cacheFailures?: boolean } = {},
): NotaryResolver {
  const debug = debugSink(env);
  const ttlMs = spec.cacheTTLSeconds * 1000;
  return createNotaryResolver({
    ...(opts.deferStoreWrites && { deferStoreWrites: true }),
    ...(spec.cacheDir !== undefined && { cacheDir: spec.cacheDir }),
    cache: { ttlMs, maxEntries: spec.cacheMaxEntries, ...(opts.cacheFailures && { failureTtlMs: ttlMs }) },
    ...(debug && { debug }),
    env,
  });
}

/** Cache writes of closed resolvers still running (see `settleCacheWrites`). */
const detached = new Set<Promise<void>>();

/**
 * The function's resolver. Its close() does not wait for the on-disk cache writes (they only save
 * downloads for the next run): the output is produced meanwhile, and the CLI awaits
 * `settleCacheWrites()` before it ends.
 */
export function productionResolver(spec: Spec, env: NodeJS.ProcessEnv = process.env): Resolver {
  // The TOFU/version store is written in the background too, but close() waits for it and fails if
  // it could not be written (runKrm then fails the run).
  // One run asks about a GUN once: a failure is remembered for the run too (not fetched again).
  const r = notaryResolverFor(spec, env, { deferStoreWrites: true, cacheFailures: true });
  return {
    resolve: (ref, rule) => r.resolve(ref, rule),
    async close() {
      try {
        await r.close({ detachWrites: true });
      } finally {
        const writes = r.flush();
        detached.add(writes);
        void writes.finally(() => detached.delete(writes));
      }
    },
  };
}

/** Waits for the cache writes of every closed production resolver. Never rejects. */
export async function settleCacheWrites(): Promise<void> {
  while (detached.size > 0) await Promise.all([...detached]);
}
