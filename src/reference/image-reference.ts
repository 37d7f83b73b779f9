/**
 * A parsed, normalised container image reference (Docker reference grammar, as
 * github.com/distribution/reference parses it, with docker.io normalisation).
 */
export interface ImageReference {
  /** The string as written in the manifest. */
  readonly original: string;
  /** Registry host, with port if any: `docker.io`, `127.0.0.1:5000`, `ghcr.io`. */
  readonly domain: string;
  /** Path within the registry: `library/nginx`, `org/app`. */
  readonly path: string;
  /** `domain/path`: the repository name. This is also the Notary GUN. */
  readonly repository: string;
  /** The tag as written; undefined when the reference has none (see `effectiveTag`). */
  readonly tag?: string;
  /** `sha256:<64 hex>` (or another algorithm), when the reference carries a digest. */
  readonly digest?: string;
}
