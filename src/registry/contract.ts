/** The OCI registry client's contract (distribution spec v1.1: pull, referrers, referrers tag schema). */
import { PinError } from '../errors/errors.js';

/** An OCI content descriptor (image-spec descriptor.md), validated. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `host` as written in image references (`registry.example.com:5000`, `docker.io`). */
export interface RepositoryRef {
  readonly host: string;
  readonly name: string;
}

/** A manifest or index fetched by digest: its bytes hash to `descriptor.digest`. */
export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface ReferrersOptions extends RequestOptions {
  /** Filtered by the client when the registry did not. */
  readonly artifactType?: string;
  /** Fail past this many referrers (hostile indexes); default 1,000. */
  readonly maxEntries?: number;
  /** With `artifactType`: keep descriptors without one too (the caller fetches to tell). Default false. */
  readonly keepUntyped?: boolean;
  /** Most `Link: rel="next"` pages followed; more is an error. Default 50. */
  readonly maxPages?: number;
}

export interface RegistryClient {
  /** The descriptor `reference` names: HEAD, else GET (no `Docker-Content-Digest`); read bytes are verified. */
  resolve(repo: RepositoryRef, reference: string, opts?: RequestOptions): Promise<Descriptor>;
  /** Size-capped, bytes verified against the digest. */
  fetchManifest(repo: RepositoryRef, digest: string, opts?: RequestOptions & { readonly maxBytes?: number }): Promise<FetchedManifest>;
  /** Size-capped by the descriptor and `maxBytes`, verified against the digest. */
  fetchBlob(repo: RepositoryRef, desc: Descriptor, opts?: RequestOptions & { readonly maxBytes?: number }): Promise<Uint8Array>;
  /** The referrers API (`Link` pagination, `OCI-Filters-Applied`), or on 404 the referrers tag schema. */
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

/** The failures that mean the registry could not be reached (a stale answer may stand in for them). */
export function isRegistryUnreachable(e: unknown): boolean {
  return e instanceof PinError && e.code === 'REGISTRY_FETCH';
}
