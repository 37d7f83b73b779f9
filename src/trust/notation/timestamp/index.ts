/** RFC 3161 timestamp countersignatures for Notation signatures: the public surface. */
export { createTimestampVerifier, verifyTimestampToken, accuracyMs, type TimestampVerifierOptions, type VerifiedToken } from './verifier.js';
