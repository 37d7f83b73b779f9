/** The webhook's words for `kubectl`: one denial listing every offending image with field and reason; warnings. */
import type { ImageOutcome, ImageUse } from '../engine/evaluate.js';
import type { PinError } from '../errors/errors.js';
import { clean } from './format.js';

/** At most this many failures are itemised; the rest are counted. */
export const MAX_LISTED_FAILURES = 50;
const MAX_IMAGE_CHARS = 200;
const MAX_DETAIL_CHARS = 400;

type Failed = Extract<ImageOutcome, { status: 'failed' }>;
type Excluded = Extract<ImageOutcome, { status: 'excluded' }>;
type Unchecked = Extract<ImageOutcome, { status: 'unchecked' }>;
type Waived = Extract<ImageOutcome, { status: 'waived' }>;

/** Renders the image value as written (it may not even be a string in a hostile object). */
export function showImage(image: unknown): string {
  if (typeof image !== 'string') return `<${image === null ? 'null' : typeof image} instead of an image string>`;
  const s = image.length > MAX_IMAGE_CHARS ? `${image.slice(0, MAX_IMAGE_CHARS)}...` : image;
  return JSON.stringify(s);
}

export function showLocation(use: ImageUse): string {
  const container = use.container !== undefined ? ` (container ${JSON.stringify(use.container)})` : '';
  return `${use.field}${container}`;
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS)}...` : flat;
}

/** Why one image was refused, in words that say what to do about it. */
export function failureReason(error: PinError): string {
  const detail = oneLine(error.message);
  const hint = error.hint !== undefined ? `; ${oneLine(error.hint)}` : '';
  switch (error.code) {
    case 'NOT_PINNED':
      return 'not pinned by digest: pin it with notary-pin';
    case 'UNSIGNED':
    case 'DIGEST_MISMATCH':
      return `digest not signed: ${detail}${hint}`;
    case 'REFERENCE_INVALID':
      return `not a valid image reference: ${detail}${hint}`;
    case 'NO_TRUST_RULE':
      return `no trust rule covers this image: ${detail}${hint}`;
    case 'UNCHECKED_IMAGE_FIELD':
      return `not checked (spec.coverage: strict): ${detail}${hint}`;
    default:
      if (error.code.startsWith('TRUST_')) return `trust data failed (${error.code}): ${detail}${hint}`;
      return `verification failed (${error.code}): ${detail}${hint}`;
  }
}

/** The object under review, for the message head: `Deployment prod/web`. */
export interface Subject {
  kind: string;
  namespace?: string;
  name?: string;
}

function showSubject(s: Subject): string {
  const name = s.name !== undefined && s.name !== '' ? s.name : '<generated name>';
  return clean(s.namespace !== undefined && s.namespace !== '' ? `${s.kind} ${s.namespace}/${name}` : `${s.kind} ${name}`);
}

export function denialMessage(subject: Subject, failed: readonly Failed[]): string {
  const head = `notary-pin: ${showSubject(subject)}: ${failed.length} image(s) failed verification (each image must be pinned by digest and the digest signed under the trust rules):`;
  const lines = failed
    .slice(0, MAX_LISTED_FAILURES)
    .map((f) => `- ${showLocation(f.use)}: ${showImage(f.use.image)}: ${failureReason(f.error)}`);
  if (failed.length > MAX_LISTED_FAILURES) lines.push(`- ... and ${failed.length - MAX_LISTED_FAILURES} more`);
  return [head, ...lines].join('\n');
}

/** One warning per excluded image (the caller clamps length and count). */
export function exclusionWarnings(excluded: readonly Excluded[]): string[] {
  return excluded.map((e) => `notary-pin: ${showLocation(e.use)}: image ${showImage(e.use.image)} is excluded from signature verification by policy`);
}

/** One warning per undeclared `image` field, short: the API server cuts warnings at 255 characters. */
export function uncheckedWarnings(unchecked: readonly Unchecked[]): string[] {
  return unchecked.map(
    (u) =>
      `notary-pin: ${u.use.field} is not checked as an image (UNCHECKED_IMAGE_FIELD; declare it in spec.imageFields or spec.presets, or list it in spec.ignoreImageFields): ${showImage(u.use.image)}`,
  );
}

export function timeoutMessage(subject: Subject, timeoutMs: number): string {
  const t = Number.isInteger(timeoutMs / 1000) ? `${timeoutMs / 1000}s` : `${(timeoutMs / 1000).toFixed(1)}s`;
  return `notary-pin: trust verification for ${showSubject(subject)} did not finish in time (webhook timeout ${t}); denied (fail closed). Retry; if it persists, check that the trust server is reachable and fast.`;
}

/** The deadline denial: the timeout, each image still waiting with its trust server, then other failures. */
export function deadlineMessage(subject: Subject, timeoutMs: number, failed: readonly Failed[]): string {
  const waiting = failed.filter((f) => f.error.code === 'DEADLINE');
  const other = failed.filter((f) => f.error.code !== 'DEADLINE');
  const lines = [timeoutMessage(subject, timeoutMs), `Still waiting for trust data (${waiting.length} image(s)):`];
  for (const f of waiting.slice(0, MAX_LISTED_FAILURES)) lines.push(`- ${showLocation(f.use)}: ${showImage(f.use.image)}: ${oneLine(f.error.message)}`);
  if (waiting.length > MAX_LISTED_FAILURES) lines.push(`- ... and ${waiting.length - MAX_LISTED_FAILURES} more`);
  if (waiting[0]?.error.hint !== undefined) lines.push(`(${oneLine(waiting[0].error.hint)})`);
  if (other.length > 0) {
    lines.push(`Failed as well (${other.length} image(s)):`);
    for (const f of other.slice(0, MAX_LISTED_FAILURES)) lines.push(`- ${showLocation(f.use)}: ${showImage(f.use.image)}: ${failureReason(f.error)}`);
    if (other.length > MAX_LISTED_FAILURES) lines.push(`- ... and ${other.length - MAX_LISTED_FAILURES} more`);
  }
  return lines.join('\n');
}

/** The message when evaluation itself failed (bad object, internal error). */
export function errorMessage(subject: Subject, error: PinError): string {
  const hint = error.hint !== undefined ? ` (${oneLine(error.hint)})` : '';
  return `notary-pin: could not verify the images of ${showSubject(subject)}: ${error.code}: ${oneLine(error.message)}${hint}; denied (fail closed).`;
}

/** One warning per image admitted without verification (Notation `skip`) or with checks the policy only logs. */
export function unverifiedWarnings(outcomes: readonly ImageOutcome[]): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'verified' && o.resolution.unverified !== undefined) {
      // What matters first: the API server may cut long warnings.
      out.push(`notary-pin: admitted WITHOUT signature verification (${oneLine(o.resolution.unverified)}): ${showLocation(o.use)}: ${showImage(o.use.image)}`);
    }
    if (o.status === 'verified' && o.resolution.logged !== undefined && o.resolution.logged.length > 0) {
      out.push(`notary-pin: admitted with failed checks the trust policy only logs (${oneLine(o.resolution.logged.join('; '))}): ${showLocation(o.use)}: ${showImage(o.use.image)}`);
    }
  }
  return out;
}

/** One warning per image failed under `enforcement: warn` (audit is only logged), image first: warnings get cut. */
export function notEnforcedWarnings(waived: readonly Waived[]): string[] {
  return waived
    .filter((w) => w.enforcement === 'warn')
    .map((w) => `notary-pin: NOT ENFORCED (${oneLine(w.why)}): ${showImage(w.use.image)} at ${showLocation(w.use)}: ${failureReason(w.error)}`);
}
