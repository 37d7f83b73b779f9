/**
 * Which trust server and GUN serve an image, as Docker content trust decides
 * (docker/cli `trust.Server`): `$DOCKER_CONTENT_TRUST_SERVER` when set (https only, as Docker
 * requires), else `https://notary.docker.io` for Docker Hub, else `https://<registry host>`.
 * A rule's `server` overrides all of these.
 */
import { PinError } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/types.js';

export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';

/** The Notary GUN of an image: its normalised repository (`docker.io/library/nginx`). */
export function gunOf(ref: ImageReference): string {
  return ref.repository;
}

/** Trust server base URL for `ref` under `rule`, without a trailing slash. */
/** `url` without trailing slashes (a loop: this runs for every image resolved). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
  return end === url.length ? url : url.slice(0, end);
}

export function trustServerFor(
  ref: ImageReference,
  rule: Pick<TrustRule, 'server'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (rule.server) return withoutTrailingSlashes(rule.server);
  const fromEnv = env.DOCKER_CONTENT_TRUST_SERVER;
  if (fromEnv) {
    let u: URL | undefined;
    try {
      u = new URL(fromEnv);
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== 'https:') {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `DOCKER_CONTENT_TRUST_SERVER must be an https URL, got "${fromEnv}"`,
        hint: 'fix DOCKER_CONTENT_TRUST_SERVER, or set trust.server in the rule (which may be http)',
      });
    }
    return withoutTrailingSlashes(fromEnv);
  }
  if (ref.domain === 'docker.io') return DOCKER_HUB_NOTARY;
  return `https://${ref.domain}`;
}

/** The host (with port) of a server URL, for credential lookup. */
export function hostOf(url: string): string {
  return new URL(url).host;
}
