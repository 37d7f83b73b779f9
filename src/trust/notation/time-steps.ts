/**
 * The time-dependent validations of Notary Project signature verification: authentic timestamp
 * (trust-store-trust-policy §Signature Verification step 6) and revocation (step 7).
 */
import type { RevocationResult, VerifyContext } from './contracts.js';
import { invalidAt, parseChain, type ParsedCert } from './cert-chain.js';
import { HASH_OF, fail, type VerifyState } from './steps.js';

function need(s: VerifyState): { env: NonNullable<VerifyState['env']>; chain: ParsedCert[] } {
  if (s.env === undefined || s.chain === undefined) return fail('INTERNAL', 'integrity did not run first', '');
  return { env: s.env, chain: s.chain };
}

const tsaStoreNames = (ctx: VerifyContext): string[] =>
  ctx.statement.trustStores.filter((t) => t.startsWith('tsa:')).map((t) => t.slice('tsa:'.length));

/** trust-store-trust-policy §Timestamp Countersignature Verification details: when a timestamp must be verified. */
function timestampRequired(ctx: VerifyContext, chain: readonly ParsedCert[]): boolean {
  if (tsaStoreNames(ctx).length === 0) return false;
  if (ctx.statement.signatureVerification.verifyTimestamp !== 'afterCertExpiry') return true;
  return chain.some((c) => c.notAfter.getTime() < ctx.now.getTime());
}

/** Remembers the earliest `validUntil` among the results: the verdict must not outlive that data. */
function noteRevocationUntil(s: VerifyState, results: readonly RevocationResult[]): void {
  for (const r of results) {
    if (r.validUntil === undefined) continue;
    if (s.revocationUntil === undefined || r.validUntil.getTime() < s.revocationUntil.getTime()) s.revocationUntil = r.validUntil;
  }
}

/** Checks a revocation answer; throws NOTATION_REVOKED / NOTATION_REVOCATION_UNKNOWN for the first bad one. */
export function checkRevocationResults(results: readonly RevocationResult[], what: string): void {
  const revoked = results.find((r) => r.status === 'revoked');
  if (revoked !== undefined)
    fail(
      'NOTATION_REVOKED',
      `${what} certificate #${revoked.index} (${revoked.subject}) is revoked${revoked.revokedAt ? ` since ${revoked.revokedAt.toISOString()}` : ''}` +
        `${revoked.reason ? ` (${revoked.reason})` : ''}${revoked.source ? ` according to ${revoked.source}` : ''}: ${revoked.message}`,
      'the signing identity is no longer trusted; re-sign with a valid certificate',
    );
  const unknown = results.find((r) => r.status === 'unknown');
  if (unknown !== undefined)
    fail(
      'NOTATION_REVOCATION_UNKNOWN',
      `the revocation status of ${what} certificate #${unknown.index} (${unknown.subject}) could not be determined: ${unknown.message}`,
      'make the OCSP responder / CRL distribution point reachable (with spec.revocation.bundleDir: refresh the bundle with `notary-pin revocation fetch`), or set the trust policy\'s revocation override to log',
    );
}

/** RFC 3161 countersignature: verified by the context's TimestampVerifier against the tsa: stores. */
async function verifyTimestamp(s: VerifyState, chain: readonly ParsedCert[]): Promise<void> {
  const { env } = need(s);
  const ctx = s.ctx;
  const hint = 'sign with a timestamp from a TSA whose root is in the statement\'s tsa: store, or remove the tsa: store from the policy';
  if (env.timestampToken === undefined || env.timestampToken.length === 0)
    fail('NOTATION_TIMESTAMP', 'no timestamp countersignature was found in the signature envelope, and the trust policy requires one (tsa: store)', hint);
  if (ctx.timestamp === undefined) fail('NOTATION_TIMESTAMP', 'the trust policy requires timestamp verification, which is not available here', hint);
  const roots: Uint8Array[] = [];
  for (const name of tsaStoreNames(ctx)) roots.push(...(await ctx.store.load('tsa', name)));
  const r = await ctx.timestamp.verify(env.timestampToken, env.signature, HASH_OF[env.alg], roots, ctx.now);
  if (!r.ok) fail('NOTATION_TIMESTAMP', `timestamp countersignature: ${r.error.message}`, r.error.hint ?? hint);
  const { genTime, accuracyMs, tsaChain } = r.value;
  const lower = new Date(genTime.getTime() - accuracyMs);
  const upper = new Date(genTime.getTime() + accuracyMs);
  const bad = invalidAt(chain, lower, upper);
  if (bad !== undefined)
    fail('NOTATION_TIMESTAMP', `at the time-stamped signing time ${genTime.toISOString()} (±${accuracyMs} ms), ${bad}`, 'the signature was made while the certificate was not valid; re-sign');
  if (ctx.revocation !== undefined && actionFor(ctx, 'revocation') !== 'skip') {
    const parsed = parseChain(tsaChain);
    if (typeof parsed === 'string') fail('NOTATION_TIMESTAMP', `TSA certificate chain: ${parsed}`, hint);
    const results = await ctx.revocation.check(tsaChain, { purpose: 'timestamping', now: ctx.now, signal: ctx.signal });
    noteRevocationUntil(s, results);
    checkRevocationResults(results, 'TSA');
  }
  s.timestamped = genTime;
}

/** trust-store-trust-policy §Signature Verification step 6: Validate Authentic Timestamp. */
export async function authenticTimestamp(s: VerifyState): Promise<void> {
  const { env, chain } = need(s);
  if (env.signingScheme === 'notary.x509.signingAuthority') {
    const bad = invalidAt(chain, env.authenticSigningTime!);
    if (bad !== undefined)
      fail('NOTATION_TIMESTAMP', `at the authentic signing time ${env.authenticSigningTime!.toISOString()}, ${bad}`, 'the signing authority signed while the certificate was not valid; re-sign');
    return;
  }
  if (timestampRequired(s.ctx, chain)) return verifyTimestamp(s, chain);
  // Without a verified timestamp the chain must be valid now.
  const bad = invalidAt(chain, s.ctx.now);
  if (bad !== undefined)
    fail(
      'NOTATION_TIMESTAMP',
      `at verification time ${s.ctx.now.toISOString()}, ${bad}, and no verified timestamp shows the signature was made while it was valid`,
      're-sign with a valid certificate (with a timestamp and a tsa: store in the policy, signatures outlive the certificate)',
    );
}

/** trust-store-trust-policy §Signature Verification step 7: Validate Revocation Status (if a checker is set). */
export async function revocation(s: VerifyState): Promise<void> {
  const { env, chain } = need(s);
  if (s.ctx.revocation === undefined) return;
  const signingTime = s.timestamped ?? (env.signingScheme === 'notary.x509.signingAuthority' ? env.authenticSigningTime : undefined);
  const results = await s.ctx.revocation.check(
    chain.map((c) => c.der),
    { purpose: 'codeSigning', signingTime, now: s.ctx.now, signal: s.ctx.signal },
  );
  noteRevocationUntil(s, results);
  checkRevocationResults(results, 'signing');
}

/** The action for a validation under the statement's level and overrides (trust-store-trust-policy table). */
export function actionFor(ctx: VerifyContext, type: 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation'): 'enforce' | 'log' | 'skip' {
  if (type === 'integrity') return 'enforce';
  const v = ctx.statement.signatureVerification;
  const override = v.override?.[type];
  if (override !== undefined) return override;
  if (v.level === 'strict') return 'enforce';
  if (v.level === 'permissive') return type === 'authenticity' ? 'enforce' : 'log';
  if (v.level === 'audit') return 'log';
  return 'skip';
}
