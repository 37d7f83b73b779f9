/**
 * The port every trust system implements (Notary v1 in `trust/notary`, Notation in
 * `trust/notation`). The engine calls only this; trust systems are wired in `cli/`.
 */
import type { PinError, Result } from '../errors/errors.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { TrustRule } from '../config/schema.js';

/** Which trust system vouched for a digest. */
export type TrustSystem = 'notary' | 'notation';

/** What the trust data says about one image. */
export interface Resolution {
  /** The signed digest, `sha256:<hex>`. */
  readonly digest: string;
  /** The tag that was resolved (for tag inputs), or a signed tag naming the digest (digest inputs). */
  readonly tag?: string;
  /** The trust system that verified the digest; `notary` when absent. */
  readonly system?: TrustSystem;
  /**
   * Who signed it, for people: the Notary role (`targets/releases`) or the Notation signing
   * certificate's subject. Defaults to `role`.
   */
  readonly signer?: string;
  /** Notary v1: the role whose signed targets named the digest, e.g. `targets/releases`. Notation: the signing scheme. */
  readonly role: string;
  /** Notary v1: the GUN whose trust data was used. Notation: the repository (`host/name`). */
  readonly gun: string;
  /**
   * Set when the digest was pinned or admitted WITHOUT verification (a Notation trust policy at
   * level `skip`): why, for people. Reports must show it (a warning), never pass it silently.
   */
  readonly unverified?: string;
  /**
   * Checks that failed but that the trust policy only logs (a Notation level `permissive` or
   * `audit`, or a `log` override), as `CODE: message`. Reports show them as warnings.
   */
  readonly logged?: readonly string[];
  /**
   * When the trust data behind this answer was fetched and verified (a cached answer is as old as
   * its cache entry); absent when unknown. The webhook reports the age in its metrics.
   */
  readonly verifiedAt?: Date;
  /**
   * A rule's `platforms`/`pinPlatform`, for people: which platform manifests were verified, or which
   * platform was pinned and whether the index or the platform manifest carries the signature.
   */
  readonly platform?: string;
  /** A rule with both trust systems: which one(s) verified the digest, for people (`require: any | all`). */
  readonly via?: string;
  /**
   * Set when the answer came from trust data verified earlier because the trust server or registry
   * could not be reached (spec.staleIfErrorSeconds): the transport error, for logs and metrics.
   */
  readonly stale?: string;
}

export interface ResolveOptions {
  /** Aborted when the caller no longer needs the answer (a webhook review's deadline): stop fetching. */
  readonly signal?: AbortSignal;
}

/**
 * The single resolution interface. Given a reference and the trust rule that governs it, answer
 * with the digest signed for its tag — or, when the reference carries a digest, confirm that
 * digest is signed (and that it matches the tag's signed digest if a tag is given).
 * Implementations must fail closed: anything short of verified trust data is an error.
 */
export interface Resolver {
  resolve(ref: ImageReference, rule: TrustRule, opts?: ResolveOptions): Promise<Result<Resolution, PinError>>;
  /** Release pools and other resources. */
  close?(): Promise<void>;
  /** Cache and fetch counters, for a long-running caller's metrics (the webhook's /metrics). */
  stats?(): ResolverStats;
  /** Where trust data for `ref` comes from (a server URL, a directory), for messages; never throws. */
  sourceOf?(ref: ImageReference, rule: TrustRule): string;
}

/** What a caching resolver reports through `stats()`. */
export interface ResolverStats {
  readonly cacheHits?: number;
  readonly cacheMisses?: number;
  readonly fetchErrors?: number;
  /** Verified trust data entries held in memory. */
  readonly cacheEntries?: number;
}
