/** The production resolver: Notary v1 trust data over HTTPS (or a vendored trustDir), verified by src/trust/notary/tuf. */
import type { Spec } from '../config/schema.js';
import { createNotaryResolver, type NotaryResolver, type NotaryResolverOptions } from '../trust/notary/resolver.js';
import type { TrustStates } from '../trust/notary/trust-state.js';
import { clean } from '../report/format.js';
import type { Resolver } from '../engine/port.js';

/** `NOTARY_PIN_DEBUG=1` prints what is fetched and from where on stderr (never credentials). */
function debugSink(env: NodeJS.ProcessEnv): ((message: string) => void) | undefined {
  if (!env.NOTARY_PIN_DEBUG || env.NOTARY_PIN_DEBUG === '0') return undefined;
  return (message) => process.stderr.write(`notary-pin: debug: ${clean(message)}\n`);
}

function optionsFor(spec: Spec, env: NodeJS.ProcessEnv): NotaryResolverOptions & { debug?: (m: string) => void } {
  return { cache: { ttlMs: spec.cacheTTLSeconds * 1000, maxEntries: spec.cacheMaxEntries }, debug: debugSink(env), env };
}

/**
 * The webhook's resolver: every answer waits until its TOFU/version state is stored (it opens the
 * trust state of spec.cacheDir itself and flushes it at close()); a failure is not remembered.
 */
export function notaryResolverFor(spec: Spec, env: NodeJS.ProcessEnv = process.env): NotaryResolver {
  return createNotaryResolver({ ...optionsFor(spec, env), cacheDir: spec.cacheDir });
}

/**
 * Per trust server: one KRM run has one caller, so the bound on fetches in flight is the transport's
 * own (connections × pipelining, resolver.ts DEFAULT_TRANSPORT).
 */
const RUN_FETCHES_PER_SERVER = 256;

/**
 * The function's resolver for one run. The trust state of spec.cacheDir comes from `states`, which
 * the command opened and flushes once at its end (after writing the output: metadata cache writes
 * never delay it); TOFU/version writes run in the background and close() rejects when one failed
 * (runKrm then fails the run). Without `states` the resolver opens and flushes its own.
 * One run asks about a GUN once: a failure is remembered for the run too (not fetched again).
 */
export function productionResolver(spec: Spec, env: NodeJS.ProcessEnv = process.env, states?: TrustStates): Resolver {
  const o = optionsFor(spec, env);
  const trustState =
    states && spec.cacheDir !== undefined
      ? states.open({ cacheDir: spec.cacheDir, storeWrites: 'background', debug: o.debug })
      : undefined;
  return createNotaryResolver({
    ...o,
    cache: { ...o.cache, failureTtlMs: spec.cacheTTLSeconds * 1000 },
    trustState,
    cacheDir: trustState ? undefined : spec.cacheDir,
    maxFetchesPerServer: RUN_FETCHES_PER_SERVER,
  });
}
