/** Policy matching: exclusions, and the trust rule for an image in a namespace (first match wins; none is an error). */
import { compileImagePattern, matchesAny, type ImagePattern } from '../reference/glob.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { Spec, TrustRule } from './schema.js';

export interface CompiledPolicy {
  readonly spec: Spec;
  isExcluded(ref: ImageReference): boolean;
  /** Whether an exclude pattern matches `value` as written (for fields that are not image references). */
  isExcludedValue(value: string): boolean;
  /** First rule whose `images` match `ref` and whose `namespaces` (if any) match `namespace`, with its index. */
  ruleFor(ref: ImageReference, namespace?: string): { rule: TrustRule; index: number } | undefined;
}

/** Namespace glob matcher: `*` is any run; `""` matches only resources without a namespace (`*` never does). */
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
