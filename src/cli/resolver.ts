/** The production resolver: Notary v1 trust data over HTTPS (or a vendored trustDir), verified by src/tuf. */
import type { Spec } from '../config/schema.js';
import { createNotaryResolver, type NotaryResolver } from '../notary/resolver.js';
import { clean } from '../report/format.js';

/** `NOTARY_PIN_DEBUG=1` prints what is fetched and from where on stderr (never credentials). */
function debugSink(env: NodeJS.ProcessEnv): ((message: string) => void) | undefined {
  if (!env.NOTARY_PIN_DEBUG || env.NOTARY_PIN_DEBUG === '0') return undefined;
  return (message) => process.stderr.write(`notary-pin: debug: ${clean(message)}\n`);
}

export function productionResolver(spec: Spec, env: NodeJS.ProcessEnv = process.env): NotaryResolver {
  const debug = debugSink(env);
  return createNotaryResolver({
    ...(spec.cacheDir !== undefined && { cacheDir: spec.cacheDir }),
    cache: { ttlMs: spec.cacheTTLSeconds * 1000, maxEntries: spec.cacheMaxEntries },
    ...(debug && { debug }),
    env,
  });
}
