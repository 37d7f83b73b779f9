/**
 * The production resolvers: by rule, Notary v1 trust data over HTTPS (or a vendored trustDir),
 * verified by src/trust/notary/tuf, or Notary Project signatures in the registry (src/trust/notation).
 */
import { usesNotaryV1, type Spec } from '../config/schema.js';
import { combinedResolver } from '../trust/combine.js';
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
    cache: { ttlMs, maxEntries: spec.cacheMaxEntries, failureTtlMs: opts.cacheFailures === true ? ttlMs : 0, staleIfErrorMs: spec.staleIfErrorSeconds * 1000 },
    ...(debug && { debug }),
    env,
  });
}

/**
 * A resolver that sends rules with `notation` to the Notation resolver, rules with both to both
 * (src/trust/combine.ts), and the others to `notary`.
 * The Notation side (a registry client, the verifier's modules) is built on first use, once.
 */
export function dispatchingResolver(
  notary: Resolver,
  spec: Spec,
  o: NotationWiringOptions,
): Resolver & { stats(): ResolverStats } {
  let notation: Promise<NotationWiring> | undefined;
  let wired: NotationWiring | undefined;
  const notationSide = (): Promise<NotationWiring> =>
    (notation ??= import('./notation.js').then((m) => (wired = m.createNotationWiring(spec, o))));
  return {
    async resolve(ref, rule, opts) {
      if (rule.notation === undefined) return notary.resolve(ref, rule, opts);
      const n = (await notationSide()).resolver;
      // Both systems on one rule (moving from Docker Content Trust): combined by rule.require.
      if (usesNotaryV1(rule)) return combinedResolver(notary, n).resolve(ref, rule, opts);
      return n.resolve(ref, rule, opts);
    },
    stats() {
      const a: ResolverStats = notary.stats?.() ?? {};
      const b: ResolverStats = wired?.resolver.stats() ?? {};
      const sum = (k: keyof ResolverStats): number => (a[k] ?? 0) + (b[k] ?? 0);
      return { cacheHits: sum('cacheHits'), cacheMisses: sum('cacheMisses'), fetchErrors: sum('fetchErrors'), cacheEntries: sum('cacheEntries') };
    },
    sourceOf(ref, rule) {
      const v1 = notary.sourceOf?.(ref, rule) ?? '';
      if (rule.notation === undefined) return v1;
      return usesNotaryV1(rule) && v1 !== '' ? `${v1} and the registry ${ref.domain}` : `the registry ${ref.domain}`;
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
