/**
 * Image patterns (config `spec.exclude` and `spec.trust[].images`).
 *
 * Semantics:
 * - A pattern is matched against up to three strings of a reference, and a match on either counts:
 *   1. the normalised reference string (`toNormalizedString`): `docker.io/library/nginx:1.25`,
 *      `127.0.0.1:5000/app@sha256:...`, `docker.io/library/nginx:1.25@sha256:...` when both tag and
 *      digest are present, `docker.io/library/nginx:latest` when neither is;
 *   2. the bare repository: `docker.io/library/nginx`;
 *   3. when the reference has both a tag and a digest, `repository:tag` without the digest, so a
 *      pattern written per tag still governs the pinned form (`nginx:1.25` matches
 *      `nginx:1.25@sha256:...`).
 *   The whole string must match (the pattern is anchored at both ends).
 * - `*` matches any run of characters except `/` (so it also crosses `:` and `@`: `nginx*` matches
 *   `nginx:1.25`); `**` (or any longer run of `*`) matches any run of characters including `/`;
 *   `?` matches exactly one character except `/`. Every other character is literal (there are no
 *   character classes, braces or escapes). Matching is case-sensitive.
 * - Familiar patterns are normalised like Docker normalises names (normalize.go splitDockerDomain):
 *   the first `/`-separated component of the pattern is a registry when it is `localhost`, contains
 *   `.` or `:`, or has an uppercase letter (`index.docker.io` is rewritten to `docker.io`);
 *   otherwise `docker.io/` is put in front. On docker.io a pattern name with no `/` and no `**` gets
 *   `library/`. So `nginx` → `docker.io/library/nginx`, `nginx:*` → `docker.io/library/nginx:*`,
 *   `library/*` → `docker.io/library/*`, `org/*` → `docker.io/org/*`, `*` → `docker.io/library/*`
 *   (every official image), `docker.io/nginx` → `docker.io/library/nginx`,
 *   `ghcr.io/org/**` unchanged, `*.example.com/**` unchanged (contains `.`).
 * - A pattern that starts with `**` is never normalised: `**` alone matches every image, and `**`
 *   followed by `/nginx` matches a repository whose last component is `nginx` on any registry.
 * - Invalid patterns (empty, whitespace or control characters, characters that cannot occur in a
 *   reference, longer than 1024 characters) are rejected with `CONFIG_INVALID`.
 *
 * Matching is a linear NFA simulation (O(pattern × input)), never a backtracking regex.
 */
import { PinError } from '../errors/errors.js';
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX, toNormalizedString } from './parse.js';
import type { ImageReference } from './image-reference.js';

/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 1024;

/** A compiled image pattern. */
export interface ImagePattern {
  /** The pattern as written in the configuration. */
  readonly source: string;
  /** The pattern after familiar-name normalisation; this is what is matched. */
  readonly normalized: string;
  /** Whether the pattern matches the reference's normalised string or its bare repository. */
  matches(ref: ImageReference): boolean;
  /** Whether the pattern matches this exact string (no normalisation of the string). */
  matchesString(s: string): boolean;
}

type Token = { kind: 'lit'; ch: string } | { kind: 'one' } | { kind: 'star' } | { kind: 'dstar' };

const HINT =
  'write an image pattern such as "nginx", "nginx:*", "library/*", "ghcr.io/org/**" or ' +
  '"127.0.0.1:5000/app:v?"; "*" does not cross "/", "**" does';

function invalid(pattern: string, reason: string): never {
  const shown = pattern.length <= 120 ? JSON.stringify(pattern) : `${JSON.stringify(pattern.slice(0, 100))}…`;
  throw new PinError({ code: 'CONFIG_INVALID', message: `invalid image pattern ${shown}: ${reason}`, hint: HINT });
}

const isAllowed = (c: string): boolean =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || '._-/:@[]+*?'.includes(c);

function validate(pattern: string): void {
  if (typeof pattern !== 'string') invalid(String(pattern), 'a pattern must be a string');
  if (pattern === '') invalid(pattern, 'the pattern is empty');
  if (pattern.length > MAX_PATTERN_LENGTH) invalid(pattern, `it is longer than ${MAX_PATTERN_LENGTH} characters`);
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (/\s/.test(c)) invalid(pattern, `it contains whitespace at position ${i + 1}`);
    if (!isAllowed(c))
      invalid(
        pattern,
        `it contains ${JSON.stringify(c)} at position ${i + 1}, which cannot occur in an image reference, so the pattern could never match (only "*", "**" and "?" are wildcards)`,
      );
  }
}

/** Normalises the name part of a familiar pattern (see the module comment). */
export function normalizePattern(pattern: string): string {
  if (pattern.startsWith('**')) return pattern;
  const slash = pattern.indexOf('/');
  if (slash === -1) return `${DEFAULT_DOMAIN}/${OFFICIAL_REPO_PREFIX}${pattern}`;
  const first = pattern.slice(0, slash);
  let domain: string;
  let rest: string;
  if (first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
    domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
    rest = pattern.slice(slash + 1);
  } else {
    domain = DEFAULT_DOMAIN;
    rest = pattern;
  }
  if (domain === DEFAULT_DOMAIN && !rest.includes('/') && !rest.includes('**')) rest = OFFICIAL_REPO_PREFIX + rest;
  return `${domain}/${rest}`;
}

function tokenize(p: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p.charAt(i);
    if (c === '*') {
      let j = i;
      while (j < p.length && p.charAt(j) === '*') j++;
      tokens.push({ kind: j - i >= 2 ? 'dstar' : 'star' });
      i = j;
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
      i++;
    } else {
      tokens.push({ kind: 'lit', ch: c });
      i++;
    }
  }
  return tokens;
}

/** Thompson-style simulation: the set of pattern positions reachable after each input character. */
function run(tokens: readonly Token[], s: string): boolean {
  const m = tokens.length;
  let cur = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const close = (set: Uint8Array): void => {
    // Stars match the empty string: position i reaches i+1. Single forward pass suffices.
    for (let i = 0; i < m; i++) {
      const t = tokens[i];
      if (set[i] && t !== undefined && (t.kind === 'star' || t.kind === 'dstar')) set[i + 1] = 1;
    }
  };
  cur[0] = 1;
  close(cur);
  for (let k = 0; k < s.length; k++) {
    const c = s.charAt(k);
    next.fill(0);
    let any = false;
    for (let i = 0; i < m; i++) {
      if (!cur[i]) continue;
      const t = tokens[i];
      if (t === undefined) continue;
      switch (t.kind) {
        case 'lit':
          if (t.ch === c) { next[i + 1] = 1; any = true; }
          break;
        case 'one':
          if (c !== '/') { next[i + 1] = 1; any = true; }
          break;
        case 'star':
          if (c !== '/') { next[i] = 1; any = true; }
          break;
        case 'dstar':
          next[i] = 1;
          any = true;
          break;
      }
    }
    if (!any) return false;
    close(next);
    [cur, next] = [next, cur];
  }
  return cur[m] === 1;
}

/**
 * Compiles an image pattern (semantics in the module comment).
 *
 * @throws PinError `CONFIG_INVALID` for an empty or malformed pattern.
 */
/**
 * The two most common pattern shapes matched without the automaton (same answers): a plain literal
 * (`docker.io/library/nginx`) is string equality, and a literal followed by one `**`
 * (`registry.example.com/**`) is a prefix test, since `**` matches any rest, empty included.
 */
function shortcut(tokens: readonly Token[]): ((s: string) => boolean) | undefined {
  const last = tokens[tokens.length - 1];
  const body = last?.kind === 'dstar' ? tokens.slice(0, -1) : tokens;
  if (!body.every((t) => t.kind === 'lit')) return undefined;
  const literal = body.map((t) => (t as Extract<Token, { kind: 'lit' }>).ch).join('');
  return body.length === tokens.length ? (s) => s === literal : (s) => s.startsWith(literal);
}

export function compileImagePattern(pattern: string): ImagePattern {
  validate(pattern);
  const normalized = normalizePattern(pattern);
  const tokens = tokenize(normalized);
  const matchesString = shortcut(tokens) ?? ((s: string): boolean => run(tokens, s));
  return Object.freeze({
    source: pattern,
    normalized,
    matchesString,
    matches(ref: ImageReference): boolean {
      return (
        matchesString(toNormalizedString(ref)) ||
        matchesString(ref.repository) ||
        // repo:tag of a reference that also carries a digest, so a rule written per tag still
        // governs the image once it is pinned (`nginx:1.25` matches `nginx:1.25@sha256:...`).
        (ref.tag !== undefined && ref.digest !== undefined && matchesString(`${ref.repository}:${ref.tag}`))
      );
    },
  });
}

/** Compiles several patterns; the first invalid one throws `CONFIG_INVALID`. */
export function compileImagePatterns(patterns: readonly string[]): ImagePattern[] {
  return patterns.map(compileImagePattern);
}

/** True when any of the patterns matches the reference. */
export function matchesAny(patterns: readonly ImagePattern[], ref: ImageReference): boolean {
  return patterns.some((p) => p.matches(ref));
}

/** The automaton alone, without the shortcuts (for the test that compares both). */
export function matchesByAutomaton(pattern: string, s: string): boolean {
  return run(tokenize(normalizePattern(pattern)), s);
}
