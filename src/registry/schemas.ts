/** Manifests and indexes (OCI image-spec v1.1, Docker v2 schema 2) validated before use; unknown fields allowed. */
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import type { Descriptor } from './contract.js';
import { MediaTypes } from './contract.js';
import { isDigest } from './digest.js';

export const DescriptorSchema = z.looseObject({
  mediaType: z.string().min(1).max(255),
  digest: z.string().refine(isDigest, 'a sha256:<64 hex> or sha512:<128 hex> digest'),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  artifactType: z.string().min(1).max(255).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  urls: z.array(z.string()).optional(),
});

export const OciManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.ociManifest).optional(),
  artifactType: z.string().min(1).max(255).optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type OciManifest = z.infer<typeof OciManifestSchema>;

export const OciIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.ociIndex).optional(),
  artifactType: z.string().min(1).max(255).optional(),
  manifests: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type OciIndex = z.infer<typeof OciIndexSchema>;

export const DockerManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.dockerManifest),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

export const DockerManifestListSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.dockerManifestList),
  manifests: z.array(DescriptorSchema),
});

const SCHEMAS: Record<string, z.ZodType> = {
  [MediaTypes.ociManifest]: OciManifestSchema,
  [MediaTypes.ociIndex]: OciIndexSchema,
  [MediaTypes.dockerManifest]: DockerManifestSchema,
  [MediaTypes.dockerManifestList]: DockerManifestListSchema,
};

export const MANIFEST_ACCEPT = Object.keys(SCHEMAS).join(', ');

export function isManifestMediaType(t: string | undefined): t is string {
  return t !== undefined && Object.hasOwn(SCHEMAS, t);
}

export function contentType(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export function parseJsonBytes(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new PinError({ code: 'REGISTRY_MALFORMED', message: `${where}: not JSON`, hint: 'the registry served something that is not a manifest' });
  }
}

/** Its media type is the body's `mediaType`, else the `Content-Type`; the two must agree when both are present. */
export function validateManifest(json: unknown, headerType: string | undefined, where: string): { mediaType: string; artifactType?: string } {
  const bodyType = json && typeof json === 'object' ? (json as { mediaType?: unknown }).mediaType : undefined;
  if (bodyType !== undefined && typeof bodyType !== 'string') {
    throw new PinError({ code: 'REGISTRY_MALFORMED', message: `${where}: "mediaType" is not a string` });
  }
  if (bodyType !== undefined && isManifestMediaType(headerType) && bodyType !== headerType) {
    throw new PinError({
      code: 'REGISTRY_MALFORMED',
      message: `${where}: the body's mediaType ${bodyType} differs from the Content-Type ${headerType}`,
      hint: 'the registry or the pushed manifest is inconsistent',
    });
  }
  const mediaType = bodyType ?? headerType;
  if (!isManifestMediaType(mediaType)) {
    throw new PinError({
      code: 'REGISTRY_MALFORMED',
      message: `${where}: media type ${mediaType ?? '(none)'} is not an OCI or Docker v2 manifest or index`,
      hint: `accepted: ${MANIFEST_ACCEPT}`,
    });
  }
  const r = SCHEMAS[mediaType]!.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PinError({
      code: 'REGISTRY_MALFORMED',
      message: `${where}: not a valid ${mediaType}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`,
      hint: 'the registry served a malformed manifest',
    });
  }
  const artifactType = (r.data as { artifactType?: string }).artifactType;
  return artifactType === undefined ? { mediaType } : { mediaType, artifactType };
}

export function toDescriptor(d: z.infer<typeof DescriptorSchema>): Descriptor {
  const out: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  if (d.annotations !== undefined) out.annotations = d.annotations;
  return out;
}
