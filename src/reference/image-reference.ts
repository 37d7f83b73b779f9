/** A parsed, normalised image reference (distribution/reference grammar, docker.io normalisation). */
export interface ImageReference {
  readonly original: string;
  /** Registry host, with port if any. */
  readonly domain: string;
  /** Path within the registry: `library/nginx`. */
  readonly path: string;
  /** `domain/path`; also the Notary GUN. */
  readonly repository: string;
  /** As written; undefined when the reference has none (see `effectiveTag`). */
  readonly tag?: string;
  readonly digest?: string;
}
