/**
 * The signed payload of a Notary Project signature: `{"targetArtifact": descriptor}`, which must
 * describe exactly the subject being verified. Notary Project signature-specification §Payload.
 */
import { PinError } from '../../errors/errors.js';
import { isValidDigest } from '../../reference/grammar.js';
import type { Subject } from './contracts.js';

export interface TargetArtifact {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function integrity(message: string, hint: string): PinError {
  return new PinError({ code: 'NOTATION_INTEGRITY', message, hint });
}

/** Parses the payload bytes into the target descriptor; throws NOTATION_INTEGRITY when malformed. */
export function parsePayload(bytes: Uint8Array): TargetArtifact {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw integrity('the signed payload is not JSON', 're-sign the artifact with notation');
  }
  const t = isObject(doc) ? doc.targetArtifact : undefined;
  if (!isObject(t)) throw integrity('the signed payload has no targetArtifact', 're-sign the artifact with notation');
  const { mediaType, digest, size } = t;
  if (typeof mediaType !== 'string' || mediaType === '') throw integrity('the payload targetArtifact has no mediaType', 're-sign the artifact');
  if (typeof digest !== 'string' || !isValidDigest(digest)) throw integrity('the payload targetArtifact has no valid digest', 're-sign the artifact');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw integrity('the payload targetArtifact has no valid size', 're-sign the artifact');
  return { mediaType, digest, size };
}

/** trust-store-trust-policy §Signature Verification step 3 (verify payload): target = subject. */
export function checkTarget(target: TargetArtifact, subject: Subject): void {
  const diffs: string[] = [];
  if (target.digest !== subject.digest) diffs.push(`digest ${target.digest} ≠ ${subject.digest}`);
  if (target.size !== subject.size) diffs.push(`size ${target.size} ≠ ${subject.size}`);
  if (target.mediaType !== subject.mediaType) diffs.push(`mediaType ${target.mediaType} ≠ ${subject.mediaType}`);
  if (diffs.length > 0)
    throw integrity(
      `the signature signs another artifact than ${subject.digest} (${diffs.join(', ')})`,
      'this signature belongs to another image (or was re-attached); sign this digest',
    );
}
