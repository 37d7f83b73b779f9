/**
 * Image patterns (`spec.exclude`, `spec.trust[].images`), anchored, matched against the normalised
 * reference, the bare repository, and (with tag and digest) `repository:tag`. `*` and `?` stop at `/`,
 * `**` does not; everything else is literal. Familiar patterns are normalised like Docker names
 * (normalize.go splitDockerDomain), except ones starting with `**`. Matching is a linear NFA
 * simulation, never a backtracking regex.
 */
import { PinError } from '../errors/errors.js';
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX, toNormalizedString } from './parse.js';
import type { ImageReference } from './image-reference.js';

export const MAX_PATTERN_LENGTH = 1024;

export interface ImagePattern {
  readonly source: string;
  /** The pattern after familiar-name normalisation; this is what is matched. */
  readonly normalized: string;
  matches(ref: ImageReference): boolean;
  /** Matches this exact string (not normalised). */
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

/** Plain literals (equality) and literal + `**` (prefix test) skip the automaton, with the same answers. */
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
        // repo:tag of a pinned reference, so a rule written per tag still governs it
        (ref.tag !== undefined && ref.digest !== undefined && matchesString(`${ref.repository}:${ref.tag}`))
      );
    },
  });
}

export function compileImagePatterns(patterns: readonly string[]): ImagePattern[] {
  return patterns.map(compileImagePattern);
}

export function matchesAny(patterns: readonly ImagePattern[], ref: ImageReference): boolean {
  return patterns.some((p) => p.matches(ref));
}

/** The automaton alone, for the test that compares it with the shortcuts. */
export function matchesByAutomaton(pattern: string, s: string): boolean {
  return run(tokenize(normalizePattern(pattern)), s);
}
