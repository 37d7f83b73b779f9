/**
 * What a failed image becomes under `enforcement` (spec.enforcement, or its trust rule's): the one
 * place both the function and the webhook take that decision from. `enforce` keeps the failure;
 * `warn` and `audit` turn a failure about the image's trust into a `waived` outcome (reported, not
 * failing). Failures about the input or the configuration are never waived.
 */
import type { Enforcement, Spec, TrustRule } from '../config/schema.js';
import type { ErrorCode, PinError } from '../errors/errors.js';

/**
 * Codes that say the input, the configuration or notary-pin itself is wrong, not the image's trust:
 * a relaxed enforcement would hide a broken policy, so they always fail.
 */
const NEVER_WAIVED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INPUT_INVALID',
  'INPUT_TOO_LARGE',
  'CONFIG_INVALID',
  'REFERENCE_INVALID',
  'UNCHECKED_IMAGE_FIELD',
  'TOO_MANY_IMAGES',
  'TRUST_SERVER_RETIRED',
  'NOTATION_POLICY',
  'NOTATION_TRUST_STORE',
  'INTERNAL',
]);

/** Whether a failure with this code may be waived by `warn` or `audit`. */
export function isWaivable(code: ErrorCode): boolean {
  return !NEVER_WAIVED.has(code);
}

/** The enforcement that governs an image: its rule's, else the spec's. */
export function enforcementFor(spec: Pick<Spec, 'enforcement'>, rule: Pick<TrustRule, 'enforcement'> | undefined): Enforcement {
  return rule?.enforcement ?? spec.enforcement;
}

/** How a rule is named in results, logs and metric labels: its name, else `trust[<index>]`. */
export function ruleLabel(rule: Pick<TrustRule, 'name'> | undefined, index: number | undefined): string {
  if (rule === undefined || index === undefined) return '(no rule)';
  return rule.name ?? `trust[${index}]`;
}

/** Why a failure was let through, for people: `enforcement: warn (rule "team-a")`. */
export function waiverText(enforcement: Enforcement, rule: string, source: 'rule' | 'spec'): string {
  return source === 'rule' ? `enforcement: ${enforcement} on rule ${rule}` : `spec.enforcement: ${enforcement}`;
}

/** The fate of a failure: kept (`fail`), or let through (`waive`) with the enforcement that did it. */
export type Verdict = { kind: 'fail' } | { kind: 'waive'; enforcement: Exclude<Enforcement, 'enforce'>; why: string };

/** What `error` becomes for an image governed by `rule` (undefined: no rule matched) under `spec`. */
export function verdictFor(error: PinError, spec: Pick<Spec, 'enforcement'>, rule: Pick<TrustRule, 'enforcement' | 'name'> | undefined, index: number | undefined): Verdict {
  const enforcement = enforcementFor(spec, rule);
  if (enforcement === 'enforce' || !isWaivable(error.code)) return { kind: 'fail' };
  const source = rule?.enforcement !== undefined ? 'rule' : 'spec';
  return { kind: 'waive', enforcement, why: waiverText(enforcement, ruleLabel(rule, index), source) };
}
