/**
 * Contracts between the parts of the Notation trust system (Notary Project specification v1.1):
 * the trust policy and store, the signature verifier, and the timestamp and revocation checkers it
 * calls. Certificates cross these boundaries as DER bytes, leaf first.
 */
import type { PinError, Result } from '../../errors/errors.js';

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type ValidationType = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type ValidationAction = 'enforce' | 'log' | 'skip';
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** One statement of a `trustpolicy.json` (trust-store-trust-policy.md), validated. */
export interface TrustPolicyStatement {
  readonly name: string;
  /** Fully qualified repositories (`host/name`), or the single `*`. */
  readonly registryScopes: readonly string[];
  readonly signatureVerification: {
    readonly level: VerificationLevel;
    readonly override?: Partial<Readonly<Record<Exclude<ValidationType, 'integrity'>, ValidationAction>>>;
    readonly verifyTimestamp?: 'always' | 'afterCertExpiry';
  };
  /** `ca:<name>`, `signingAuthority:<name>`, `tsa:<name>`. */
  readonly trustStores: readonly string[];
  /** `*`, or `x509.subject: C=…, ST=…, O=…`. */
  readonly trustedIdentities: readonly string[];
}

export interface TrustPolicyDocument {
  readonly version: '1.0';
  readonly trustPolicies: readonly TrustPolicyStatement[];
}

/** A trust store directory in Notation's layout (`x509/<type>/<name>/*.{pem,crt,cer}`). */
export interface TrustStore {
  /** The certificates of one named store (DER), or a NOTATION_TRUST_STORE error. */
  load(type: TrustStoreType, name: string): Promise<Uint8Array[]>;
}

/** The subject a signature must sign: the manifest descriptor the registry served. */
export interface Subject {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** One signature found for the subject: its envelope blob and the signature manifest's annotations. */
export interface SignatureToVerify {
  readonly envelopeMediaType: string;
  readonly envelope: Uint8Array;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Where it came from, for messages (the signature manifest's digest). */
  readonly source?: string;
}

export interface TimestampVerifier {
  verify(
    token: Uint8Array,
    signature: Uint8Array,
    hash: HashName,
    tsaRoots: readonly Uint8Array[],
    now: Date,
  ): Promise<Result<{ genTime: Date; accuracyMs: number; tsaChain: Uint8Array[] }, PinError>>;
}

export interface RevocationResult {
  /** Index of the certificate in the chain given to `check`. */
  readonly index: number;
  readonly subject: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  /** The OCSP/CRL URL (or bundle file) that answered. */
  readonly source?: string;
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly message: string;
  /** Until when this answer holds: the deciding CRL's or OCSP response's nextUpdate (bounds cached verdicts). */
  readonly validUntil?: Date;
}

/** OCSP then CRL per certificate (signing chain or TSA chain), cached and bounded. */
export interface RevocationChecker {
  check(
    chain: readonly Uint8Array[],
    opts: { purpose: 'codeSigning' | 'timestamping'; signingTime?: Date; now: Date; signal?: AbortSignal },
  ): Promise<RevocationResult[]>;
}

export interface VerifyContext {
  readonly subject: Subject;
  readonly statement: TrustPolicyStatement;
  readonly store: TrustStore;
  readonly now: Date;
  readonly timestamp?: TimestampVerifier;
  readonly revocation?: RevocationChecker;
  readonly signal?: AbortSignal;
}

/** A signature that passed the policy. `logged` holds the failed checks the level only logs. */
export interface VerifiedSignature {
  /** The signing certificate's subject (RFC 4514 string), for people. */
  readonly signer: string;
  readonly signingScheme: 'notary.x509' | 'notary.x509.signingAuthority';
  readonly signingTime?: Date;
  readonly expiry?: Date;
  /** When this verdict stops holding (signature expiry, certificate notAfter, revocation nextUpdate). */
  readonly validUntil?: Date;
  readonly chain: readonly Uint8Array[];
  readonly logged: readonly PinError[];
}

/** Verifies one signature against the subject and policy statement (the spec's steps, in order). */
export type VerifySignature = (sig: SignatureToVerify, ctx: VerifyContext) => Promise<Result<VerifiedSignature, PinError>>;
