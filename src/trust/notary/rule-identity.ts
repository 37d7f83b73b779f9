/** Which rules load the same trust data: the rule part of a trust cache key. */
import type { TrustRule } from '../../config/schema.js';

/** The fields of a rule that change what is fetched or trusted (the cache key's rule identity). */
export function ruleIdentity(rule: TrustRule, signers: readonly string[]): string {
  return JSON.stringify([
    rule.server ?? null,
    rule.ca ?? null,
    rule.rootKeys ?? null,
    rule.rootCA ?? null,
    rule.tofu,
    rule.trustDir ?? null,
    rule.auth ?? null,
    rule.timeoutSeconds,
    rule.maxMetadataBytes,
    rule.maxDelegationDepth,
    signers,
  ]);
}

/**
 * Small numbers for rule identities, so a trust cache key does not carry a rule's pins and CA:
 * memoised per rule object (parsed rules are never mutated); one registry per process so shared caches agree.
 */
function createRuleIdentities(): { idOf(rule: TrustRule, signers: readonly string[]): number } {
  const ids = new Map<string, number>();
  const perRule = new WeakMap<TrustRule, Map<readonly string[], number>>();
  return {
    idOf(rule, signers) {
      let bySigners = perRule.get(rule);
      if (bySigners === undefined) perRule.set(rule, (bySigners = new Map()));
      let id = bySigners.get(signers);
      if (id === undefined) {
        const identity = ruleIdentity(rule, signers);
        id = ids.get(identity);
        if (id === undefined) ids.set(identity, (id = ids.size));
        bySigners.set(signers, id);
      }
      return id;
    },
  };
}

export const ruleIds = createRuleIdentities();
