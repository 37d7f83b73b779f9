/**
 * Policy matching: which images are excluded, and which trust rule governs an image in a namespace.
 * Rules are tried in order and the first whose `images` and `namespaces` both match wins; an image
 * that no rule matches has no rule (an error for that image, never a silent pass).
 */
import { compileImagePattern, matchesAny, type ImagePattern } from '../reference/glob.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { Spec, TrustRule } from './schema.js';

export interface CompiledPolicy {
  readonly spec: Spec;
  isExcluded(ref: ImageReference): boolean;
  /** Whether an exclude pattern matches `value` as written: for field values that are not image references. */
  isExcludedValue(value: string): boolean;
  /**
   * The first rule whose `images` match `ref` and whose `namespaces` (when it has any) match
   * `namespace` (undefined or "": a resource without one), with its index; undefined when none does.
   */
  ruleFor(ref: ImageReference, namespace?: string): { rule: TrustRule; index: number } | undefined;
}

/**
 * A matcher for namespace globs: `*` is any run of characters; `""` matches only a resource without
 * a namespace, and no other pattern does (so `*` means "any namespace", never "none").
 */
export function compileNamespaces(patterns: readonly string[]): (namespace: string | undefined) => boolean {
  const regexes = patterns.map((p) => (p === '' ? undefined : new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`)));
  return (namespace) => {
    if (namespace === undefined || namespace === '') return patterns.includes('');
    return regexes.some((r) => r !== undefined && r.test(namespace));
  };
}

export function compilePolicy(spec: Spec): CompiledPolicy {
  const exclude: ImagePattern[] = spec.exclude.map((p) => compileImagePattern(p));
  const rules = spec.trust.map((rule, index) => ({
    rule,
    index,
    patterns: rule.images.map((p) => compileImagePattern(p)),
    inNamespace: rule.namespaces === undefined ? () => true : compileNamespaces(rule.namespaces),
  }));
  return {
    spec,
    isExcluded: (ref) => exclude.length > 0 && matchesAny(exclude, ref),
    isExcludedValue: (value) => exclude.some((p) => p.matchesString(value)),
    ruleFor(ref, namespace) {
      for (const r of rules) if (r.inNamespace(namespace) && matchesAny(r.patterns, ref)) return { rule: r.rule, index: r.index };
      return undefined;
    },
  };
}
