/**
 * Rules with both Notary v1 trust data and `notation` (moving from Docker Content Trust to Notation):
 * `require: all` (default) needs both to verify the same digest; `any` takes either and says why the other failed.
 */
import type { TrustRule } from '../config/schema.js';
import type { Resolution, ResolveOptions, Resolver } from '../engine/port.js';
import { err, ok, PinError, toPinError, type Result } from '../errors/errors.js';
import type { ImageReference } from '../reference/image-reference.js';

type Answer = Result<Resolution, PinError>;

const V1 = 'Notary v1';
const NOTATION = 'Notation';

async function ask(r: Resolver, ref: ImageReference, rule: TrustRule, opts: ResolveOptions | undefined): Promise<Answer> {
  try {
    return await (opts === undefined ? r.resolve(ref, rule) : r.resolve(ref, rule, opts));
  } catch (e) {
    return err(toPinError(e));
  }
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined || b === undefined) return undefined;
  return a < b ? a : b;
}

/** Both verified: they must name the same digest (else one of them signs something else for this tag). */
function both(ref: ImageReference, v1: Resolution, notation: Resolution): Answer {
  if (v1.digest !== notation.digest) {
    return err(
      new PinError({
        code: 'DIGEST_MISMATCH',
        message: `${V1} signs ${v1.digest} for ${ref.original} but ${NOTATION} signs ${notation.digest} (the rule requires both to agree)`,
        // require: any refuses a disagreement too, so the fix is a signature, never the mode.
        hint: 'find which system signs the wrong image for this tag and sign the tag again for the image it should name (notary add + notary publish, or notation sign that digest), so both name the same digest',
      }),
    );
  }
  const r: { -readonly [K in keyof Resolution]: Resolution[K] } = {
    ...notation,
    via: `${V1} (${v1.signer ?? v1.role}) and ${NOTATION} both verified it (require: all)`,
  };
  const at = earliest(v1.verifiedAt, notation.verifiedAt);
  if (at === undefined) delete r.verifiedAt;
  else r.verifiedAt = at;
  return ok(r);
}

function requireAll(ref: ImageReference, v1: Answer, notation: Answer): Answer {
  if (!v1.ok) return err(prefixed(v1.error, `${V1} (require: all)`));
  if (!notation.ok) return err(prefixed(notation.error, `${NOTATION} (require: all)`));
  return both(ref, v1.value, notation.value);
}

/** Failures that are a contradiction, not a missing signature: the other system's pass does not outweigh them. */
const VETOES: ReadonlySet<string> = new Set(['DIGEST_MISMATCH', 'REGISTRY_DIGEST_MISMATCH']);

/** `require: any`: the system that verified it, or both (then they must agree); the other may not contradict it. */
function requireAny(ref: ImageReference, v1: Answer, notation: Answer): Answer {
  if (v1.ok && notation.ok) {
    const b = both(ref, v1.value, notation.value);
    return b.ok ? ok({ ...b.value, via: `${V1} and ${NOTATION} both verified it (require: any)` }) : b;
  }
  // e.g. verify mode on tag@B where Notary v1 signs A for the tag: refused as in pin mode, where the two disagree.
  if (!v1.ok && VETOES.has(v1.error.code)) return err(prefixed(v1.error, `${V1} (require: any; a contradiction, not a missing signature)`));
  if (!notation.ok && VETOES.has(notation.error.code)) {
    return err(prefixed(notation.error, `${NOTATION} (require: any; a contradiction, not a missing signature)`));
  }
  if (v1.ok && !notation.ok) return ok({ ...v1.value, via: `${V1} verified it (require: any; ${NOTATION} did not: ${notation.error.code})` });
  if (notation.ok && !v1.ok) return ok({ ...notation.value, via: `${NOTATION} verified it (require: any; ${V1} did not: ${v1.error.code})` });
  const a = (v1 as { error: PinError }).error;
  const b = (notation as { error: PinError }).error;
  return err(
    new PinError({
      code: a.code,
      message: `neither trust system verified it (require: any): ${V1}: ${a.message}; ${NOTATION}: ${b.code}: ${b.message}`,
      hint: a.hint ?? b.hint,
      role: a.role,
      cause: a,
    }),
  );
}

function prefixed(e: PinError, who: string): PinError {
  return new PinError({ code: e.code, message: `${who}: ${e.message}`, hint: e.hint, image: e.image, role: e.role, cause: e });
}

/** A resolver for rules with both systems: asks both at once (own timeouts each), combines by `rule.require`. */
export function combinedResolver(v1: Resolver, notation: Resolver): Resolver {
  return {
    async resolve(ref, rule, opts) {
      const [a, b] = await Promise.all([ask(v1, ref, rule, opts), ask(notation, ref, rule, opts)]);
      return rule.require === 'any' ? requireAny(ref, a, b) : requireAll(ref, a, b);
    },
  };
}
