/**
 * The contract between the pure TUF verifier (tuf/) and its users: the verifier is handed bytes,
 * never fetches and trusts nothing it has not verified; callers fetch in any order and feed TUF order.
 */
import type { X509Certificate } from 'node:crypto';

/** How the root of trust is established for one GUN (notary's trust_pinning + TOFU). */
export interface RootAnchor {
  /** Pinned root key IDs (notary `trust_pinning.certs`): the root role must contain one of these keys. */
  readonly rootKeyIds?: readonly string[];
  /** Pinned CAs (notary `trust_pinning.ca`): a root certificate must chain to one of these. */
  readonly rootCAs?: readonly X509Certificate[];
  /** A root.json trusted before (on-disk cache or TOFU store); updates must chain from it. */
  readonly trustedRoot?: Uint8Array;
  /** Accept an otherwise unpinned root (trust on first use). Only when a rule says so. */
  readonly tofu: boolean;
}

/** Versions trusted in an earlier run (rollback protection). */
export interface TrustedVersions {
  readonly root?: number;
  readonly timestamp?: number;
  readonly snapshot?: number;
  /** targets and delegations, by role name. */
  readonly targets?: Readonly<Record<string, number>>;
}

export interface VerifierOptions {
  /** The GUN (normalised repository, e.g. `docker.io/library/nginx`); root certs must name it. */
  readonly gun: string;
  readonly anchor: RootAnchor;
  /** Clock; defaults to `new Date()`. Expiry is always enforced. */
  readonly now?: Date;
  readonly previous?: TrustedVersions;
  /** Maximum delegation depth below `targets` (targets/a = 1, targets/a/b = 2). */
  readonly maxDelegationDepth: number;
}

/** Expected size/hashes of a file, from the role that lists it. */
export interface ExpectedFile {
  readonly role: string;
  /** Exact length when the parent role states it; fetchers cap reads at this. */
  readonly length?: number;
  /** hex sha256 when the parent role states it: fetch `<role>.<sha256>.json` by checksum. */
  readonly sha256?: string;
}

export interface SignedTarget {
  readonly role: string;
  /** Target name (the tag). */
  readonly name: string;
  /** `sha256:<hex>` from the target's base64 sha256 hash. */
  readonly digest: string;
  readonly length: number;
}

/** Verified state, for caches. Raw bytes so a cache can re-verify on load. */
export interface VerifiedState {
  readonly gun: string;
  readonly versions: Required<Pick<TrustedVersions, 'root' | 'timestamp' | 'snapshot'>> & {
    readonly targets: Record<string, number>;
  };
  /** Earliest `expires` across every loaded role. */
  readonly expires: Date;
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** Incremental verifier, one per GUN per fetch: each `update*` verifies then trusts, in TUF order (TRUST_* errors). */
export interface TrustVerifier {
  /** TUF 5.3 (notary: root validation against trust pinning / trusted root, rotation). */
  updateRoot(bytes: Uint8Array): void;
  /** TUF 5.4: timestamp signed by the root's timestamp keys, not expired, not rolled back. */
  updateTimestamp(bytes: Uint8Array): void;
  /** What the timestamp says snapshot must be (length, sha256). Valid after updateTimestamp. */
  expectedSnapshot(): ExpectedFile;
  /** TUF 5.5: snapshot matches timestamp's hash/length, signed, not expired, versions not rolled back. */
  updateSnapshot(bytes: Uint8Array): void;
  /** What the snapshot says a targets role must be (length, sha256). */
  expectedTargets(role: string): ExpectedFile | undefined;
  /** TUF 5.6: targets matches snapshot's hash/length, signed by root's targets keys, not expired. */
  updateTargets(bytes: Uint8Array): void;
  /** Delegations `signers` need, not yet loaded; TRUST_MISMATCH for a delegated role the snapshot lacks. */
  neededDelegations(signers: readonly string[]): ExpectedFile[];
  /** TUF 5.6.7: a delegation signed by the keys its parent delegates to it, with paths checks. */
  updateDelegation(role: string, bytes: Uint8Array): void;
  /** The signed target for `tag`, from the first role of `signers` that signs it; undefined if none. */
  lookupTag(tag: string, signers: readonly string[]): SignedTarget | undefined;
  lookupDigest(digest: string, signers: readonly string[]): SignedTarget[];
  state(): VerifiedState;
}
