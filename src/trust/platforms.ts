/**
 * Trust-rule platform checks shared by both trust systems (`platforms`, `pinPlatform`): each system
 * verifies one manifest (`verify`), this module decides which manifests of an index must pass.
 * Indexes are always fetched by digest, so the children read are bound to the verified digest.
 */
import { PinError, isPinError } from '../errors/errors.js';
import { isIndexMediaType, selectPlatform, type FetchedIndex } from '../registry/platform.js';
import type { Descriptor } from '../registry/contract.js';

export interface PlatformContext<V> {
  readonly repository: string;
  /** The index at a digest (each resolver serves it from its cache, by digest). */
  index(digest: string): Promise<FetchedIndex>;
  /** The registry's descriptor of a digest (checked here to name that digest). */
  describe(digest: string): Promise<Descriptor>;
  /** Verifies one manifest's signature; throws a PinError when none passes. */
  verify(d: Descriptor): Promise<V>;
  readonly signal?: AbortSignal;
}

export interface PlatformVerdict<V> {
  /** The digest to pin (the index, or the pinned platform's manifest). */
  readonly digest: string;
  /** The passing verdicts: the index's, or one per platform manifest. */
  readonly verified: readonly V[];
  /** For people: which platform manifests were verified, or which platform was pinned and what was signed. */
  readonly note: string;
}

/** `verify`, with a failure returned (a caller deadline still throws). */
async function attempt<V>(ctx: PlatformContext<V>, d: Descriptor): Promise<{ ok: true; value: V } | { ok: false; error: PinError }> {
  try {
    return { ok: true, value: await ctx.verify(d) };
  } catch (e) {
    if (ctx.signal?.aborted === true || !isPinError(e) || e.code === 'DEADLINE') throw e;
    return { ok: false, error: e };
  }
}

const short = (digest: string) => digest.slice(0, 19);

/** `platforms`: the index lists every platform and passes on its own signature, or every platform manifest does. */
export async function verifyIndexPlatforms<V>(ctx: PlatformContext<V>, indexDigest: string, platforms: readonly string[]): Promise<PlatformVerdict<V>> {
  const index = await ctx.index(indexDigest);
  const children = platforms.map((p) => ({ platform: p, child: selectPlatform(index, p, ctx.repository) }));
  const own = await attempt(ctx, index.descriptor);
  if (own.ok) return { digest: indexDigest, verified: [own.value], note: `index signed, lists ${platforms.join(', ')}` };
  const verified: V[] = [];
  for (const { platform, child } of children) {
    const r = await attempt(ctx, child);
    if (!r.ok) {
      throw new PinError({
        code: r.error.code,
        message:
          `the index ${indexDigest} has no passing signature of its own (${r.error.code === own.error.code ? own.error.code : `${own.error.code}: ${own.error.message}`}), ` +
          `and platform ${platform}'s manifest ${child.digest} has none either: ${r.error.message}`,
        hint: `sign the index, or the manifest of every platform the trust rule lists (${platforms.join(', ')}); ${r.error.hint ?? ''}`.replace(/; $/, ''),
        role: r.error.role,
      });
    }
    verified.push(r.value);
  }
  const list = children.map((c) => `${c.platform} ${short(c.child.digest)}`).join(', ');
  return { digest: indexDigest, verified, note: `index not signed itself; platform manifests verified: ${list}` };
}

/** `pinPlatform`, pin mode: the platform's manifest of the index, with its own signature or the index's. */
export async function pinPlatformOf<V>(ctx: PlatformContext<V>, indexDigest: string, platform: string): Promise<PlatformVerdict<V>> {
  const index = await ctx.index(indexDigest);
  const child = selectPlatform(index, platform, ctx.repository);
  return childOrIndex(ctx, index, child, platform);
}

async function childOrIndex<V>(ctx: PlatformContext<V>, index: FetchedIndex, child: Descriptor, platform: string, tried?: PinError): Promise<PlatformVerdict<V>> {
  const at = `${platform} of index ${short(index.descriptor.digest)}`;
  const own = tried === undefined ? await attempt(ctx, child) : { ok: false as const, error: tried };
  if (own.ok) return { digest: child.digest, verified: [own.value], note: `${at}; the platform manifest is signed` };
  const byIndex = await attempt(ctx, index.descriptor);
  if (byIndex.ok) return { digest: child.digest, verified: [byIndex.value], note: `${at}; the index is signed` };
  throw new PinError({
    code: own.error.code,
    message:
      `neither platform ${platform}'s manifest ${child.digest} nor its index ${index.descriptor.digest} has a passing signature: ` +
      `manifest: ${own.error.message}; index: ${byIndex.error.message}`,
    hint: 'sign the index or the platform manifest',
    role: own.error.role,
  });
}

/**
 * `pinPlatform`, verify mode (the webhook): `digest` must be a platform manifest with its own passing
 * signature, or the reference's tag must name an index that lists `digest` for the platform and passes.
 */
export async function verifyPinnedPlatform<V>(
  ctx: PlatformContext<V>,
  digest: string,
  platform: string,
  indexOfTag: (() => Promise<string>) | undefined,
): Promise<PlatformVerdict<V>> {
  const d = await ctx.describe(digest);
  if (d.digest !== digest) {
    throw new PinError({
      code: 'REGISTRY_DIGEST_MISMATCH',
      message: `the registry answered ${d.digest} when asked for ${ctx.repository}@${digest}`,
      hint: 'the registry (or a proxy in front of it) is broken or hostile: check what serves this repository',
    });
  }
  if (isIndexMediaType(d.mediaType)) {
    throw new PinError({
      code: 'PLATFORM',
      message: `${ctx.repository}@${digest} is an image index, but the trust rule pins platform ${platform}'s manifest (pinPlatform)`,
      hint: 'pin the image again (mode: pin) to get the platform manifest\'s digest',
    });
  }
  const own = await attempt(ctx, d);
  if (own.ok) return { digest, verified: [own.value], note: `platform manifest (${platform}) signed` };
  if (indexOfTag === undefined) {
    throw new PinError({
      code: own.error.code,
      message: `platform ${platform}'s manifest ${digest}: ${own.error.message}`,
      hint: `sign the platform manifest, or write the tag too (repo:tag@sha256:…) so the index's signature can be checked: an index signature cannot be found from a platform manifest's digest alone`,
      role: own.error.role,
    });
  }
  const index = await ctx.index(await indexOfTag());
  const child = selectPlatform(index, platform, ctx.repository);
  if (child.digest !== digest) {
    throw new PinError({
      code: 'DIGEST_MISMATCH',
      message: `the tag's index ${index.descriptor.digest} lists ${child.digest} for platform ${platform}, not ${digest}, and ${digest} has no passing signature of its own`,
      hint: 'pin the image again (mode: pin), or sign the platform manifest',
    });
  }
  return childOrIndex(ctx, index, child, platform, own.error);
}
