/** The one configuration schema, function and webhook. Unknown fields are errors: a policy typo is never ignored. */
import { z } from 'zod';
import { AuthSchema } from './auth.js';
import { RegistryConfigSchema } from '../registry/config.js';
import { PLATFORM_PATTERN } from '../registry/platform.js';

export const API_VERSION = 'notary-pin.dev/v1alpha1';
export const KIND = 'NotaryPin';

const pemSource = z
  .string()
  .min(1)
  .describe('a file path or an inline PEM ("-----BEGIN CERTIFICATE-----...")');

const roleName = z
  .string()
  .regex(/^targets(\/[A-Za-z0-9_.-]+)*$/, 'a targets role such as "targets" or "targets/releases"');

const platform = z.string().regex(PLATFORM_PATTERN, 'a platform such as "linux/amd64" or "linux/arm/v7"');

export { AuthSchema, type AuthConfig } from './auth.js';

/** A rule's Notation settings; `trustPolicy`/`trustStore` default to notation's `~/.config/notation`. */
export const NotationRuleSchema = z.strictObject({
  /** A `trustpolicy.json` file, or the document inline (validated with notation's rules when first used). */
  trustPolicy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** A trust store directory in notation's layout (`x509/<ca|signingAuthority|tsa>/<name>/*.pem`). */
  trustStore: z.string().min(1).optional(),
  /** Most signatures tried per image (stops at the first that passes). */
  maxSignatures: z.number().int().min(1).max(100).default(10),
});
export type NotationRule = z.infer<typeof NotationRuleSchema>;

/** `enforce` fails/denies; `warn` reports and lets the image through; `audit` only logs and counts it. */
export const EnforcementSchema = z.enum(['enforce', 'warn', 'audit']);
export type Enforcement = z.infer<typeof EnforcementSchema>;

/** A namespace glob (`prod-*`); `""` names resources without a namespace. */
const namespacePattern = z
  .string()
  .max(63)
  .regex(/^[a-z0-9*]([-a-z0-9*]*)?$|^$/, 'a namespace or a glob such as "prod-*" (lower-case letters, digits, "-", "*"), or "" for resources without a namespace');

/** Notary v1 fields of a rule (beside `notation`, both systems are asked, see `require`). */
export const NOTARY_V1_FIELDS = ['server', 'ca', 'rootKeys', 'rootCA', 'signers', 'trustDir', 'auth'] as const;

export const TrustRuleSchema = z.strictObject({
  /** Used in messages, logs and metric labels. */
  name: z.string().min(1).optional(),
  /** Image patterns this rule governs (glob on the normalised reference; `*` stops at `/`, `**` does not). */
  images: z.array(z.string().min(1)).min(1),
  /** Namespace globs; left out, any namespace or none. `""` matches resources without a namespace. */
  namespaces: z.array(namespacePattern).min(1).max(256).optional(),
  /** Default `spec.enforcement`. */
  enforcement: EnforcementSchema.optional(),
  /** With Notary v1 and `notation`: `all` (default) needs both to pass and agree on the digest; `any` either. */
  require: z.enum(['all', 'any']).optional(),
  /**
   * Trust server; default as docker content trust: `$DOCKER_CONTENT_TRUST_SERVER` (https only), else
   * `https://notary.docker.io` for docker.io, else `https://<registry host>`.
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
  /** Roles whose signatures count, in order of preference; default `targets/releases`, else `targets`. */
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
  /** Verify Notary Project signatures in the registry (alone, or with the Notary v1 fields, see `require`). */
  notation: NotationRuleSchema.optional(),
  /** Platforms the index must list; Notation: an unsigned index passes when each listed manifest is signed. */
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

export function usesNotaryV1(rule: Pick<TrustRule, (typeof NOTARY_V1_FIELDS)[number] | 'tofu'>): boolean {
  return rule.tofu === true || NOTARY_V1_FIELDS.some((f) => rule[f] !== undefined);
}
export type TrustRuleInput = z.input<typeof TrustRuleSchema>;

export const ImageFieldSchema = z.strictObject({
  kind: z.string().min(1),
  /** Group/version, or a group alone (any version). */
  apiVersion: z.string().min(1).optional(),
  /** Dotted path to the image field, `[]` for every list element (`spec.components[].image`). */
  path: z.string().regex(/^[A-Za-z0-9_-]+(\[\])?(\.[A-Za-z0-9_-]+(\[\])?)*$/, 'a dotted path such as spec.image or spec.items[].image'),
});
export type ImageField = z.infer<typeof ImageFieldSchema>;

export const PRESET_NAMES = ['argo-rollouts', 'knative-serving', 'prometheus-operator', 'openkruise', 'tekton'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const SpecSchema = z.strictObject({
  /** `pin` rewrites tags to signed digests; `verify` changes nothing and fails unless every image is pinned and signed. */
  mode: z.enum(['pin', 'verify']).default('pin'),
  /** `tag-and-digest`: `repo:tag@sha256:...` (reviewable); `digest`: `repo@sha256:...`. */
  reference: z.enum(['tag-and-digest', 'digest']).default('tag-and-digest'),
  /** Image patterns left untouched (reported as info). */
  exclude: z.array(z.string().min(1)).default([]),
  /** Registry access (tag → digest, Notation signatures), one entry per host. */
  registries: z
    .array(RegistryConfigSchema)
    .max(256)
    .default([])
    .refine((list) => new Set(list.map((r) => r.host.toLowerCase())).size === list.length, 'two entries name the same host'),
  /** Revocation checks of Notation certificates (OCSP, then CRL). */
  revocation: z
    .strictObject({
      /** Read CRLs and OCSP responses from this offline bundle (`notary-pin revocation fetch`) instead of the network. */
      bundleDir: z.string().min(1).optional(),
    })
    .optional(),
  /** Default for rules without `enforcement`. */
  enforcement: EnforcementSchema.default('enforce'),
  /** Trust rules, first match wins. An image no rule matches is an error. */
  trust: z.array(TrustRuleSchema).default([]),
  /** Image field paths of custom resources. */
  imageFields: z.array(ImageFieldSchema).default([]),
  /** Image fields of common CRDs, turned on by name (README "What is checked"). */
  presets: z.array(z.enum(PRESET_NAMES)).default([]),
  /** String fields named `image` that are not images: not reported as unchecked (same form as imageFields). */
  ignoreImageFields: z.array(ImageFieldSchema).default([]),
  /** An `image` field nothing declares is a warning (`warn`) or an error (`strict`). */
  coverage: z.enum(['warn', 'strict']).default('warn'),
  /** Repositories (GUNs) whose trust data is fetched at once. */
  concurrency: z.number().int().min(1).max(256).default(64),
  /** Webhook: most distinct repositories per admission review; more is denied (TOO_MANY_IMAGES) before any fetch. */
  maxRepositoriesPerReview: z.number().int().min(1).max(10_000).default(64),
  /** Reuse of verified trust data: until the earliest role expiry or this TTL; 0 disables reuse. */
  cacheTTLSeconds: z.number().int().min(0).max(86_400).default(60),
  /** Most GUNs in the in-memory trust cache (LRU). */
  cacheMaxEntries: z.number().int().min(1).max(100_000).default(1000),
  /** On transport errors only, use trust data up to this long past its TTL (never past its signed expiry). */
  staleIfErrorSeconds: z.number().int().min(0).max(7 * 86_400).default(0),
  /** Directory for TOFU roots and the optional on-disk metadata cache. */
  cacheDir: z.string().min(1).optional(),
  /** `annotation`: pinned resources get the `notary-pin.dev/images` annotation (krm/provenance.ts); pin mode. */
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
