import { describe, it, expect } from 'vitest';
import { PinError } from '../errors/errors.js';
import { compileImagePattern, compileImagePatterns, matchesAny, normalizePattern, MAX_PATTERN_LENGTH } from './glob.js';
import { parseReference } from './parse.js';

const D = `sha256:${'a'.repeat(64)}`;

const m = (pattern: string, image: string): boolean => compileImagePattern(pattern).matches(parseReference(image));

describe('normalizePattern', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:*', 'docker.io/library/nginx:*'],
    ['nginx@*', 'docker.io/library/nginx@*'],
    ['library/*', 'docker.io/library/*'],
    ['org/*', 'docker.io/org/*'],
    ['org/**', 'docker.io/org/**'],
    ['*', 'docker.io/library/*'],
    ['*/app', 'docker.io/*/app'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['docker.io/*', 'docker.io/library/*'],
    ['docker.io/**', 'docker.io/**'],
    ['index.docker.io/nginx:1.*', 'docker.io/library/nginx:1.*'],
    ['index.docker.io/org/app', 'docker.io/org/app'],
    ['docker.io/library/nginx', 'docker.io/library/nginx'],
    ['ghcr.io/org/**', 'ghcr.io/org/**'],
    ['*.example.com/**', '*.example.com/**'],
    ['localhost/app', 'localhost/app'],
    ['localhost:5000/*', 'localhost:5000/*'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app'],
    ['[::1]:5000/app', '[::1]:5000/app'],
    ['Registry/app', 'Registry/app'],
    ['**', '**'],
    ['**/nginx', '**/nginx'],
  ])('%s → %s', (pattern, normalized) => {
    expect(normalizePattern(pattern)).toBe(normalized);
    expect(compileImagePattern(pattern).normalized).toBe(normalized);
    expect(compileImagePattern(pattern).source).toBe(pattern);
  });
});

describe('matching', () => {
  it.each([
    // familiar names match the repository, whatever the tag or digest
    ['nginx', 'nginx', true],
    ['nginx', 'nginx:1.25', true],
    ['nginx', `nginx@${D}`, true],
    ['nginx', 'docker.io/library/nginx:1.25', true],
    ['nginx', 'index.docker.io/library/nginx', true],
    ['nginx', 'nginx-extra', false],
    ['nginx', 'org/nginx', false],
    ['nginx', 'ghcr.io/library/nginx', false],
    // the normalised reference string, tag defaulted to latest
    ['nginx:latest', 'nginx', true],
    ['nginx:latest', 'nginx:latest', true],
    ['nginx:latest', 'nginx:1.25', false],
    ['nginx:1.25', 'nginx:1.25', true],
    ['nginx:1.25', `nginx:1.25@${D}`, true], // repo:tag of a pinned reference
    ['nginx:1.25@*', `nginx:1.25@${D}`, true],
    ['nginx:1.*', 'nginx:1.25', true],
    ['nginx:1.*', 'nginx:2.0', false],
    ['nginx:1.2?', 'nginx:1.25', true],
    ['nginx:1.2?', 'nginx:1.2', false],
    ['nginx:*', 'nginx', true],
    ['nginx:*', `nginx@${D}`, false],
    ['nginx@*', `nginx@${D}`, true],
    ['nginx@sha256:*', `nginx:1@${D}`, false],
    ['nginx:*@sha256:*', `nginx:1@${D}`, true],
    // `*` stops at `/` but crosses `:` and `@`
    ['nginx*', 'nginx:1.25', true],
    ['nginx*', 'nginx-extra', true],
    ['*', 'nginx:1.25', true],
    ['*', 'org/app', false],
    ['library/*', 'nginx:1.25', true],
    ['library/*', 'library/nginx', true],
    ['org/*', 'org/app:v1', true],
    ['org/*', 'org/team/app', false],
    ['org/**', 'org/team/app:v1', true],
    ['org/**', 'orgx/app', false],
    ['*/app', 'org/app', true],
    ['*/app', 'nginx', false],
    // registries
    ['ghcr.io/org/**', 'ghcr.io/org/team/app:v1', true],
    ['ghcr.io/org/**', 'ghcr.io/other/app', false],
    ['ghcr.io/*', 'ghcr.io/app', true],
    ['ghcr.io/*', 'ghcr.io/org/app', false],
    ['*.example.com/**', 'registry.example.com/a/b:c', true],
    ['*.example.com/**', 'example.com/a', false],
    ['*.example.com/**', 'registry.example.com:5000/a', false],
    ['*.example.com*/**', 'registry.example.com:5000/a', true],
    ['127.0.0.1:5000/app', `127.0.0.1:5000/app@${D}`, true],
    ['127.0.0.1:5000/*', '127.0.0.1:5000/app:v1', true],
    ['127.0.0.1:5000/*', '127.0.0.1:5001/app', false],
    ['127.0.0.1:*/**', '127.0.0.1:5001/a/b', true],
    ['localhost:5000/*', 'localhost:5000/x', true],
    ['localhost/app', 'localhost/app:1', true],
    ['[::1]:5000/app', '[::1]:5000/app:t', true],
    ['index.docker.io/org/app', 'docker.io/org/app', true],
    ['docker.io/**', 'nginx', true],
    ['docker.io/**', 'org/app:1', true],
    ['docker.io/**', 'ghcr.io/org/app', false],
    ['docker.io/*', 'nginx', true],
    ['docker.io/*', 'org/app', false],
    // `**` anywhere
    ['**', 'nginx', true],
    ['**', `[::1]:5000/a/b/c:t@${D}`, true],
    ['**/nginx', 'nginx:1.25', true],
    ['**/nginx', 'ghcr.io/x/nginx', true],
    ['**/nginx', 'ghcr.io/x/nginx2', false],
    ['**/nginx:1.25', 'quay.io/a/nginx:1.25', true],
    ['**:latest', 'quay.io/a/b', true],
    ['**:latest', 'quay.io/a/b:v1', false],
    ['***', 'a/b/c', true],
    // literal characters are literal: `.` is not "any character", `+` is not a quantifier
    ['ghcr.io/org/app', 'ghcrxio/org/app', false],
    ['docker.io/library/ngin.', 'nginx', false],
    // case-sensitive
    ['Registry/app', 'Registry/app', true],
    ['registry.io/app', 'Registry.io/app', false],
  ] as const)('%s vs %s → %s', (pattern, image, expected) => {
    expect(m(pattern, image)).toBe(expected);
  });

  it('matchesString matches exactly the given string', () => {
    const p = compileImagePattern('org/*');
    expect(p.matchesString('docker.io/org/app')).toBe(true);
    expect(p.matchesString('org/app')).toBe(false);
    expect(p.matchesString('docker.io/org/app/x')).toBe(false);
    expect(compileImagePattern('**').matchesString('')).toBe(true);
    expect(compileImagePattern('a?').matchesString('docker.io/library/a/')).toBe(false);
  });
});

describe('matchesAny', () => {
  it('is true when any pattern matches', () => {
    const patterns = compileImagePatterns(['ghcr.io/org/**', 'nginx']);
    expect(matchesAny(patterns, parseReference('nginx:1.25'))).toBe(true);
    expect(matchesAny(patterns, parseReference('ghcr.io/org/a/b:1'))).toBe(true);
    expect(matchesAny(patterns, parseReference('redis'))).toBe(false);
    expect(matchesAny([], parseReference('redis'))).toBe(false);
  });
});

describe('invalid patterns', () => {
  it.each([
    ['', 'empty'],
    [' ', 'whitespace at position 1'],
    ['nginx ', 'whitespace at position 6'],
    ['ng inx', 'whitespace'],
    ['nginx\t', 'whitespace'],
    ['nginx\n', 'whitespace'],
    ['^nginx$', '"^" at position 1'],
    ['nginx|redis', '"|"'],
    ['nginx,redis', '","'],
    ['{a,b}', '"{"'],
    ['a\\*', '"\\\\"'],
    ['ngïnx', '"ï"'],
    ['a\u0000', '"\\u0000"'],
    ['x'.repeat(MAX_PATTERN_LENGTH + 1), `longer than ${MAX_PATTERN_LENGTH}`],
  ])('%j', (pattern, fragment) => {
    let caught: unknown;
    try {
      compileImagePattern(pattern);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PinError);
    expect((caught as PinError).code).toBe('CONFIG_INVALID');
    expect((caught as PinError).message).toContain(fragment);
    expect((caught as PinError).hint).toBeTruthy();
  });

  it('compileImagePatterns reports the first invalid pattern', () => {
    expect(() => compileImagePatterns(['nginx', ''])).toThrow(/invalid image pattern "": the pattern is empty/);
  });

  it('rejects non-strings', () => {
    expect(() => compileImagePattern(undefined as unknown as string)).toThrow(PinError);
  });
});

describe('hostile patterns', () => {
  it('many stars against a long near-miss reference finishes (no backtracking)', () => {
    const pattern = `${'*a'.repeat(200)}*b`;
    const p = compileImagePattern(`**/${pattern}`);
    const ref = parseReference(`registry.example.com/${'a'.repeat(240)}`);
    expect(p.matches(ref)).toBe(false);
    const p2 = compileImagePattern(`${'**a'.repeat(300)}**b`);
    expect(p2.matches(ref)).toBe(false);
  });
});

describe('pattern shortcuts', () => {
  it('literal and literal/** patterns answer exactly as the automaton', async () => {
    const { compileImagePattern, matchesByAutomaton } = await import('./glob.js');
    const patterns = ['docker.io/library/nginx', 'registry.example.com/**', 'registry.example.com:5000/team/**', 'ghcr.io/org/app:1.0', 'nginx', 'nginx:1.25', 'r.io/a**', '**'];
    const subjects = [
      'docker.io/library/nginx', 'docker.io/library/nginx:1.25', 'registry.example.com/a', 'registry.example.com/', 'registry.example.com',
      'registry.example.com/a/b/c:1@sha256:' + 'a'.repeat(64), 'registry.example.com:5000/team/x', 'registry.example.com:5000/teams/x',
      'ghcr.io/org/app:1.0', 'ghcr.io/org/app:1.01', 'r.io/a', 'r.io/ab/c', 'r.io/b', '',
    ];
    for (const p of patterns) {
      const compiled = compileImagePattern(p);
      for (const s of subjects) expect(compiled.matchesString(s), `${p} ~ ${s}`).toBe(matchesByAutomaton(p, s));
    }
  });
});
