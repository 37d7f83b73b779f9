/**
 * The production Notation resolver: registry client, Notary Project verifier (RFC 3161 timestamps,
 * OCSP/CRL revocation) and the rules' trust policies/stores. Loaded only when a rule uses Notation.
 */
import type { Spec } from '../config/schema.js';
import { createRegistryClient } from '../registry/client.js';
import type { RegistryClient } from '../registry/contract.js';
import { loadNotationTrust } from '../trust/notation/load-trust.js';
import { createNotationResolver, type NotationResolver } from '../trust/notation/resolver.js';
import { createRevocationChecker } from '../trust/notation/revocation/checker.js';
import { createTimestampVerifier } from '../trust/notation/timestamp/verifier.js';
import { verifySignature } from '../trust/notation/verify-signature.js';

export interface NotationWiring {
  readonly resolver: NotationResolver;
  close(): Promise<void>;
}

export interface NotationWiringOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Remember failures for the TTL (a function run asks about each image once). */
  readonly cacheFailures?: boolean;
  readonly debug?: (message: string) => void;
  /** Replace the registry client (tests). */
  readonly registry?: RegistryClient;
  /** For ~/.config/notation and ~/.docker/config.json; default os.homedir(). */
  readonly homeDir?: string;
}

export function createNotationWiring(spec: Spec, o: NotationWiringOptions): NotationWiring {
  const registry = o.registry ?? createRegistryClient({ registries: spec.registries, env: o.env, homeDir: o.homeDir, debug: o.debug });
  // CRLs are cached under cacheDir; with an offline bundle, nothing goes to the network.
  const revocation = createRevocationChecker({ cacheDir: spec.cacheDir, bundleDir: spec.revocation?.bundleDir, debug: o.debug });
  const ttlMs = spec.cacheTTLSeconds * 1000;
  const resolver = createNotationResolver({
    registry,
    verifySignature,
    loadTrust: (n) => loadNotationTrust(n, { env: o.env, homeDir: o.homeDir }),
    timestamp: createTimestampVerifier(),
    revocation,
    cache: { ttlMs, maxEntries: spec.cacheMaxEntries, failureTtlMs: o.cacheFailures ? ttlMs : 0, staleIfErrorMs: spec.staleIfErrorSeconds * 1000 },
    debug: o.debug,
  });
  return {
    resolver,
    async close() {
      await Promise.all([registry.close(), revocation.close()]);
    },
  };
}
