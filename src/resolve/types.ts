import type { PinError, Result } from '../errors/errors.js';
import type { ImageReference } from '../reference/types.js';
import type { TrustRule } from '../config/schema.js';

/** What the trust data says about one image. */
export interface Resolution {
  /** The signed digest, `sha256:<hex>`. */
  readonly digest: string;
  /** The tag that was resolved (for tag inputs), or a signed tag naming the digest (digest inputs). */
  readonly tag?: string;
  /** The role whose signed targets named the digest, e.g. `targets/releases`. */
  readonly role: string;
  /** The Notary GUN whose trust data was used. */
  readonly gun: string;
}

/**
 * The single resolution interface. Given a reference and the trust rule that governs it, answer
 * with the digest signed for its tag — or, when the reference carries a digest, confirm that
 * digest is a signed target (and that it matches the tag's signed digest if a tag is given).
 * Implementations must fail closed: anything short of verified trust data is an error.
 */
export interface Resolver {
  resolve(ref: ImageReference, rule: TrustRule): Promise<Result<Resolution, PinError>>;
  /** Release pools and other resources. */
  close?(): Promise<void>;
}
