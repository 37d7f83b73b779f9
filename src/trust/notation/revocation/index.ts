/** Revocation checking for Notation signatures (OCSP, CRL, caches, offline bundle): the public surface. */
export { createRevocationChecker, revocationFailure, type RevocationCheckerHandle, type RevocationCheckerOptions, type RevocationResultEx } from './checker.js';
export { fetchRevocationBundle, type BundleReport, type FetchBundleOptions } from './bundle.js';
export { bundleCrlFile, bundleOcspFile, createBundleFetcher, createNetworkFetcher, type RevocationFetcher } from './source.js';
