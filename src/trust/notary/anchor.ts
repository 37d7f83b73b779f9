/**
 * The root of trust for one GUN under a rule (notary's `trust_pinning` plus TOFU): pinned key IDs,
 * pinned CAs, a TOFU-remembered root; a rule that pins nothing and allows no TOFU trusts no root.
 */
import type { X509Certificate } from 'node:crypto';
import { PinError } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import { loadPemSource, parseCertificates } from '../../http/tls.js';
import type { RootAnchor, TrustedVersions } from './tuf/verifier-contract.js';
import type { TofuStore } from './tofu.js';

export type AnchorRule = Pick<TrustRule, 'rootKeys' | 'rootCA' | 'tofu' | 'name'>;

/** Parses `rule.rootCA` (file or inline PEM) into certificates; undefined when unset. */
export function rootCAsOf(rule: Pick<TrustRule, 'rootCA'>): X509Certificate[] | undefined {
  return rule.rootCA === undefined ? undefined : parseCertificates(loadPemSource(rule.rootCA, 'trust.rootCA'), 'trust.rootCA');
}

export interface Anchoring {
  readonly anchor: RootAnchor;
  readonly previous?: TrustedVersions;
}

/** The anchor for `gun`; the TOFU store's root serves TOFU rules only, its versions every rule. */
export async function anchorFor(
  rule: AnchorRule,
  gun: string,
  store: TofuStore | undefined,
  rootCAs: readonly X509Certificate[] | undefined,
): Promise<Anchoring> {
  const pinned = (rule.rootKeys?.length ?? 0) > 0 || (rootCAs?.length ?? 0) > 0;
  const ruleName = rule.name ? `trust rule "${rule.name}"` : 'the trust rule';
  // A rule that pins nothing and has no TOFU still fetches root.json: the refusal (TUF 5.3) names the IDs to pin.
  if (rule.tofu && !pinned && store === undefined) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `${ruleName} allows tofu for ${gun} but spec.cacheDir is not set: a first use that cannot be remembered is no trust`,
      hint: 'set spec.cacheDir so the first root is remembered, or pin rootKeys / rootCA instead',
      role: 'root',
    });
  }
  const record = store ? await store.load(gun) : {};
  const anchor: RootAnchor = {
    tofu: rule.tofu && store !== undefined,
    rootKeyIds: rule.rootKeys?.length ? rule.rootKeys : undefined,
    rootCAs: rootCAs?.length ? rootCAs : undefined,
    trustedRoot: rule.tofu ? record.root : undefined,
  };
  return { anchor, previous: record.versions };
}
