/**
 * The OCI registry client's contract, shared by the trust systems that read from registries
 * (Notation signatures today; tag → digest for any of them). Distribution spec v1.1:
 * pull API, referrers API, and the referrers tag schema fallback.
 */

/** An OCI content descriptor (image-spec descriptor.md), as the client hands it out: validated. */
export interface Descriptor {
  readonly mediaType: string;
  /** `<algorithm>:<hex>`, e.g. `sha256:…`. */
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A repository in a registry: `host` as written in image references (`registry.example.com:5000`, `docker.io`). */
export interface RepositoryRef {
  readonly host: string;
  /** The repository path, e.g. `library/nginx`. */
  readonly name: string;
}

/** A manifest (or index) fetched by digest: its bytes hash to `descriptor.digest`. */
export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

export interface RequestOptions {
  /** Aborts the request (a webhook review's deadline). */
  readonly signal?: AbortSignal;
}

export interface ReferrersOptions extends RequestOptions {
  /** Only referrers of this artifact type (filtered by the client when the registry did not). */
  readonly artifactType?: string;
  /** Stop (and fail) past this many referrers; a bound on hostile indexes. Default 1,000. */
  readonly maxEntries?: number;
  /**
   * With `artifactType`: also keep descriptors that carry no `artifactType` at all (the caller
   * fetches their manifests to tell), instead of dropping them. Default false.
   */
  readonly keepUntyped?: boolean;
  /** Most referrers API pages followed (`Link: rel="next"`); more is an error. Default 50. */
  readonly maxPages?: number;
}

export interface RegistryClient {
  /**
   * The descriptor of the manifest or index that `reference` (a tag or a digest) names: HEAD, then
   * GET when the registry sends no `Docker-Content-Digest`; the digest is verified whenever bytes are read.
   */
  resolve(repo: RepositoryRef, reference: string, opts?: RequestOptions): Promise<Descriptor>;
  /** A manifest or index by digest, size-capped, its bytes verified against the digest. */
  fetchManifest(repo: RepositoryRef, digest: string, opts?: RequestOptions & { readonly maxBytes?: number }): Promise<FetchedManifest>;
  /** A blob by descriptor, size-capped by the descriptor and `maxBytes`, verified against the digest. */
  fetchBlob(repo: RepositoryRef, desc: Descriptor, opts?: RequestOptions & { readonly maxBytes?: number }): Promise<Uint8Array>;
  /**
   * The referrers of `subjectDigest`: the referrers API (`GET /v2/<name>/referrers/<digest>`, `Link`
   * pagination, `OCI-Filters-Applied`), or on 404 the referrers tag schema (`<alg>-<hex>` index).
   */
  referrers(repo: RepositoryRef, subjectDigest: string, opts?: ReferrersOptions): Promise<Descriptor[]>;
  close(): Promise<void>;
}

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  notarySignature: 'application/vnd.cncf.notary.signature',
  jws: 'application/jose+json',
  cose: 'application/cose',
} as const;
