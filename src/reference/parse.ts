/**
 * Parses and formats image references as github.com/distribution/reference (reference.go, regexp.go,
 * normalize.go `ParseNormalizedNamed`), stricter where upstream is lax: inputs over
 * `MAX_REFERENCE_LENGTH`, an invalid host in the registry position (upstream yields an empty
 * domain), and unregistered digest algorithms are all errors.
 */
import { PinError } from '../errors/errors.js';
import {
  checkDigest,
  checkDomain,
  checkPath,
  checkTag,
  isIdentifier,
  MAX_PATH_LENGTH,
} from './grammar.js';
import type { ImageReference } from './image-reference.js';

export { isValidDigest } from './grammar.js';

/** Hard cap on an image string, applied before any parsing. */
export const MAX_REFERENCE_LENGTH = 1024;
export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';

const HINT =
  'write it as [registry/]repository[:tag][@sha256:<64 hex>], e.g. "nginx:1.25", ' +
  '"ghcr.io/org/app:v1" or "registry.example.com:5000/app@sha256:<64 lowercase hex digits>"';

/** Quotes (part of) the input for a message: JSON-escaped, at most 120 characters. */
function quoteInput(s: string): string {
  if (s.length <= 120) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, 100))}… (${s.length} characters)`;
}

function fail(input: string, reason: string, hint: string = HINT): never {
  throw new PinError({
    code: 'REFERENCE_INVALID',
    message: `invalid image reference ${quoteInput(input)}: ${reason}`,
    hint,
    image: input.length <= 1024 ? input : `${input.slice(0, 100)}…`,
  });
}

function findForbiddenChar(s: string): { index: number; what: string } | undefined {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0 || code === 0xfeff || (code >= 0x2000 && code <= 0x200b) || code === 0x2028 || code === 0x2029 || code === 0x3000) {
      return { index: i, what: 'whitespace' };
    }
    if (code < 0x20 || code === 0x7f) return { index: i, what: `the control character U+${code.toString(16).padStart(4, '0').toUpperCase()}` };
    if (code > 0x7e) {
      const cp = s.codePointAt(i) ?? code;
      return { index: i, what: `the non-ASCII character ${JSON.stringify(String.fromCodePoint(cp))} (U+${cp.toString(16).padStart(4, '0').toUpperCase()})` };
    }
  }
  return undefined;
}

interface Parts {
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `name[:tag][@digest]`: the first `@` starts the digest; a `:` after the last `/` starts the tag. */
function splitParts(s: string): Parts {
  const at = s.indexOf('@');
  const left = at === -1 ? s : s.slice(0, at);
  const digest = at === -1 ? undefined : s.slice(at + 1);
  const lastSlash = left.lastIndexOf('/');
  const lastColon = left.lastIndexOf(':');
  const parts: Parts =
    lastColon > lastSlash ? { name: left.slice(0, lastColon), tag: left.slice(lastColon + 1) } : { name: left };
  if (digest !== undefined) parts.digest = digest;
  return parts;
}

/** normalize.go splitDockerDomain: the first component is the registry if `localhost` or has `.`, `:`, uppercase. */
function splitDockerDomain(name: string): { domain: string; path: string; explicitDomain: boolean } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: DEFAULT_DOMAIN, path: OFFICIAL_REPO_PREFIX + name, explicitDomain: false };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let path: string;
  let explicitDomain = true;
  if (first === 'localhost') {
    domain = first;
    path = rest;
  } else if (first === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else if (first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
    domain = first;
    path = rest;
  } else {
    domain = DEFAULT_DOMAIN;
    path = name;
    explicitDomain = false;
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path, explicitDomain };
}

/** As `reference.ParseNormalizedNamed`, keeping both tag and digest; throws REFERENCE_INVALID naming the wrong part. */
export function parseReference(s: string): ImageReference {
  return parse(s, false);
}

function parse(s: string, allowIdentifier: boolean): ImageReference {
  checkWholeString(s, allowIdentifier);
  const parts = splitParts(s);
  checkParts(s, parts);
  const { domain, path } = checkName(s, parts.name);
  const ref: { -readonly [K in keyof ImageReference]: ImageReference[K] } = {
    original: s,
    domain,
    path,
    repository: `${domain}/${path}`,
  };
  if (parts.tag !== undefined) ref.tag = parts.tag;
  if (parts.digest !== undefined) ref.digest = parts.digest;
  return ref;
}

function checkWholeString(s: string, allowIdentifier: boolean): void {
  if (typeof s !== 'string') {
    throw new PinError({ code: 'REFERENCE_INVALID', message: `invalid image reference: expected a string, got ${s === null ? 'null' : typeof s}`, hint: HINT });
  }
  if (s === '') fail(s, 'the reference is empty; a repository name is required');
  if (s.length > MAX_REFERENCE_LENGTH)
    fail(s, `it is longer than the ${MAX_REFERENCE_LENGTH}-character limit for image references`);
  const bad = findForbiddenChar(s);
  if (bad !== undefined) fail(s, `contains ${bad.what} at position ${bad.index + 1}`, `remove it; ${HINT}`);
  if (!allowIdentifier && isIdentifier(s))
    fail(
      s,
      'it is a 64-digit hexadecimal string (an image ID), which cannot be used as a repository name',
      'name the image by repository, e.g. "registry.example.com/app@sha256:<64 hex>"',
    );
  if (s.includes('://'))
    fail(s, 'it looks like a URL; image references have no scheme', 'drop the "scheme://" prefix, e.g. "ghcr.io/org/app:v1"');
  if (s.startsWith('[') && !s.includes('/'))
    fail(s, 'it starts with an IPv6 registry address but has no "/repository" after it');
}

function checkParts(s: string, parts: Parts): void {
  if (parts.name === '') {
    fail(s, parts.tag !== undefined ? 'there is no repository name before ":"' : 'there is no repository name before "@"');
  }
  if (parts.digest !== undefined) {
    const reason = checkDigest(parts.digest);
    if (reason !== undefined)
      fail(s, `it ${reason}`, 'write the digest as sha256:<64 lowercase hex digits> (or sha384/sha512), e.g. "app@sha256:<64 hex>"');
  }
  if (parts.tag !== undefined) {
    const reason = checkTag(parts.tag);
    if (reason !== undefined)
      fail(s, `it ${reason}`, 'a tag is 1-128 of A-Z a-z 0-9 _ . - and starts with a letter, digit or _ (e.g. "app:1.25-alpine")');
  }
}

function checkName(s: string, name: string): { domain: string; path: string } {
  const { domain, path, explicitDomain } = splitDockerDomain(name);
  const writtenPath = explicitDomain ? name.slice(name.indexOf('/') + 1) : name;
  if (path.toLowerCase() !== path) {
    fail(
      s,
      `the repository name ${JSON.stringify(writtenPath)} must be lowercase`,
      `write the repository in lowercase, e.g. ${JSON.stringify(writtenPath.toLowerCase())} (only the registry host may have uppercase letters)`,
    );
  }
  if (explicitDomain) {
    const reason = checkDomain(domain);
    if (reason !== undefined)
      fail(s, `it ${reason}`, 'a registry is host[:port]: a DNS name, IPv4 address or [IPv6] address, then "/" and the repository');
  }
  const pathReason = checkPath(path);
  if (pathReason !== undefined) fail(s, `it ${pathReason}`);
  if (path.length > MAX_PATH_LENGTH) {
    const normalisedNote = path === writtenPath ? '' : ` (normalised to ${JSON.stringify(`${path.slice(0, 40)}…`)})`;
    fail(s, `its repository path is ${path.length} characters long${normalisedNote}; at most ${MAX_PATH_LENGTH} are allowed`);
  }
  return { domain, path };
}

/** `docker.io/library/nginx`; also the Notary GUN. */
export function normalizedName(ref: ImageReference): string {
  return ref.repository;
}

/** The written tag, `latest` when there is neither tag nor digest, else undefined. */
export function effectiveTag(ref: ImageReference): string | undefined {
  if (ref.tag !== undefined) return ref.tag;
  return ref.digest === undefined ? DEFAULT_TAG : undefined;
}

/** normalize.go `familiarizeName`: drops `docker.io/`, and `library/` when nothing else is nested. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.repository;
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

/** The repository as written in `original`, else the normalised name (e.g. a hand-built reference). */
export function writtenName(ref: ImageReference): string {
  const name = splitParts(ref.original).name;
  try {
    // The identifier rule applies to whole inputs only: `<64 hex>:tag` has a valid name part.
    if (parse(name, true).repository === ref.repository) return name;
  } catch {
  }
  return ref.repository;
}

export interface FormatOptions {
  /** As `written` in `original`, `familiar`, or `normalized` (default). */
  name?: 'written' | 'familiar' | 'normalized';
  /** `keep` (default), `effective` (adds `latest` when neither tag nor digest), or `drop`. */
  tag?: 'keep' | 'effective' | 'drop';
  /** A digest to write instead of the reference's own (validated); `null` drops it. */
  digest?: string | null;
}

/** `name[:tag][@digest]`; throws REFERENCE_INVALID when `opts.digest` is invalid. */
export function formatReference(ref: ImageReference, opts: FormatOptions = {}): string {
  const nameForm = opts.name ?? 'normalized';
  const name = nameForm === 'written' ? writtenName(ref) : nameForm === 'familiar' ? familiarName(ref) : ref.repository;
  const tagMode = opts.tag ?? 'keep';
  const tag = tagMode === 'drop' ? undefined : tagMode === 'effective' ? effectiveTag(ref) : ref.tag;
  let digest = ref.digest;
  if (opts.digest === null) digest = undefined;
  else if (opts.digest !== undefined) {
    const reason = checkDigest(opts.digest);
    if (reason !== undefined) {
      throw new PinError({
        code: 'REFERENCE_INVALID',
        message: `cannot pin ${quoteInput(ref.original)} to ${quoteInput(opts.digest)}: it ${reason}`,
        hint: 'a digest is sha256:<64 lowercase hex digits> (or sha384/sha512)',
        image: ref.original,
      });
    }
    digest = opts.digest;
  }
  return `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
}

/** `docker.io/library/nginx:latest`; `latest` only when there is neither tag nor digest. */
export function toNormalizedString(ref: ImageReference): string {
  return formatReference(ref, { name: 'normalized', tag: 'effective' });
}

/** As Docker shows it: `nginx:1.25`, `ghcr.io/org/app:v1`. */
export function toFamiliarString(ref: ImageReference): string {
  return formatReference(ref, { name: 'familiar' });
}

/**
 * What pinning writes: the repository as the user spelled it, then `:tag@digest` with `keepTag` (untagged
 * input gets `latest`), else `@digest`. Throws REFERENCE_INVALID for an invalid digest.
 */
export function withDigest(ref: ImageReference, digest: string, keepTag: boolean): string {
  return formatReference(ref, { name: 'written', tag: keepTag ? 'effective' : 'drop', digest });
}
