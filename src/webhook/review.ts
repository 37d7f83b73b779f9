/**
 * The AdmissionReview wire format (`admission.k8s.io/v1`, `v1beta1`), per k8s.io/api/admission/v1/types.go:
 * the response echoes apiVersion/kind and `request.uid`. Parsed loosely so new API server fields never
 * deny everything after an upgrade; only what the decision needs is insisted on.
 */
import { z } from 'zod';

export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];

/** metav1.GroupVersionKind (`group` is "" for the core group). */
export const GroupVersionKindSchema = z.looseObject({
  group: z.string(),
  version: z.string(),
  kind: z.string(),
});

export const GroupVersionResourceSchema = z.looseObject({
  group: z.string(),
  version: z.string(),
  resource: z.string(),
});

/** authenticationv1.UserInfo: parsed only so logs can name the user; never logged in full. */
export const UserInfoSchema = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});

/** `runtime.RawExtension`: any JSON object or null. */
const embeddedObject = z.union([z.record(z.string(), z.unknown()), z.null()]).optional();

/** admissionv1.AdmissionRequest (v1beta1 has the same shape). */
export const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1, 'request.uid must be a non-empty string'),
  kind: GroupVersionKindSchema,
  resource: GroupVersionResourceSchema,
  subResource: z.string().optional(),
  requestKind: GroupVersionKindSchema.optional(),
  requestResource: GroupVersionResourceSchema.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  /** A string, so a future operation is not a parse error. */
  operation: z.string().min(1),
  userInfo: UserInfoSchema.optional(),
  object: embeddedObject,
  oldObject: embeddedObject,
  dryRun: z.boolean().optional(),
  options: z.unknown().optional(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export const AdmissionReviewRequestSchema = z.looseObject({
  apiVersion: z.enum(ADMISSION_API_VERSIONS),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequestSchema,
});
export type AdmissionReviewRequest = z.infer<typeof AdmissionReviewRequestSchema>;

export interface AdmissionStatus {
  code: number;
  reason?: string;
  message: string;
}

/** admissionv1.AdmissionResponse for a validating webhook (never a patch). */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** The API server truncates longer warnings. */
export const MAX_WARNING_LENGTH = 255;
export const MAX_WARNINGS = 20;

export type ParseReviewResult =
  | { ok: true; review: AdmissionReviewRequest }
  | { ok: false; message: string };

export function parseAdmissionReview(body: unknown): ParseReviewResult {
  const parsed = AdmissionReviewRequestSchema.safeParse(body);
  if (parsed.success) return { ok: true, review: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, message: `not an AdmissionReview request: ${issues}` };
}

export function clampWarning(w: string): string {
  // Warnings travel in an HTTP Warning header: single-line and printable.
  // eslint-disable-next-line no-control-regex
  const clean = w.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length <= MAX_WARNING_LENGTH ? clean : `${clean.slice(0, MAX_WARNING_LENGTH - 3)}...`;
}

export function allowResponse(review: AdmissionReviewRequest, warnings: readonly string[] = []): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid: review.request.uid, allowed: true };
  const w = clampWarnings(warnings);
  if (w.length > 0) response.warnings = w;
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}

export function denyResponse(
  review: AdmissionReviewRequest,
  message: string,
  warnings: readonly string[] = [],
): AdmissionReviewResponse {
  const response: AdmissionResponse = {
    uid: review.request.uid,
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message },
  };
  const w = clampWarnings(warnings);
  if (w.length > 0) response.warnings = w;
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}

function clampWarnings(warnings: readonly string[]): string[] {
  const out = warnings.slice(0, MAX_WARNINGS).map(clampWarning);
  if (warnings.length > MAX_WARNINGS) out.push(clampWarning(`notary-pin: ${warnings.length - MAX_WARNINGS} more warning(s) not shown`));
  return out;
}
