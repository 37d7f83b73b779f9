/**
 * Verifies one Notary Project signature against a subject and a trust policy statement: the spec's
 * validations in order, each enforced, logged or skipped as the statement's level says.
 * Notary Project trust-store-trust-policy §Signature Verification (steps 2-7).
 */
import { PinError, err, ok, type ErrorCode } from '../../errors/errors.js';
import { chainNotAfter } from './cert-chain.js';
import type { SignatureToVerify, ValidationType, VerifiedSignature, VerifySignature, VerifyContext } from './contracts.js';
import { authenticity, expiry, integrity, type VerifyState } from './steps.js';
import { actionFor, authenticTimestamp, revocation } from './time-steps.js';

/** The validations in the order the spec runs them. */
export const STEPS: ReadonlyArray<{ readonly type: ValidationType; readonly code: ErrorCode; readonly run: (s: VerifyState) => Promise<void> }> = [
  { type: 'integrity', code: 'NOTATION_INTEGRITY', run: integrity },
  { type: 'authenticity', code: 'NOTATION_AUTHENTICITY', run: authenticity },
  { type: 'expiry', code: 'NOTATION_EXPIRED', run: expiry },
  { type: 'authenticTimestamp', code: 'NOTATION_TIMESTAMP', run: authenticTimestamp },
  { type: 'revocation', code: 'NOTATION_REVOCATION_UNKNOWN', run: revocation },
];

/** Errors that are about configuration, not about the signature: never merely logged. */
const CONFIG_CODES: ReadonlySet<ErrorCode> = new Set(['NOTATION_TRUST_STORE', 'NOTATION_POLICY', 'INTERNAL']);

/** Names the check in the message; an unexpected exception becomes the step's error (fail closed). */
function asStepError(type: ValidationType, code: ErrorCode, e: unknown): PinError {
  if (e instanceof PinError) {
    if (CONFIG_CODES.has(e.code)) return e;
    return new PinError({ code: e.code, message: `${type}: ${e.message}`, hint: e.hint, cause: e.cause });
  }
  return new PinError({ code, message: `${type}: check failed: ${(e as Error)?.message ?? String(e)}`, hint: 'the signature could not be verified', cause: e });
}

/** validUntil: signature expiry (if enforced), chain notAfter without a timestamp, revocation nextUpdate. */
function validUntil(s: VerifyState, ctx: VerifyContext): Date | undefined {
  const times: number[] = [];
  if (s.revocationUntil !== undefined) times.push(s.revocationUntil.getTime());
  if (s.env?.expiry !== undefined && actionFor(ctx, 'expiry') === 'enforce') times.push(s.env.expiry.getTime());
  const reliesOnNow = s.env?.signingScheme === 'notary.x509' && s.timestamped === undefined;
  if (reliesOnNow && s.chain !== undefined && actionFor(ctx, 'authenticTimestamp') === 'enforce') times.push(chainNotAfter(s.chain).getTime());
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

const cancelled = (type: ValidationType): PinError =>
  new PinError({ code: 'DEADLINE', message: `signature verification was cancelled (during ${type})`, hint: 'allow more time for the run' });

/** Verifies one signature; the first enforced failure is returned, logged failures ride along. */
export const verifySignature: VerifySignature = async (sig: SignatureToVerify, ctx: VerifyContext) => {
  if (ctx.statement.signatureVerification.level === 'skip')
    return err(
      new PinError({
        code: 'INTERNAL',
        message: `trust policy statement "${ctx.statement.name}" has level skip; the resolver must not verify signatures under it`,
      }),
    );
  // Every time check compares against ctx.now: without a valid one they would all pass.
  if (!(ctx.now instanceof Date) || Number.isNaN(ctx.now.getTime()))
    return err(new PinError({ code: 'INTERNAL', message: 'signature verification was called without a valid verification time' }));
  const state: VerifyState = { sig, ctx };
  const logged: PinError[] = [];
  for (const step of STEPS) {
    const action = actionFor(ctx, step.type);
    if (action === 'skip') continue;
    if (ctx.signal?.aborted) return err(cancelled(step.type));
    try {
      await step.run(state);
    } catch (e) {
      // A step cut short by the caller's deadline is not a verdict, not even a logged one.
      if (ctx.signal?.aborted) return err(cancelled(step.type));
      const error = asStepError(step.type, step.code, e);
      if (action === 'enforce' || CONFIG_CODES.has(error.code)) return err(error);
      logged.push(error);
    }
  }
  const env = state.env!;
  const chain = state.chain!;
  return ok<VerifiedSignature>({
    signer: chain[0]!.subject,
    signingScheme: env.signingScheme,
    signingTime: env.signingTime ?? env.authenticSigningTime,
    expiry: env.expiry,
    validUntil: validUntil(state, ctx),
    chain: chain.map((c) => c.der),
    logged,
  });
};

