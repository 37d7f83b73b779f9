/** Multi-platform images (image-spec image-index.md): platform strings, verified index fetch, and child selection. */
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import { DescriptorSchema, parseJsonBytes, toDescriptor } from './schemas.js';
import { MediaTypes, type Descriptor, type RegistryClient, type RepositoryRef, type RequestOptions } from './contract.js';

/** `os/architecture[/variant]`, lower case, as `docker --platform` writes it. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface IndexChild {
  readonly descriptor: Descriptor;
  readonly platform?: Platform;
}

export interface FetchedIndex {
  readonly descriptor: Descriptor;
  readonly children: readonly IndexChild[];
}

const IMAGE_MANIFESTS: readonly string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];
const INDEXES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];

/** Children read from one index at most (hostile indexes). */
const MAX_CHILDREN = 1024;

const IndexBodySchema = z.looseObject({
  manifests: z
    .array(
      DescriptorSchema.extend({
        platform: z.looseObject({ os: z.string().max(64), architecture: z.string().max(64), variant: z.string().max(64).optional() }).optional(),
      }),
    )
    .max(MAX_CHILDREN),
});

export function isIndexMediaType(mediaType: string): boolean {
  return INDEXES.includes(mediaType);
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  return variant === undefined ? { os: os!, architecture: architecture! } : { os: os!, architecture: architecture!, variant };
}

export function formatPlatform(p: Platform): string {
  return p.variant === undefined ? `${p.os}/${p.architecture}` : `${p.os}/${p.architecture}/${p.variant}`;
}

/** containerd's normalisation: arm64 without a variant is arm64/v8. */
const variantOf = (p: Platform): string | undefined => p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);

/** A wanted platform without a variant matches any variant. */
function matches(wanted: Platform, got: Platform | undefined): boolean {
  if (got === undefined || got.os !== wanted.os || got.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || variantOf(wanted) === variantOf(got);
}

/** The index `digest` names, fetched and verified, with its children; not an index is PLATFORM. */
export async function fetchIndex(client: RegistryClient, repo: RepositoryRef, digest: string, where: string, opts: RequestOptions = {}): Promise<FetchedIndex> {
  const m = await client.fetchManifest(repo, digest, opts);
  if (!isIndexMediaType(m.descriptor.mediaType)) {
    throw new PinError({
      code: 'PLATFORM',
      message: `${where}: the rule names platforms, but ${digest} is a single-platform ${m.descriptor.mediaType}, not an image index`,
      hint: 'push a multi-platform index for this tag, or remove platforms/pinPlatform from the trust rule that matches it',
    });
  }
  const r = IndexBodySchema.safeParse(parseJsonBytes(m.bytes, `${where}@${digest}`));
  if (!r.success) {
    throw new PinError({
      code: 'REGISTRY_MALFORMED',
      message: `${where}@${digest}: the index's manifests are not valid descriptors (or more than ${MAX_CHILDREN})`,
      hint: 'the registry served a malformed index',
    });
  }
  const children = r.data.manifests.map((d): IndexChild => {
    const p = d.platform;
    const platform = p === undefined ? undefined : p.variant === undefined ? { os: p.os, architecture: p.architecture } : { os: p.os, architecture: p.architecture, variant: p.variant };
    return platform === undefined ? { descriptor: toDescriptor(d) } : { descriptor: toDescriptor(d), platform };
  });
  return { descriptor: m.descriptor, children };
}

/** The one child for `platform`; none or several is PLATFORM. */
export function selectPlatform(index: FetchedIndex, platform: string, where: string): Descriptor {
  const wanted = parsePlatform(platform);
  const hits = index.children.filter((c) => matches(wanted, c.platform));
  const listed = index.children.flatMap((c) => (c.platform === undefined ? [] : [formatPlatform(c.platform)]));
  if (hits.length !== 1) {
    throw new PinError({
      code: 'PLATFORM',
      message:
        hits.length === 0
          ? `${where}: platform ${platform} is missing from the index ${index.descriptor.digest} (it lists ${listed.join(', ') || 'no platforms'})`
          : `${where}: platform ${platform} matches ${hits.length} manifests of the index ${index.descriptor.digest}: write its variant (e.g. ${platform}/v8)`,
      hint: hits.length === 0 ? 'push the image for that platform, or change the trust rule\'s platforms/pinPlatform' : 'name the platform with its variant in the trust rule',
    });
  }
  const child = hits[0]!.descriptor;
  if (!IMAGE_MANIFESTS.includes(child.mediaType)) {
    throw new PinError({
      code: 'PLATFORM',
      message: `${where}: the index ${index.descriptor.digest} lists a ${child.mediaType} for ${platform}, not an image manifest`,
      hint: 'nested indexes are not followed: push a flat multi-platform index',
    });
  }
  return child;
}
