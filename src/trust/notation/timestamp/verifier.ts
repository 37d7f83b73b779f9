/**
 * The `TimestampVerifier` (contracts.ts): an RFC 3161 timestamp countersignature over the raw
 * signature bytes, checked as the Notary Project trust-store-trust-policy §Signature Verification
 * step "Validate Trusted Timestamp" orders it, with the TSA chain anchored in the policy's `tsa:` store.
 */
import * as pkijs from 'pkijs';
import { PinError, type Result } from '../../../errors/errors.js';
import type { HashName, TimestampVerifier } from '../contracts.js';
import {
  OID,
  bytesEqual,
  certDer,
  digest,
  extKeyUsages,
  extension,
  hashOid,
  isCA,
  issuedBy,
  keyStrengthProblem,
  keyUsageBit,
  parseCertificate,
  publicKey,
  subjectOf,
  toBytes,
  validAt,
} from './pkix.js';
import { TokenProblem, parseToken } from './token.js';

/** RFC 3628 §5.2 baseline time-stamp policy: accuracy of one second when TSTInfo has none. */
const BASELINE_POLICY = '0.4.0.2023.1.1';
const MAX_CHAIN = 8;
const FIX_TRUST = 'add the TSA root certificate to the trust policy\'s `tsa:` trust store, or re-timestamp with a TSA that chains to it';

function fail(check: string, message: string, hint: string): Result<never, PinError> {
  return { ok: false, error: new PinError({ code: 'NOTATION_TIMESTAMP', message: `timestamp countersignature: ${check}: ${message}`, hint }) };
}

/** Accuracy in ms (RFC 3161 §2.4.2; none given → 1 s under the baseline policy, else 0). */
export function accuracyMs(tst: pkijs.TSTInfo): number {
  const a = tst.accuracy;
  if (!a) return tst.policy === BASELINE_POLICY ? 1000 : 0;
  return (a.seconds ?? 0) * 1000 + (a.millis ?? 0) + Math.ceil((a.micros ?? 0) / 1000);
}

/** Walks from the signer through the token's certificates to a trusted root. */
function buildChain(signer: pkijs.Certificate, bag: pkijs.Certificate[], roots: pkijs.Certificate[]): pkijs.Certificate[] | string {
  const chain = [signer];
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const cur = chain[chain.length - 1] as pkijs.Certificate;
    const der = certDer(cur);
    if (roots.some((r) => bytesEqual(certDer(r), der))) return chain;
    const anchor = roots.find((r) => issuedBy(cur, r));
    if (anchor) return [...chain, anchor];
    const next = bag.find((c) => !chain.includes(c) && issuedBy(cur, c));
    if (!next) return `the TSA chain from ${subjectOf(certDer(signer))} does not lead to a certificate of the TSA trust store`;
    chain.push(next);
  }
  return `the TSA chain is longer than ${MAX_CHAIN} certificates`;
}

/** Notary Project signature-specification §Certificate Requirements, for the timestamping chain. */
export function chainProblem(chain: pkijs.Certificate[], genTime: Date): string | undefined {
  const leaf = chain[0] as pkijs.Certificate;
  const eku = extension(leaf, OID.extKeyUsage);
  const ekus = extKeyUsages(leaf) ?? [];
  // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, and the extension is critical.
  if (!eku || !eku.critical || ekus.length !== 1 || ekus[0] !== OID.ekuTimeStamping) {
    return 'the TSA certificate must have a critical extendedKeyUsage with timeStamping only';
  }
  if (isCA(leaf)) return 'the TSA signing certificate is a CA certificate';
  if (keyUsageBit(leaf, 0) === false) return 'the TSA signing certificate keyUsage lacks digitalSignature';
  for (const [i, c] of chain.entries()) {
    const who = subjectOf(certDer(c));
    if (!validAt(c, genTime)) {
      return `${who} is not valid at the timestamp time ${genTime.toISOString()} (valid ${c.notBefore.value.toISOString()} to ${c.notAfter.value.toISOString()})`;
    }
    const weak = keyStrengthProblem(publicKey(c));
    if (weak) return `${who}: ${weak}`;
    if (i > 0 && (!isCA(c) || keyUsageBit(c, 5) === false)) return `${who} is not a CA certificate that may sign certificates`;
  }
  const root = chain[chain.length - 1] as pkijs.Certificate;
  if (!root.subject.isEqual(root.issuer)) return `the trusted TSA certificate ${subjectOf(certDer(root))} is not a self-issued root`;
  return undefined;
}

export interface TimestampVerifierOptions {
  /** Tolerated clock skew in ms when rejecting a genTime in the future; default 5 minutes. */
  readonly futureSkewMs?: number;
}

export interface VerifiedToken {
  readonly genTime: Date;
  readonly accuracyMs: number;
  /** TSA chain (DER), signing certificate first, trusted root last. */
  readonly tsaChain: Uint8Array[];
  /** TSTInfo.messageImprint, for the caller to compare. */
  readonly imprint: { readonly hashOid: string; readonly value: Uint8Array };
}

/** All token checks but the imprint: CMS layer, TSA chain to `tsaRoots`, certificates at genTime, no future time. */
export function verifyTimestampToken(token: Uint8Array, tsaRoots: readonly Uint8Array[], now: Date, opts: TimestampVerifierOptions = {}): Result<VerifiedToken, PinError> {
  let parsed;
  try {
    parsed = parseToken(token);
  } catch (e) {
    if (e instanceof TokenProblem) return fail(e.check, e.message, e.hint);
    return fail('decode', (e as Error).message, 'the timestamp countersignature is malformed; re-timestamp the signature');
  }
  const tst = parsed.tstInfo;
  let roots: pkijs.Certificate[];
  try {
    roots = tsaRoots.map((r, i) => parseCertificate(r, `TSA trust store certificate #${i + 1}`));
  } catch (e) {
    return fail('trust store', (e as Error).message, 'fix the `tsa:` trust store');
  }
  if (roots.length === 0) return fail('trust store', 'the TSA trust store is empty', FIX_TRUST);
  const chain = buildChain(parsed.signer, parsed.certificates, roots);
  if (typeof chain === 'string') return fail('TSA chain', chain, FIX_TRUST);
  const genTime = tst.genTime;
  const problem = chainProblem(chain, genTime);
  if (problem) return fail('TSA certificate', problem, 'use a TSA whose certificates meet the Notary Project requirements and were valid when it signed');
  const acc = accuracyMs(tst);
  if (genTime.getTime() - acc > now.getTime() + (opts.futureSkewMs ?? 5 * 60_000)) {
    return fail('genTime', `genTime ${genTime.toISOString()} is in the future`, 'check the clocks of the TSA and of this machine');
  }
  const mi = tst.messageImprint;
  const imprint = { hashOid: mi.hashAlgorithm.algorithmId, value: toBytes(mi.hashedMessage.valueBlock.valueHexView) };
  return { ok: true, value: { genTime, accuracyMs: acc, tsaChain: chain.map(certDer), imprint } };
}

/** Creates the RFC 3161 verifier (stateless; safe to share). */
export function createTimestampVerifier(opts: TimestampVerifierOptions = {}): TimestampVerifier {
  return {
    // trust-store-trust-policy §Validate Trusted Timestamp: imprint, certificates, algorithms, TSA chain, genTime.
    async verify(token, signature, hash: HashName, tsaRoots, now) {
      const r = verifyTimestampToken(token, tsaRoots, now, opts);
      if (!r.ok) return r;
      const { imprint, genTime, accuracyMs: acc, tsaChain } = r.value;
      if (imprint.hashOid !== hashOid(hash)) {
        return fail('message imprint', `imprint hash algorithm ${imprint.hashOid} is not ${hash}`, 'timestamp the signature with the hash of its signature algorithm');
      }
      if (!bytesEqual(imprint.value, digest(hash, signature))) {
        return fail('message imprint', 'the imprint is not the hash of this signature', 'the timestamp belongs to another signature; re-sign with a timestamp');
      }
      return { ok: true, value: { genTime, accuracyMs: acc, tsaChain } };
    },
  };
}
