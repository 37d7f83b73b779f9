/** The port every trust system implements (`trust/notary`, `trust/notation`); the engine calls only this. */
import type { PinError, Result } from '../errors/errors.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { TrustRule } from '../config/schema.js';

export type TrustSystem = 'notary' | 'notation';

export interface Resolution {
  /** The signed digest, `sha256:<hex>`. */
  readonly digest: string;
  /** The resolved tag (tag inputs), or a signed tag naming the digest (digest inputs). */
  readonly tag?: string;
  /** `notary` when absent. */
  readonly system?: TrustSystem;
  /** Who signed it, for people: the Notary role or the Notation signing certificate's subject; defaults to `role`. */
  readonly signer?: string;
  /** Notary v1: the role whose targets named the digest. Notation: the signing scheme. */
  readonly role: string;
  /** Notary v1: the GUN. Notation: the repository (`host/name`). */
  readonly gun: string;
  /** Why the digest passed WITHOUT verification (Notation level `skip`); reports must show it as a warning. */
  readonly unverified?: string;
  /** Failed checks the trust policy only logs (`permissive`/`audit`, `log` overrides), as `CODE: message`. */
  readonly logged?: readonly string[];
  /** When the trust data behind this answer was verified (a cached answer is as old as its entry). */
  readonly verifiedAt?: Date;
  /** `platforms`/`pinPlatform`: which platform manifests were verified or pinned, and which manifest is signed. */
  readonly platform?: string;
  /** With both trust systems: which one(s) verified the digest. */
  readonly via?: string;
  /** The transport error when the answer came from stale trust data (spec.staleIfErrorSeconds). */
  readonly stale?: string;
}

export interface ResolveOptions {
  /** Aborted when the caller no longer needs the answer (a review's deadline). */
  readonly signal?: AbortSignal;
}

/** Resolves a tag to its signed digest, or confirms a written digest is signed (and matches its tag). Fails closed. */
export interface Resolver {
  resolve(ref: ImageReference, rule: TrustRule, opts?: ResolveOptions): Promise<Result<Resolution, PinError>>;
  close?(): Promise<void>;
  /** Cache and fetch counters for the webhook's /metrics. */
  stats?(): ResolverStats;
  /** Where trust data for `ref` comes from, for messages; never throws. */
  sourceOf?(ref: ImageReference, rule: TrustRule): string;
}

export interface ResolverStats {
  readonly cacheHits?: number;
  readonly cacheMisses?: number;
  readonly fetchErrors?: number;
  readonly cacheEntries?: number;
}
