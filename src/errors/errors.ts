/**
 * Errors are values: a stable code, the image, the resource and field where known, what failed, and a hint
 * saying what to fix. `src/report/` turns them into output; expected failures cross modules only as `PinError`.
 */

export const ErrorCodes = [
  // input and configuration
  'INPUT_INVALID', // not YAML, not a ResourceList or object stream, item without kind ...
  'INPUT_TOO_LARGE',
  'CONFIG_INVALID',
  'REFERENCE_INVALID', // an image string that is not a valid reference
  'NO_TRUST_RULE', // no spec.trust rule matches the image
  // pinning / policy
  'NOT_PINNED', // verify mode / webhook: image is by tag, not by digest
  'UNSIGNED', // no accepted role signs the tag (or the digest)
  'DIGEST_MISMATCH', // the input's digest is not what the trust data signs for its tag
  'LOCK_MISMATCH', // --locked: the image resolves to another digest than the lock file says, or is not in it
  'PLATFORM', // a rule's platforms/pinPlatform: not an index, a platform missing or matched twice, a child not listed
  // trust data
  'TRUST_FETCH', // transport: connect, TLS, timeout, HTTP status
  'TRUST_NOT_FOUND', // the server has no trust data for the GUN (404)
  'TRUST_TOO_LARGE', // a response exceeded its size cap, or a file its signature/key count bounds
  'TRUST_MALFORMED', // not JSON / does not match the TUF schema
  'TRUST_ROOT_UNTRUSTED', // root not pinned, does not chain to a pinned CA, TOFU not allowed ...
  'TRUST_SIGNATURE', // bad signature / threshold not met / key not in role
  'TRUST_EXPIRED', // a role's metadata is expired
  'TRUST_ROLLBACK', // a role's version is lower than a trusted one
  'TRUST_MISMATCH', // hash/length mismatch between roles, wrong GUN, wrong role type
  'TRUST_DELEGATION', // delegation invalid: path outside its parent, depth, cycle
  'TRUST_SERVER_RETIRED', // the trust server is a retired service (notary.docker.io, 2026-12-08)
  // coverage and bounds
  'UNCHECKED_IMAGE_FIELD', // an `image`-like field in a kind notary-pin was not told about
  'TOO_MANY_IMAGES', // a review or input names more distinct repositories than allowed
  'DEADLINE', // the caller's deadline passed before every image was resolved
  // OCI registries
  'REGISTRY_FETCH', // transport, TLS, timeout, HTTP status from a registry
  'REGISTRY_NOT_FOUND', // the registry has no such repository, tag, manifest or blob (404)
  'REGISTRY_TOO_LARGE', // a manifest, index or blob exceeded its size cap
  'REGISTRY_MALFORMED', // not JSON / not the manifest or index schema / wrong media type
  'REGISTRY_DIGEST_MISMATCH', // the bytes served do not hash to the digest asked for or announced
  // Notation (Notary Project signatures)
  'NOTATION_POLICY', // trust policy document invalid, or no statement for the repository
  'NOTATION_TRUST_STORE', // trust store missing, unreadable, symlinked, or holding bad certificates
  'NOTATION_ENVELOPE', // the signature envelope does not parse or breaks the envelope rules
  'NOTATION_PLUGIN_REQUIRED', // the envelope needs a verification plugin (not supported)
  'NOTATION_INTEGRITY', // signature does not verify, alg/key mismatch, payload is not the subject
  'NOTATION_AUTHENTICITY', // chain rules, no trust-store certificate in the chain, identity not trusted
  'NOTATION_EXPIRED', // the signature's io.cncf.notary.expiry has passed
  'NOTATION_TIMESTAMP', // authentic timestamp: certificate not valid at the (time-stamped) signing time
  'NOTATION_REVOKED', // a certificate of the signing or TSA chain is revoked
  'NOTATION_REVOCATION_UNKNOWN', // revocation status could not be determined
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** A Kubernetes resource as KRM results identify it (`resourceRef`). */
export interface ResourceRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface PinErrorInit {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** As written in the manifest, or the normalised reference. */
  image?: string;
  /** The TUF role the failure is about. */
  role?: string;
  resource?: ResourceRef;
  /** E.g. `spec.template.spec.containers[0].image`. */
  field?: string;
  /** From the kpt/kustomize path annotations. */
  file?: { path: string; index?: number };
  cause?: unknown;
}

export class PinError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly image?: string;
  readonly role?: string;
  readonly resource?: ResourceRef;
  readonly field?: string;
  readonly file?: { path: string; index?: number };

  constructor(init: PinErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PinError';
    this.code = init.code;
    if (init.hint !== undefined) this.hint = init.hint;
    if (init.image !== undefined) this.image = init.image;
    if (init.role !== undefined) this.role = init.role;
    if (init.resource !== undefined) this.resource = init.resource;
    if (init.field !== undefined) this.field = init.field;
    if (init.file !== undefined) this.file = init.file;
  }

  /** A copy with more context; fields already set are kept. */
  with(extra: Partial<Omit<PinErrorInit, 'code' | 'message'>>): PinError {
    return new PinError({
      code: this.code,
      message: this.message,
      hint: this.hint ?? extra.hint,
      image: this.image ?? extra.image,
      role: this.role ?? extra.role,
      resource: this.resource ?? extra.resource,
      field: this.field ?? extra.field,
      file: this.file ?? extra.file,
      cause: this.cause,
    });
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, image: this.image, role: this.role, field: this.field };
  }
}

export function isPinError(e: unknown): e is PinError {
  return e instanceof PinError;
}

/** Wraps anything thrown into a PinError; unknown failures become INTERNAL (fail closed). */
export function toPinError(e: unknown, fallback: ErrorCode = 'INTERNAL'): PinError {
  if (e instanceof PinError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new PinError({ code: fallback, message, cause: e });
}

export type Result<T, E = PinError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
