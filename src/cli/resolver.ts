/**
 * The production resolvers: by rule, Notary v1 trust data over HTTPS (or a vendored trustDir),
 * verified by src/trust/notary/tuf, or Notary Project signatures in the registry (src/trust/notation).
 */
import type { Spec } from '../config/schema.js';
import { createNotaryResolver, type NotaryResolver } from '../trust/notary/resolver.js';
import { clean } from '../report/format.js';
import type { Resolver, ResolverStats } from '../engine/port.js';
import type { NotationWiring, NotationWiringOptions } from './notation.js';

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

type Stats = { cacheHits: number; cacheMisses: number; fetchErrors: number; cacheEntries?: number };

/**
 * A resolver that sends rules with `notation` to the Notation resolver and the others to `notary`.
 * The Notation side (a registry client, the verifier's modules) is built on first use, once.
 */
export function dispatchingResolver(
  notary: Resolver & { stats?(): ResolverStats },
  spec: Spec,
  o: NotationWiringOptions,
): Resolver & { stats(): Stats } {
  let notation: Promise<NotationWiring> | undefined;
  let wired: NotationWiring | undefined;
  const notationSide = (): Promise<NotationWiring> =>
    (notation ??= import('./notation.js').then((m) => (wired = m.createNotationWiring(spec, o))));
  return {
    sourceOf(ref, rule) {
      return rule.notation === undefined ? (notary.sourceOf?.(ref, rule) ?? '') : `registry ${ref.domain}`;
    },
    async resolve(ref, rule, opts) {
      if (rule.notation === undefined) return notary.resolve(ref, rule, opts);
      return (await notationSide()).resolver.resolve(ref, rule, opts);
    },
    stats() {
      const a = notary.stats?.() ?? {};
      const b = wired?.resolver.stats() ?? { cacheHits: 0, cacheMisses: 0, fetchErrors: 0 };
      const stats: Stats = {
        cacheHits: (a.cacheHits ?? 0) + b.cacheHits,
        cacheMisses: (a.cacheMisses ?? 0) + b.cacheMisses,
        fetchErrors: (a.fetchErrors ?? 0) + b.fetchErrors,
      };
      // Entries held: the Notary side counts them; the Notation side keeps no count.
      if (a.cacheEntries !== undefined) stats.cacheEntries = a.cacheEntries;
      return stats;
    },
    async close() {
      // Both sides close even when one fails; the first failure is reported.
      const results = await Promise.allSettled([notary.close?.(), notation?.then((w) => w.close())]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** The webhook's resolver for `spec` (built again with each config reload): Notary v1 or Notation by rule. */
export function webhookResolverFor(spec: Spec, env: NodeJS.ProcessEnv = process.env): Resolver {
  return dispatchingResolver(notaryResolverFor(spec, env), spec, { env, debug: debugSink(env) });
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
  const notary: Resolver = {
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
  return dispatchingResolver(notary, spec, { env, cacheFailures: true, debug: debugSink(env) });
}

/** Waits for the cache writes of every closed production resolver. Never rejects. */
export async function settleCacheWrites(): Promise<void> {
  while (detached.size > 0) await Promise.all([...detached]);
}
