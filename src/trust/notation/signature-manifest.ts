/**
 * Reads one Notation signature manifest (Notary Project signature-specification §Storage): an OCI
 * image manifest whose `subject` is the signed manifest and whose one layer is the envelope, in the
 * current form (`artifactType: application/vnd.cncf.notary.signature`, empty config) or the legacy
 * one (`config.mediaType: application/vnd.cncf.notary.signature`). Hostile until proven otherwise.
 */
import { PinError } from '../../errors/errors.js';
import { MediaTypes, type Descriptor } from '../../registry/types.js';

/** What a signature manifest points at: the envelope blob, and the manifest's annotations. */
export interface SignatureManifest {
  readonly envelope: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

const DIGEST = /^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/;
const ENVELOPE_TYPES: ReadonlySet<string> = new Set([MediaTypes.jws, MediaTypes.cose]);

function malformed(what: string, source: string): PinError {
  return new PinError({
    code: 'REGISTRY_MALFORMED',
    message: `signature manifest ${source}: ${what}`,
    hint: 'the registry holds a broken Notation signature: sign the image again with notation and push the signature',
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringRecord(v: unknown, what: string, source: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw malformed(`${what} is not an object`, source);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw malformed(`${what}.${k} is not a string`, source);
    out[k] = val;
  }
  return out;
}

/** The envelope descriptor of the signature manifest `bytes` (fetched as `source`), which must sign `subjectDigest`. */
export function parseSignatureManifest(bytes: Uint8Array, subjectDigest: string, source: string): SignatureManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed('not JSON', source);
  }
  if (!isObject(doc)) throw malformed('not a JSON object', source);
  if (doc.schemaVersion !== 2) throw malformed('schemaVersion is not 2', source);
  if (doc.mediaType !== undefined && doc.mediaType !== MediaTypes.ociManifest) throw malformed(`media type ${String(doc.mediaType)} is not an OCI image manifest`, source);
  const config = doc.config;
  if (!isObject(config)) throw malformed('no config descriptor', source);
  if (doc.artifactType !== MediaTypes.notarySignature && config.mediaType !== MediaTypes.notarySignature) {
    throw malformed(`neither artifactType nor config.mediaType is ${MediaTypes.notarySignature}`, source);
  }
  const subject = doc.subject;
  if (!isObject(subject) || typeof subject.digest !== 'string') throw malformed('no subject', source);
  // A referrers list (above all the tag-schema index, which anyone who can push may write) is only a hint.
  if (subject.digest !== subjectDigest) throw malformed(`its subject is ${subject.digest}, not ${subjectDigest}`, source);
  const layers = doc.layers;
  if (!Array.isArray(layers) || layers.length !== 1) throw malformed('must have exactly one layer (the envelope)', source);
  const layer: unknown = layers[0];
  if (!isObject(layer)) throw malformed('layer is not a descriptor', source);
  const { mediaType, digest, size } = layer;
  if (typeof mediaType !== 'string' || !ENVELOPE_TYPES.has(mediaType)) {
    throw malformed(`envelope media type ${JSON.stringify(mediaType)} is neither ${MediaTypes.jws} nor ${MediaTypes.cose}`, source);
  }
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw malformed('envelope digest is not a sha256/sha512 digest', source);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw malformed('envelope size is not a non-negative integer', source);
  const annotations = stringRecord(doc.annotations, 'annotations', source);
  return { envelope: { mediaType, digest, size }, annotations };
}
