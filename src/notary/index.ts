/** Notary v1 client and resolver. */
export { createNotaryResolver, DEFAULT_SIGNERS, ruleIdentity, selectResolution, type NotaryResolver, type NotaryResolverOptions } from './resolver.js';
export { createTrustCache, type TrustCache, type TrustCacheOptions } from './cache.js';
export { fetchTrust, loadTrust, type CreateVerifier, type FetchTrustOptions, type LoadTrustOptions } from './client.js';
export { createDirSource, createHttpSource, assertGun, assertRole, type MetadataSource, type HttpSourceOptions, type DirSourceOptions } from './source.js';
export { createTofuStore, type TofuRecord, type TofuStore } from './tofu.js';
export { anchorFor, rootCAsOf, type Anchoring, type AnchorRule } from './anchor.js';
export { DOCKER_HUB_NOTARY, gunOf, hostOf, trustServerFor } from './server.js';
