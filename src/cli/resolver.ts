/** The production resolvers: Notary v1 (HTTPS or vendored trustDir) or Notation, by rule. */
import { usesNotaryV1, type Spec } from '../config/schema.js';
import { combinedResolver } from '../trust/combine.js';
import { createNotaryResolver, type NotaryResolver, type NotaryResolverOptions } from '../trust/notary/resolver.js';
import type { TrustStates } from '../trust/notary/trust-state.js';
import { clean } from '../report/format.js';
import { createRegistryClient } from '../registry/client.js';
import type { Resolver, ResolverStats } from '../engine/port.js';
import type { NotationWiring, NotationWiringOptions } from './notation.js';

/** `NOTARY_PIN_DEBUG=1` prints what is fetched and from where on stderr (never credentials). */
function debugSink(env: NodeJS.ProcessEnv): ((message: string) => void) | undefined {
  if (!env.NOTARY_PIN_DEBUG || env.NOTARY_PIN_DEBUG === '0') return undefined;
  return (message) => process.stderr.write(`notary-pin: debug: ${clean(message)}\n`);
}

function optionsFor(spec: Spec, env: NodeJS.ProcessEnv): NotaryResolverOptions & { debug?: (m: string) => void } {
  const debug = debugSink(env);
  return {
    cache: { ttlMs: spec.cacheTTLSeconds * 1000, maxEntries: spec.cacheMaxEntries, staleIfErrorMs: spec.staleIfErrorSeconds * 1000 },
    debug,
    env,
    registry: () => createRegistryClient({ registries: spec.registries, env, debug }),
  };
}

/** The webhook's Notary resolver: answers wait until TOFU/version state is stored; failures are not remembered. */
export function notaryResolverFor(spec: Spec, env: NodeJS.ProcessEnv = process.env): NotaryResolver {
  return createNotaryResolver({ ...optionsFor(spec, env), cacheDir: spec.cacheDir });
}

/** Routes rules to Notary v1, Notation, or both (trust/combine.ts, by `require`); Notation is built on first use. */
export function dispatchingResolver(notary: Resolver, spec: Spec, o: NotationWiringOptions): Resolver & { stats(): ResolverStats } {
  let notation: Promise<NotationWiring> | undefined;
  let wired: NotationWiring | undefined;
  const notationSide = (): Promise<NotationWiring> =>
    (notation ??= import('./notation.js').then((m) => (wired = m.createNotationWiring(spec, o))));
  const add = (a?: number, b?: number): number | undefined => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  return {
    async resolve(ref, rule, opts) {
      if (rule.notation === undefined) return notary.resolve(ref, rule, opts);
      const n = (await notationSide()).resolver;
      if (usesNotaryV1(rule)) return combinedResolver(notary, n).resolve(ref, rule, opts);
      return n.resolve(ref, rule, opts);
    },
    stats() {
      const a = notary.stats?.() ?? {};
      const b: ResolverStats = wired?.resolver.stats() ?? {};
      return {
        cacheHits: add(a.cacheHits, b.cacheHits),
        cacheMisses: add(a.cacheMisses, b.cacheMisses),
        fetchErrors: add(a.fetchErrors, b.fetchErrors),
        cacheEntries: add(a.cacheEntries, b.cacheEntries),
      };
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

/** The webhook's resolver (rebuilt on each config reload). */
export function webhookResolverFor(spec: Spec, env: NodeJS.ProcessEnv = process.env): Resolver {
  return dispatchingResolver(notaryResolverFor(spec, env), spec, { env, debug: debugSink(env) });
}

/** Per trust server: one KRM run has one caller, so the transport's own bound applies. */
export const RUN_FETCHES_PER_SERVER = 256;

/**
 * The function's resolver for one run. `states` (spec.cacheDir) is flushed by the command after the output
 * is written; close() rejects when a background TOFU/version write failed. Failures are remembered for the run.
 */
export function productionResolver(spec: Spec, env: NodeJS.ProcessEnv = process.env, states?: TrustStates): Resolver {
  const o = optionsFor(spec, env);
  const trustState =
    states && spec.cacheDir !== undefined
      ? states.open({ cacheDir: spec.cacheDir, storeWrites: 'background', debug: o.debug })
      : undefined;
  const notary = createNotaryResolver({
    ...o,
    cache: { ...o.cache, failureTtlMs: spec.cacheTTLSeconds * 1000 },
    trustState,
    cacheDir: trustState ? undefined : spec.cacheDir,
    maxFetchesPerServer: RUN_FETCHES_PER_SERVER,
  });
  return dispatchingResolver(notary, spec, { env, cacheFailures: true, debug: o.debug });
}
