/** The Notation resolver's failures, worded like the Notary v1 ones: what failed, and what to do. */
import { PinError } from '../../errors/errors.js';
import type { TrustPolicyStatement } from './contracts.js';

/** No signature manifest refers to the subject. */
export function unsigned(repository: string, digest: string, reference: string): PinError {
  return new PinError({
    code: 'UNSIGNED',
    message: `no Notation signature in the registry for ${repository}@${digest}`,
    hint:
      `sign it and push the signature to the registry: \`notation sign ${reference}\` ` +
      '(notation 1.x pushes it under the referrers tag, 2.x to the referrers API; both are read); ' +
      'check that the image was signed in this registry and repository',
  });
}

/** Most failed signatures one message spells out. */
export const MAX_LISTED = 10;

export interface SignatureFailure {
  readonly source: string;
  readonly error: PinError;
}

/** Every signature failed: one error listing each, with the first one's code (one bad signature reads as itself). */
export function noneVerified(
  repository: string,
  digest: string,
  statement: TrustPolicyStatement,
  failures: readonly SignatureFailure[],
  /** The `maxSignatures` bound stopped the search: more signatures may exist. */
  stopped: boolean,
): PinError {
  const first = failures[0]!;
  const listed = failures.slice(0, MAX_LISTED).map((f, i) => `(${i + 1}) signature ${f.source}: ${f.error.code}: ${f.error.message}`);
  if (failures.length > MAX_LISTED) listed.push(`and ${failures.length - MAX_LISTED} more`);
  const each = listed.join('; ');
  const rest = stopped ? `; stopped at notation.maxSignatures (${failures.length}): later signatures were not tried` : '';
  const hints = [...new Set(failures.map((f) => f.error.hint).filter((h): h is string => h !== undefined))];
  return new PinError({
    code: first.error.code,
    message: `no Notation signature of ${repository}@${digest} passes trust policy "${statement.name}" (${failures.length} tried): ${each}${rest}`,
    hint: hints.length > 0 ? hints.join('; ') : `sign the image with an identity trust policy "${statement.name}" trusts`,
  });
}
