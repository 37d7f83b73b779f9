/**
 * Notary Project signatures of a manifest in a registry (signature-specification §Storage): manifests whose
 * `subject` is it and whose one layer is the envelope, with `artifactType` or the legacy config media type.
 * Yielded one at a time (≤ `maxSignatures`) so the verifier stops at the first that passes.
 */
import { z } from 'zod';
import { PinError, isPinError } from '../errors/errors.js';
import { DescriptorSchema, OciManifestSchema, parseJsonBytes, toDescriptor } from './schemas.js';
import { where } from './target.js';
import { MediaTypes, type Descriptor, type RegistryClient, type RepositoryRef, type RequestOptions } from './contract.js';

export const DEFAULT_MAX_SIGNATURES = 100;

const envelopeLayer = DescriptorSchema.extend({ mediaType: z.enum([MediaTypes.jws, MediaTypes.cose]) });

export const SignatureManifestSchema = OciManifestSchema.extend({
  mediaType: z.literal(MediaTypes.ociManifest).optional(),
  subject: DescriptorSchema,
  layers: z.tuple([envelopeLayer]),
}).refine(
  (m) =>
    (m.artifactType === MediaTypes.notarySignature && m.config.mediaType === MediaTypes.ociEmpty) ||
    (m.artifactType === undefined && m.config.mediaType === MediaTypes.notarySignature),
  {
    message:
      'neither form: artifactType application/vnd.cncf.notary.signature with an empty config, ' +
      'nor no artifactType with config.mediaType application/vnd.cncf.notary.signature',
  },
);

export interface SignatureManifest {
  /** Its digest verified against the bytes. */
  readonly descriptor: Descriptor;
  /** Fetch it with `client.fetchBlob(repo, envelope)`. */
  readonly envelope: Descriptor;
  readonly form: 'artifactType' | 'legacy';
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A signature manifest, or why it cannot be one (reported when no signature passes). */
export type SignatureCandidate =
  | { readonly ok: true; readonly descriptor: Descriptor; readonly signature: SignatureManifest }
  | { readonly ok: false; readonly descriptor: Descriptor; readonly error: PinError };

export interface SignatureOptions extends RequestOptions {
  /** Default 100. */
  readonly maxSignatures?: number;
  readonly maxEntries?: number;
}

/** Untyped referrers must be fetched to tell. */
function mayBeSignature(d: Descriptor): boolean {
  return d.mediaType === MediaTypes.ociManifest && (d.artifactType === undefined || d.artifactType === MediaTypes.notarySignature);
}

/** One at a time; listing failures throw, an invalid claimed signature is `ok: false`, untyped others skipped. */
export async function* signatureManifests(
  client: RegistryClient, repo: RepositoryRef, subject: string, opts: SignatureOptions = {},
): AsyncGenerator<SignatureCandidate> {
  const max = opts.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  const referrers = await client.referrers(repo, subject, {
    artifactType: MediaTypes.notarySignature,
    keepUntyped: true,
    maxEntries: opts.maxEntries,
    signal: opts.signal,
  });
  let yielded = 0;
  for (const d of referrers) {
    if (yielded >= max) return;
    if (!mayBeSignature(d)) continue;
    const c = await candidate(client, repo, subject, d, opts.signal);
    if (c === undefined) continue;
    yielded++;
    yield c;
  }
}

async function candidate(
  client: RegistryClient, repo: RepositoryRef, subject: string, d: Descriptor, signal: AbortSignal | undefined,
): Promise<SignatureCandidate | undefined> {
  try {
    const m = await client.fetchManifest(repo, d.digest, { signal });
    if (m.descriptor.mediaType !== MediaTypes.ociManifest) throw bad(repo, d, `is a ${m.descriptor.mediaType}, not an OCI image manifest`);
    const json = parseJsonBytes(m.bytes, `${repo.host}/${repo.name}@${d.digest}`);
    const untyped = d.artifactType === undefined;
    const body = (json ?? {}) as { config?: { mediaType?: unknown }; artifactType?: unknown };
    if (untyped && body.artifactType === undefined && body.config?.mediaType !== MediaTypes.notarySignature) return undefined;
    const r = SignatureManifestSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw bad(repo, d, `is not a Notary Project signature manifest: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
    }
    if (r.data.subject.digest !== subject) {
      throw bad(repo, d, `names the subject ${r.data.subject.digest}, not ${subject}`);
    }
    const signature: SignatureManifest = {
      descriptor: m.descriptor,
      envelope: toDescriptor(r.data.layers[0]),
      form: r.data.artifactType === undefined ? 'legacy' : 'artifactType',
      annotations: r.data.annotations,
    };
    return { ok: true, descriptor: d, signature };
  } catch (e) {
    if (!isPinError(e)) throw e;
    if (signal?.aborted === true) throw e; // a cancelled call ends the listing, not one signature
    return { ok: false, descriptor: d, error: e };
  }
}

function bad(repo: RepositoryRef, d: Descriptor, what: string): PinError {
  return new PinError({
    code: 'REGISTRY_MALFORMED',
    message: `${where(repo, d.digest)}: the signature manifest ${what}`,
    hint: 'the signature was pushed by a broken tool or tampered with: re-sign the image',
  });
}
