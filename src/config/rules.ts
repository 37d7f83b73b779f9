/**
 * Policy matching: which images are excluded, and which trust rule governs an image.
 * First matching rule wins; an image that no rule matches has no rule (an error for that image,
 * never a silent pass).
 */
import { compileImagePattern, matchesAny, type ImagePattern } from '../reference/glob.js';
import type { ImageReference } from '../reference/types.js';
import type { Spec, TrustRule } from './schema.js';

export interface CompiledPolicy {
  readonly spec: Spec;
  isExcluded(ref: ImageReference): boolean;
  /** Whether an exclude pattern matches `value` as written: for field values that are not image references. */
  isExcludedValue(value: string): boolean;
  /** The first rule whose `images` match, with its index; undefined when none does. */
  ruleFor(ref: ImageReference): { rule: TrustRule; index: number } | undefined;
}

export function compilePolicy(spec: Spec): CompiledPolicy {
  const exclude: ImagePattern[] = spec.exclude.map((p) => compileImagePattern(p));
  const rules = spec.trust.map((rule, index) => ({ rule, index, patterns: rule.images.map((p) => compileImagePattern(p)) }));
  return {
    spec,
    isExcluded: (ref) => exclude.length > 0 && matchesAny(exclude, ref),
    isExcludedValue: (value) => exclude.some((p) => p.matchesString(value)),
    ruleFor(ref) {
      for (const r of rules) if (matchesAny(r.patterns, ref)) return { rule: r.rule, index: r.index };
      return undefined;
    },
  };
}
