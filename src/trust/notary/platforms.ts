/**
 * Notary v1 and multi-platform images: the trust data signs the index digest; the index is fetched by
 * that digest (its bytes must hash to it) to check `platforms` or pick `pinPlatform`'s manifest. A
 * platform manifest counts as signed on its own only when the trust data names its digest as a target.
 */
import type { TrustRule } from '../../config/schema.js';
import type { Resolution } from '../../engine/port.js';
import type { ImageReference } from '../../reference/image-reference.js';
import { pinPlatformOf, verifyIndexPlatforms, verifyPinnedPlatform, type PlatformContext } from '../platforms.js';

export type Select = (ref: ImageReference) => Resolution;

/** What the registry said of a repository's digests, from the resolver's cache (immutable content). */
export type RegistryAnswers = Pick<PlatformContext<Resolution>, 'index' | 'describe'>;

export async function platformResolution(
  ref: ImageReference,
  rule: TrustRule,
  select: Select,
  signal: AbortSignal | undefined,
  answers: RegistryAnswers,
): Promise<Resolution> {
  const byDigest = (digest: string): ImageReference => ({ ...ref, tag: undefined, digest });
  const byTag: ImageReference = { ...ref, digest: undefined };
  const ctx: PlatformContext<Resolution> = {
    repository: ref.repository,
    signal,
    index: answers.index,
    describe: answers.describe,
    verify: async (d) => select(byDigest(d.digest)),
  };
  if (rule.platforms !== undefined) {
    const signed = select(ref);
    const v = await verifyIndexPlatforms(ctx, signed.digest, rule.platforms);
    return { ...signed, platform: v.note };
  }
  const platform = rule.pinPlatform!;
  if (ref.digest === undefined) {
    const signed = select(ref);
    const v = await pinPlatformOf(ctx, signed.digest, platform);
    return { ...v.verified[0]!, digest: v.digest, tag: signed.tag, platform: v.note };
  }
  const indexOfTag = ref.tag === undefined ? undefined : async () => select(byTag).digest;
  const v = await verifyPinnedPlatform(ctx, ref.digest.toLowerCase(), platform, indexOfTag);
  return { ...v.verified[0]!, digest: v.digest, tag: ref.tag ?? v.verified[0]!.tag, platform: v.note };
}
