/**
 * zod schemas for Notary's TUF metadata (tuf/data/*.go), applied to parsed JSON (canonical.ts). Strict
 * where Notary's decoder is (types, base64, RFC 3339, integers), tolerant where it is (unknown keys
 * dropped, `null` maps/lists empty); notary's structural rules live in the verifier.
 */
import { z } from 'zod';
import { PinError } from '../../../errors/errors.js';

/** Standard padded base64 as Go's `[]byte` JSON decoding accepts it (CR/LF ignored). */
export const base64Bytes = z
  .string()
  .transform((s, ctx) => {
    const clean = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
    if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      ctx.addIssue({ code: 'custom', message: 'not standard base64' });
      return z.NEVER;
    }
    return new Uint8Array(Buffer.from(clean, 'base64'));
  });

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp (Go `time.Time` JSON) as a Date. */
export const rfc3339 = z.string().transform((s, ctx) => {
  const m = RFC3339.exec(s);
  const t = m ? Date.parse(s) : NaN;
  if (m) {
    const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number, number, number, number, number, number,
    ];
    const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || se > 59 || Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: `not an RFC 3339 time: ${s}` });
      return z.NEVER;
    }
    return new Date(t);
  }
  ctx.addIssue({ code: 'custom', message: `not an RFC 3339 time: ${s}` });
  return z.NEVER;
});

const int = z.number().int();

/** `null` or missing map/list → empty, as Go's nil map/slice. */
const nullableRecord = <T extends z.ZodType>(v: T) =>
  z
    .record(z.string(), v)
    .nullish()
    .transform((r) => r ?? ({} as Record<string, z.output<T>>));
const nullableArray = <T extends z.ZodType>(v: T) =>
  z
    .array(v)
    .nullish()
    .transform((a) => a ?? ([] as z.output<T>[]));

/** data.Signature (method lower-cased as notary's UnmarshalJSON does). */
export const SignatureSchema = z.object({
  keyid: z.string(),
  method: z.string().transform((m) => m.toLowerCase()),
  sig: base64Bytes,
});
export type Signature = z.output<typeof SignatureSchema>;

/** data.Signed: `signed` stays a parsed JSON object (it is re-canonicalised for verification). */
export const SignedEnvelopeSchema = z.object({
  signed: z.record(z.string(), z.unknown()),
  signatures: nullableArray(SignatureSchema),
});
export type SignedEnvelope = z.output<typeof SignedEnvelopeSchema>;

/** data.PublicKey as written in root `keys` and delegation `keys`. */
export const KeySchema = z.object({
  keytype: z.string(),
  keyval: z.object({
    public: base64Bytes,
    private: base64Bytes.nullish(),
  }),
});
export type KeyJson = z.output<typeof KeySchema>;

export const HashesSchema = nullableRecord(base64Bytes);

export const FileMetaSchema = z.object({
  length: int.min(0).optional(),
  hashes: HashesSchema,
  custom: z.unknown().optional(),
});
export type FileMeta = z.output<typeof FileMetaSchema>;

const common = {
  _type: z.string(),
  version: int,
  expires: rfc3339,
};

export const RootRoleSchema = z.object({
  keyids: nullableArray(z.string()),
  threshold: int,
});

export const RootSchema = z.object({
  ...common,
  keys: nullableRecord(KeySchema),
  roles: nullableRecord(RootRoleSchema.nullable()),
  consistent_snapshot: z.boolean().optional(),
});
export type RootJson = z.output<typeof RootSchema>;

/** data.Timestamp and data.Snapshot. */
export const MetaRoleSchema = z.object({
  ...common,
  meta: nullableRecord(FileMetaSchema),
});
export type MetaRoleJson = z.output<typeof MetaRoleSchema>;

/** data.Role (a delegation). */
export const DelegationRoleSchema = z.object({
  name: z.string(),
  keyids: nullableArray(z.string()),
  threshold: int,
  paths: nullableArray(z.string()),
  path_hash_prefixes: nullableArray(z.string()),
});
export type DelegationRoleJson = z.output<typeof DelegationRoleSchema>;

/** data.Targets (top-level or delegated). */
export const TargetsSchema = z.object({
  ...common,
  targets: nullableRecord(FileMetaSchema),
  delegations: z
    .object({
      keys: nullableRecord(KeySchema),
      roles: nullableArray(DelegationRoleSchema),
    })
    .nullish()
    .transform((d) => d ?? { keys: {}, roles: [] }),
});
export type TargetsJson = z.output<typeof TargetsSchema>;

/** Parses with `schema`, turning failures into a TRUST_MALFORMED PinError naming the role. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  ctx: { gun: string; role: string; what?: string },
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  throw new PinError({
    code: 'TRUST_MALFORMED',
    role: ctx.role,
    message: `${ctx.gun}: ${ctx.what ?? ctx.role + '.json'} does not match the TUF schema${where}: ${issue?.message ?? 'invalid'}`,
    hint: 'the trust server returned metadata notary would reject; it may be corrupt or tampered with',
  });
}
