/**
 * What a failed image becomes under `enforcement` (the spec's or its rule's), for both the function and
 * the webhook: `warn`/`audit` waive failures about the image's trust, never about input or configuration.
 */
import type { Enforcement, Spec, TrustRule } from '../config/schema.js';
import type { ErrorCode, PinError } from '../errors/errors.js';

/** Input, configuration or internal failures: waiving them would hide a broken policy, so they always fail. */
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

export function isWaivable(code: ErrorCode): boolean {
  return !NEVER_WAIVED.has(code);
}

export function enforcementFor(spec: Pick<Spec, 'enforcement'>, rule: Pick<TrustRule, 'enforcement'> | undefined): Enforcement {
  return rule?.enforcement ?? spec.enforcement;
}

/** A rule's name in results, logs and metric labels: its name, else `trust[<index>]`. */
export function ruleLabel(rule: Pick<TrustRule, 'name'> | undefined, index: number | undefined): string {
  if (rule === undefined || index === undefined) return '(no rule)';
  return rule.name ?? `trust[${index}]`;
}

/** Why a failure was let through, for people: `enforcement: warn (rule "team-a")`. */
export function waiverText(enforcement: Enforcement, rule: string, source: 'rule' | 'spec'): string {
  return source === 'rule' ? `enforcement: ${enforcement} on rule ${rule}` : `spec.enforcement: ${enforcement}`;
}

export type Verdict = { kind: 'fail' } | { kind: 'waive'; enforcement: Exclude<Enforcement, 'enforce'>; why: string };

export function verdictFor(error: PinError, spec: Pick<Spec, 'enforcement'>, rule: Pick<TrustRule, 'enforcement' | 'name'> | undefined, index: number | undefined): Verdict {
  const enforcement = enforcementFor(spec, rule);
  if (enforcement === 'enforce' || !isWaivable(error.code)) return { kind: 'fail' };
  const source = rule?.enforcement !== undefined ? 'rule' : 'spec';
  return { kind: 'waive', enforcement, why: waiverText(enforcement, ruleLabel(rule, index), source) };
}
