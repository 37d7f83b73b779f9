/**
 * The configuration schema (functionConfig / --config / webhook --config). One schema for the KRM
 * function and the webhook. Unknown fields are errors: a typo in a security policy must never be
 * silently ignored.
 */
import { z } from 'zod';
import { AuthSchema } from './auth.js';
import { RegistryConfigSchema } from '../registry/config.js';
import { PLATFORM_PATTERN } from '../registry/platform.js';

export const API_VERSION = 'notary-pin.dev/v1alpha1';
export const KIND = 'NotaryPin';

/** A file path or an inline PEM block. */
const pemSource = z
  .string()
  .min(1)
  .describe('a file path or an inline PEM ("-----BEGIN CERTIFICATE-----...")');

const roleName = z
  .string()
  .regex(/^targets(\/[A-Za-z0-9_.-]+)*$/, 'a targets role such as "targets" or "targets/releases"');

const platform = z.string().regex(PLATFORM_PATTERN, 'a platform such as "linux/amd64" or "linux/arm/v7"');

export { AuthSchema, type AuthConfig } from './auth.js';

/**
 * A rule's Notation (Notary Project signatures) settings. Left out, `trustPolicy` and `trustStore`
 * come from notation's user-level directory (`$XDG_CONFIG_HOME/notation`, default `~/.config/notation`).
 */
export const NotationRuleSchema = z.strictObject({
  /** A `trustpolicy.json` file, or the document inline (validated with notation's rules when first used). */
  trustPolicy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** A trust store directory in notation's layout (`x509/<ca|signingAuthority|tsa>/<name>/*.pem`). */
  trustStore: z.string().min(1).optional(),
  /** Most signatures tried per image (stops at the first that passes). */
  maxSignatures: z.number().int().min(1).max(100).default(10),
});
export type NotationRule = z.infer<typeof NotationRuleSchema>;

/**
 * What a failed image becomes: `enforce` fails the run / denies the request; `warn` reports it
 * (a warning result, an admission warning) and lets it through; `audit` lets it through and only
 * logs and counts it (the function still writes a warning result).
 */
export const EnforcementSchema = z.enum(['enforce', 'warn', 'audit']);
export type Enforcement = z.infer<typeof EnforcementSchema>;

/**
 * A namespace glob (`team-a`, `prod-*`): DNS-label characters and `*` (any run of characters).
 * `""` names resources without a namespace (function input without metadata.namespace).
 */
const namespacePattern = z
  .string()
  .max(63)
  .regex(/^[a-z0-9*]([-a-z0-9*]*)?$|^$/, 'a namespace or a glob such as "prod-*" (lower-case letters, digits, "-", "*"), or "" for resources without a namespace');

/** The Notary v1 fields of a rule (beside `notation` they ask for both, see `require`). */
export const NOTARY_V1_FIELDS = ['server', 'ca', 'rootKeys', 'rootCA', 'signers', 'trustDir', 'auth'] as const;

export const TrustRuleSchema = z.strictObject({
  /** Optional name, used in messages. */
  name: z.string().min(1).optional(),
  /** Image patterns this rule governs (glob on the normalised reference; `*` stops at `/`, `**` does not). */
  images: z.array(z.string().min(1)).min(1),
  /**
   * Namespaces (globs) this rule applies in; left out, every namespace and resources without one.
   * A resource without a namespace matches only a rule without `namespaces` or one listing `""`.
   */
  namespaces: z.array(namespacePattern).min(1).max(256).optional(),
  /** What a failure of an image this rule governs becomes; default `spec.enforcement`. */
  enforcement: EnforcementSchema.optional(),
  /**
   * A rule with both Notary v1 trust data and `notation`: `all` (default) needs both to pass and to
   * agree on the digest; `any` accepts either (the result says which one).
   */
  require: z.enum(['all', 'any']).optional(),
  /**
   * Trust server URL. Default, like Docker content trust (docker/cli trust.Server):
   * `$DOCKER_CONTENT_TRUST_SERVER` when set (https only), else `https://notary.docker.io` for
   * docker.io, otherwise `https://<registry host>`.
   */
  server: z.url({ protocol: /^https?$/ }).optional(),
  /** CA bundle (file or inline PEM) for the trust server's TLS certificate. Default: system CAs. */
  ca: pemSource.optional(),
  /** Pinned root key IDs: the root role's keys must include at least one (notary trust_pinning.certs). */
  rootKeys: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'a 64-hex-digit key ID')).optional(),
  /** CA (file or inline PEM) the root certificates must chain to (notary trust_pinning.ca). */
  rootCA: pemSource.optional(),
  /** Trust on first use: accept an unpinned root the first time and store it in the cache dir. */
  tofu: z.boolean().default(false),
  /**
   * Roles whose signatures count, in order of preference. Default like Docker content trust:
   * `targets/releases`, else `targets`.
   */
  signers: z.array(roleName).min(1).optional(),
  /** Offline mode: a directory of vendored trust data (`<GUN>/root.json` ... or notary's `tuf/<GUN>/metadata/`). */
  trustDir: z.string().min(1).optional(),
  auth: AuthSchema.optional(),
  /** Per-request timeout (connect + headers + body). */
  timeoutSeconds: z.number().positive().max(300).default(10),
  /** Size cap for one metadata file whose length is not known from a signed role. */
  maxMetadataBytes: z.number().int().positive().max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Depth limit for delegations below `targets`. */
  maxDelegationDepth: z.number().int().min(0).max(16).default(4),
  /** Verify Notary Project signatures stored in the registry instead of Notary v1 trust data. */
  notation: NotationRuleSchema.optional(),
  /**
   * Multi-platform images: the index must list each of these platforms. Notation: an index without a
   * passing signature of its own passes when every listed platform's manifest has one.
   */
  platforms: z.array(platform).min(1).max(32).optional(),
  /** Pin this platform's manifest instead of the index (like `kbld --platform`); its signature or the index's is required. */
  pinPlatform: platform.optional(),
}).superRefine((rule, ctx) => {
  if (rule.platforms !== undefined && rule.pinPlatform !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['pinPlatform'], message: 'a rule has either platforms (pin the index) or pinPlatform (pin one platform\'s manifest), not both' });
  }
  if (rule.require === undefined || (rule.notation !== undefined && usesNotaryV1(rule))) return;
  ctx.addIssue({
    code: 'custom',
    path: ['require'],
    message: 'require (all | any) combines Notary v1 and Notation: give the rule both notation and its Notary v1 fields (server, trustDir, rootKeys ...), or drop require',
  });
});
export type TrustRule = z.infer<typeof TrustRuleSchema>;

/** Whether a rule names any Notary v1 setting (with `notation` too, it asks for both systems). */
export function usesNotaryV1(rule: Pick<TrustRule, (typeof NOTARY_V1_FIELDS)[number] | 'tofu'>): boolean {
  return rule.tofu === true || NOTARY_V1_FIELDS.some((f) => rule[f] !== undefined);
}
export type TrustRuleInput = z.input<typeof TrustRuleSchema>;

export const ImageFieldSchema = z.strictObject({
  /** Kind of the custom resource, e.g. `MyApp`. */
  kind: z.string().min(1),
  /** Optional apiVersion (group/version) filter. */
  apiVersion: z.string().min(1).optional(),
  /**
   * Dotted path to the image field, `[]` for every list element: `spec.image`,
   * `spec.components[].image`.
   */
  path: z.string().regex(/^[A-Za-z0-9_-]+(\[\])?(\.[A-Za-z0-9_-]+(\[\])?)*$/, 'a dotted path such as spec.image or spec.items[].image'),
});
export type ImageField = z.infer<typeof ImageFieldSchema>;

/** Presets of image fields for common CRDs (defined in src/workload/presets.ts). */
export const PRESET_NAMES = ['argo-rollouts', 'knative-serving', 'prometheus-operator', 'openkruise', 'tekton'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const SpecSchema = z.strictObject({
  /** `pin` rewrites tags to signed digests; `verify` changes nothing and fails unless every image is pinned and signed. */
  mode: z.enum(['pin', 'verify']).default('pin'),
  /** `tag-and-digest`: `repo:tag@sha256:...` (reviewable); `digest`: `repo@sha256:...`. */
  reference: z.enum(['tag-and-digest', 'digest']).default('tag-and-digest'),
  /** Image patterns left untouched (reported as info). */
  exclude: z.array(z.string().min(1)).default([]),
  /** How to reach registries (tag → digest, Notation signatures): one entry per host. */
  registries: z
    .array(RegistryConfigSchema)
    .max(256)
    .default([])
    .refine((list) => new Set(list.map((r) => r.host.toLowerCase())).size === list.length, 'two entries name the same host'),
  /** Certificate revocation checks of Notation signatures (OCSP, then CRL). */
  revocation: z
    .strictObject({
      /** Read CRLs and OCSP responses from this offline bundle (`notary-pin revocation fetch`) instead of the network. */
      bundleDir: z.string().min(1).optional(),
    })
    .optional(),
  /** What a failed image becomes unless its rule says otherwise (see EnforcementSchema). */
  enforcement: EnforcementSchema.default('enforce'),
  /** Trust rules, first match wins. An image no rule matches is an error. */
  trust: z.array(TrustRuleSchema).default([]),
  /** Extra image field paths for custom resources. */
  imageFields: z.array(ImageFieldSchema).default([]),
  /** Image fields of common CRDs, turned on by name (README "What is checked"). */
  presets: z.array(z.enum(PRESET_NAMES)).default([]),
  /** String fields named `image` that are not images: not reported as unchecked (same form as imageFields). */
  ignoreImageFields: z.array(ImageFieldSchema).default([]),
  /** An `image` field nothing declares is a warning (`warn`) or an error (`strict`). */
  coverage: z.enum(['warn', 'strict']).default('warn'),
  /** How many repositories (GUNs) have their trust data fetched at once. */
  concurrency: z.number().int().min(1).max(256).default(64),
  /**
   * Webhook: most distinct image repositories one admission review may name; a review with more is
   * denied (TOO_MANY_IMAGES) before any trust data is fetched. The default, 64, is one round of
   * `concurrency` fetches and far above what real Pods name.
   */
  maxRepositoriesPerReview: z.number().int().min(1).max(10_000).default(64),
  /**
   * How long verified trust data is reused (the webhook keeps it in memory): until the earliest
   * expiry among its roles or this TTL, whichever is sooner. 0 disables reuse across requests.
   */
  cacheTTLSeconds: z.number().int().min(0).max(86_400).default(60),
  /** Most GUNs kept in the in-memory trust cache (least recently used are dropped). */
  cacheMaxEntries: z.number().int().min(1).max(100_000).default(1000),
  /**
   * When a trust server or registry cannot be reached (transport errors only), decide from trust
   * data verified earlier for at most this long past its cache TTL, and never past the expiry
   * signed into it. 0 (default) never does.
   */
  staleIfErrorSeconds: z.number().int().min(0).max(7 * 86_400).default(0),
  /** Directory for TOFU roots and the optional on-disk metadata cache. */
  cacheDir: z.string().min(1).optional(),
  /**
   * `annotation`: every resource whose images were pinned gets the `notary-pin.dev/images`
   * annotation (field, reference, digest, trust system, signer; see krm/provenance.ts). Pin mode only.
   */
  provenance: z.enum(['none', 'annotation']).default('none'),
}).superRefine((spec, ctx) => {
  // A first use that cannot be remembered is no trust: refused when the config is loaded, not per image.
  if (spec.cacheDir !== undefined) return;
  spec.trust.forEach((rule, i) => {
    if (rule.tofu && !rule.rootKeys?.length && rule.rootCA === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trust', i, 'tofu'],
        message: 'tofu: true needs spec.cacheDir (a first use that cannot be remembered is no trust): set spec.cacheDir, or pin rootKeys / rootCA instead',
      });
    }
  });
});
export type Spec = z.infer<typeof SpecSchema>;
export type SpecInput = z.input<typeof SpecSchema>;

export const NotaryPinConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.looseObject({ name: z.string().optional() }).optional(),
  spec: SpecSchema.default(SpecSchema.parse({})),
});
export type NotaryPinConfig = z.infer<typeof NotaryPinConfigSchema>;
