/**
 * Which trust server and GUN serve an image, as Docker content trust decides (docker/cli `trust.Server`):
 * the rule's `server`, else `$DOCKER_CONTENT_TRUST_SERVER` (https only), else `https://<registry host>`.
 * Docker Hub's retired notary.docker.io is refused, named or defaulted.
 */
import { PinError } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/image-reference.js';

/** Docker Hub's trust server (Docker Content Trust), retired on 2026-12-08. */
export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';
const RETIRED_HOST = 'notary.docker.io';

/** TRUST_SERVER_RETIRED for `why` (the rule names notary.docker.io, or it was docker.io's default). */
function retired(why: string): PinError {
  return new PinError({
    code: 'TRUST_SERVER_RETIRED',
    message: `${why}: Docker retired Docker Content Trust's trust server notary.docker.io on 2026-12-08; it serves no trust data any more`,
    hint:
      'move the repository to Notary Project signatures (a trust rule with `notation:`), see README "Migrating from Docker Content Trust"; ' +
      'or name a Notary v1 server you run in the rule\'s `server`, or vendor its trust data in `trustDir`',
  });
}

/** The Notary GUN of an image: its normalised repository (`docker.io/library/nginx`). */
export function gunOf(ref: ImageReference): string {
  return ref.repository;
}

/** `url` without trailing slashes (a loop: this runs for every image resolved). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
  return end === url.length ? url : url.slice(0, end);
}

/** Trust server base URL for `ref` under `rule`, without a trailing slash. */
export function trustServerFor(
  ref: ImageReference,
  rule: Pick<TrustRule, 'server'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (rule.server) return notRetired(withoutTrailingSlashes(rule.server), 'the rule\'s server');
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
    return notRetired(withoutTrailingSlashes(fromEnv), 'DOCKER_CONTENT_TRUST_SERVER');
  }
  if (ref.domain === 'docker.io') throw retired('docker.io images used to default to https://notary.docker.io and no trust server is set');
  return `https://${ref.domain}`;
}

function notRetired(server: string, from: string): string {
  if (new URL(server).hostname.toLowerCase().replace(/\.$/, '') === RETIRED_HOST) throw retired(`${from} is ${server}`);
  return server;
}

/** The host (with port) of a server URL, for credential lookup. */
export function hostOf(url: string): string {
  return new URL(url).host;
}
