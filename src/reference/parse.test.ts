import { describe, it, expect } from 'vitest';
import { PinError } from '../errors/errors.js';
import {
  MAX_REFERENCE_LENGTH,
  effectiveTag,
  familiarName,
  formatReference,
  isValidDigest,
  normalizedName,
  parseReference,
  toFamiliarString,
  toNormalizedString,
  withDigest,
  writtenName,
} from './parse.js';
import type { ImageReference } from './image-reference.js';

const F64 = 'f'.repeat(64);
const D = `sha256:${F64}`;
const D512 = `sha512:${'f'.repeat(128)}`;
const DBCC = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const HEX64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
const NEW = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** [input, domain, path, tag, digest] */
type Valid = [string, string, string, string?, string?];
/** [input, fragment of the error message] */
type Invalid = [string, string];

/*
 * Cases marked "upstream" are taken from github.com/distribution/reference: reference_test.go
 * (TestReferenceParse, whose inputs we feed through the normalising parser, so familiar names gain
 * docker.io/library), normalize_test.go (TestValidateReferenceName, TestValidateRemoteName,
 * TestParseRepositoryInfo, TestParseReferenceWithTagAndDigest, TestParseAnyReference,
 * TestNormalizedSplitHostname).
 */
const valid: Valid[] = [
  // upstream reference_test.go TestReferenceParse
  ['test_com', 'docker.io', 'library/test_com'],
  ['test.com:tag', 'docker.io', 'library/test.com', 'tag'],
  ['test.com:5000', 'docker.io', 'library/test.com', '5000'],
  ['test.com/repo:tag', 'test.com', 'repo', 'tag'],
  ['test:5000/repo', 'test:5000', 'repo'],
  ['test:5000/repo:tag', 'test:5000', 'repo', 'tag'],
  [`test:5000/repo@${D}`, 'test:5000', 'repo', undefined, D],
  [`test:5000/repo:tag@${D}`, 'test:5000', 'repo', 'tag', D],
  ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase'],
  [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'docker.io', `${'a/'.repeat(127)}a`, 'tag-puts-this-over-max'],
  ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux'],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag'],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com'],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com'],
  [`xn--7o8h.com/myimage:xn--7o8h.com@${D512}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', D512],
  ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080'],
  ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080'],
  ['192.168.1.1', 'docker.io', 'library/192.168.1.1'],
  ['192.168.1.1:tag', 'docker.io', 'library/192.168.1.1', 'tag'],
  ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000'],
  ['192.168.1.1/repo', '192.168.1.1', 'repo'],
  ['192.168.1.1:5000/repo', '192.168.1.1:5000', 'repo'],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050'],
  ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo'],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag'],
  ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo'],
  ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag'],
  [`[2001:db8::1]:5000/repo@${D}`, '[2001:db8::1]:5000', 'repo', undefined, D],
  [`[2001:db8::1]:5000/repo:tag@${D}`, '[2001:db8::1]:5000', 'repo', 'tag', D],
  ['[2001:db8::]:5000/repo', '[2001:db8::]:5000', 'repo'],
  ['[::1]:5000/repo', '[::1]:5000', 'repo'],
  [`example.com/${'a'.repeat(255)}:tag`, 'example.com', 'a'.repeat(255), 'tag'],
  // upstream normalize_test.go TestValidateReferenceName
  ['docker/docker', 'docker.io', 'docker/docker'],
  ['library/debian', 'docker.io', 'library/debian'],
  ['debian', 'docker.io', 'library/debian'],
  ['docker.io/docker/docker', 'docker.io', 'docker/docker'],
  ['docker.io/library/debian', 'docker.io', 'library/debian'],
  ['docker.io/debian', 'docker.io', 'library/debian'],
  ['index.docker.io/docker/docker', 'docker.io', 'docker/docker'],
  ['index.docker.io/library/debian', 'docker.io', 'library/debian'],
  ['index.docker.io/debian', 'docker.io', 'library/debian'],
  ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker'],
  ['127.0.0.1:5000/library/debian', '127.0.0.1:5000', 'library/debian'],
  ['127.0.0.1:5000/debian', '127.0.0.1:5000', 'debian'],
  ['192.168.0.1', 'docker.io', 'library/192.168.0.1'],
  ['192.168.0.1:80', 'docker.io', 'library/192.168.0.1', '80'],
  ['192.168.0.1:8/debian', '192.168.0.1:8', 'debian'],
  ['192.168.0.2:25000/debian', '192.168.0.2:25000', 'debian'],
  ['thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'docker.io', 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev'],
  ['[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker'],
  ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000', 'docker/docker'],
  ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000', 'library/debian'],
  [`docker.io/${HEX64}`, 'docker.io', `library/${HEX64}`],
  ['Docker/docker', 'Docker', 'docker'],
  ['DOCKER/docker', 'DOCKER', 'docker'],
  // upstream normalize_test.go TestValidateRemoteName
  ['docker-rules/docker', 'docker.io', 'docker-rules/docker'],
  ['docker---rules/docker', 'docker.io', 'docker---rules/docker'],
  ['doc/docker', 'docker.io', 'doc/docker'],
  ['d/docker', 'docker.io', 'd/docker'],
  ['jess/t', 'docker.io', 'jess/t'],
  ['dock__er/docker', 'docker.io', 'dock__er/docker'],
  // upstream normalize_test.go TestParseRepositoryInfo / TestNormalizedSplitHostname
  ['fooo/bar', 'docker.io', 'fooo/bar'],
  ['index.docker.io/fooo/bar', 'docker.io', 'fooo/bar'],
  ['ubuntu-12.04-base', 'docker.io', 'library/ubuntu-12.04-base'],
  ['nonlibrary/ubuntu', 'docker.io', 'nonlibrary/ubuntu'],
  ['other/library', 'docker.io', 'other/library'],
  ['library/foo/bar', 'docker.io', 'library/foo/bar'],
  ['store/foo/bar', 'docker.io', 'store/foo/bar'],
  ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000', 'private/moonbase'],
  ['example.com:8000/privatebasee', 'example.com:8000', 'privatebasee'],
  ['test-com:8080/foo', 'test-com:8080', 'foo'],
  ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
  ['docker/migrator', 'docker.io', 'docker/migrator'],
  ['Foo/bar', 'Foo', 'bar'],
  // upstream normalize_test.go TestParseReferenceWithTagAndDigest / TestParseAnyReference
  [
    'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
    'docker.io',
    'library/busybox',
    'latest',
    'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
  ],
  [`redis@${DBCC}`, 'docker.io', 'library/redis', undefined, DBCC],
  [`dmcgowan/myapp@${DBCC}`, 'docker.io', 'dmcgowan/myapp', undefined, DBCC],
  ['dmcgowan/myapp:latest', 'docker.io', 'dmcgowan/myapp', 'latest'],
  ['dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9', 'docker.io', 'library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9'],
  ['dbcc1', 'docker.io', 'library/dbcc1'],
  // ours
  ['nginx', 'docker.io', 'library/nginx'],
  ['nginx:1.25', 'docker.io', 'library/nginx', '1.25'],
  [`nginx:1.25@${D}`, 'docker.io', 'library/nginx', '1.25', D],
  ['localhost/app', 'localhost', 'app'],
  ['localhost:5000/x', 'localhost:5000', 'x'],
  ['localhost:5000', 'docker.io', 'library/localhost', '5000'],
  ['localhost', 'docker.io', 'library/localhost'],
  ['127.0.0.1:5000/a/b', '127.0.0.1:5000', 'a/b'],
  ['[::1]:5000/x', '[::1]:5000', 'x'],
  ['ghcr.io/org/app:v1.2.3', 'ghcr.io', 'org/app', 'v1.2.3'],
  [`app:${'t'.repeat(128)}`, 'docker.io', 'library/app', 't'.repeat(128)],
  ['app:_x', 'docker.io', 'library/app', '_x'],
  [`app@sha384:${'a'.repeat(96)}`, 'docker.io', 'library/app', undefined, `sha384:${'a'.repeat(96)}`],
  [`${HEX64}:tag`, 'docker.io', `library/${HEX64}`, 'tag'],
  ['registry-1.docker.io/library/x', 'registry-1.docker.io', 'library/x'],
  ['a/b__c_d.e-f---g', 'docker.io', 'a/b__c_d.e-f---g'],
  ['my.registry:443/team/sub/app:2024.01', 'my.registry:443', 'team/sub/app', '2024.01'],
  [`docker.io/library/${'a'.repeat(247)}`, 'docker.io', `library/${'a'.repeat(247)}`],
];

const invalid: Invalid[] = [
  // upstream reference_test.go TestReferenceParse
  ['', 'empty'],
  [':justtag', 'no repository name before ":"'],
  [`@${D}`, 'no repository name before "@"'],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'sha256 digest of 34 hex digits; it must have exactly 64'],
  [`validname@invaliddigest:${F64}`, 'unsupported digest algorithm "invaliddigest"'],
  ['Uppercase:tag', 'repository name "Uppercase" must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'repository name "Uppercase/lowercase" must be lowercase'],
  [`domain/${'a'.repeat(256)}:tag`, 'at most 255'],
  ['aa/asdf$$^/aa', 'the character "$" in path component "asdf$$^"'],
  ['[2001:db8::1]', 'no "/repository" after it'],
  ['[2001:db8::1]:5000', 'no "/repository" after it'],
  ['[2001:db8::1]:tag', 'no "/repository" after it'],
  ['[fe80::1%eth0]:5000/repo', 'no zone IDs'],
  ['[fe80::1%@invalidzone]:5000/repo', 'digest algorithm'],
  // upstream normalize_test.go TestValidateReferenceName
  ['https://github.com/docker/docker', 'looks like a URL'],
  ['docker/Docker', 'repository name "docker/Docker" must be lowercase'],
  ['-docker', 'path component "-docker", which must start with a lowercase letter or digit'],
  ['-docker/docker', 'must start with a lowercase letter or digit'],
  ['-docker.io/docker/docker', 'must not start or end with "-"'],
  ['docker///docker', 'empty path component'],
  ['docker.io/docker/Docker', 'repository name "docker/Docker" must be lowercase'],
  ['docker.io/docker///docker', 'empty path component'],
  ['[fc00::1]', 'no "/repository" after it'],
  ['[fc00::1]:5000', 'no "/repository" after it'],
  ['fc00::1:5000/debian', 'invalid port "::1:5000"'],
  ['[fe80::1%eth0]:5000/debian', 'no zone IDs'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'no embedded IPv4'],
  [HEX64, '64-digit hexadecimal string'],
  // upstream normalize_test.go TestValidateRemoteName
  ['docker-/docker', 'path component "docker-", which must end with a lowercase letter or digit'],
  ['-docker-/docker', 'must start with a lowercase letter or digit'],
  ['____/____', 'path component "____", which must start'],
  ['_docker/_docker', 'path component "_docker", which must start'],
  ['dock..er/docker', 'empty label'],
  ['dock_.er/docker', 'containing "_"'],
  ['dock-.er/docker', 'must not start or end with "-"'],
  ['docker/', 'empty path component'],
  [
    'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
    'at most 255',
  ],
  // ours: separators, whitespace, structure
  ['a-_b/c', 'separator "-_"'],
  ['a__.b', 'separator "__."'],
  ['a___b', 'separator "___"'],
  ['a..b', 'separator ".."'],
  ['nginx ', 'whitespace at position 6'],
  [' nginx', 'whitespace at position 1'],
  ['nginx:\t1.25', 'whitespace at position 7'],
  ['ng\ninx', 'whitespace at position 3'],
  ['ng\u0000inx', 'control character U+0000 at position 3'],
  ['ngïnx', 'non-ASCII character "ï"'],
  ['nginx\u00a0', 'whitespace'],
  ['::', 'empty tag'],
  ['nginx:', 'empty tag'],
  ['nginx@', 'empty digest'],
  ['/nginx', 'empty path component'],
  ['nginx/', 'empty path component'],
  ['a//b', 'empty path component'],
  ['.nginx', 'must start with a lowercase letter or digit'],
  ['nginx.', 'must end with a lowercase letter or digit'],
  ['nginx:1.25:extra', 'the character ":" in path component "nginx:1.25"'],
  ['nginx:-x', 'tag "-x", which must start with a letter, digit or "_"'],
  ['nginx:.x', 'must start with a letter, digit or "_"'],
  ['nginx:a+b', 'tag "a+b" containing "+"'],
  [`nginx:${'t'.repeat(129)}`, 'tag of 129 characters; at most 128'],
  [`nginx@sha256:${'F'.repeat(64)}`, 'uppercase hex digits'],
  [`nginx@sha256:${'f'.repeat(63)}g`, 'containing "g"'],
  [`nginx@sha256:${'f'.repeat(65)}`, '65 hex digits'],
  ['nginx@sha256:', 'not of the form algorithm:hex'],
  [`nginx@:${F64}`, 'not of the form algorithm:hex'],
  [`nginx@${F64}`, 'not of the form algorithm:hex'],
  [`nginx@md5:${'f'.repeat(32)}`, 'unsupported digest algorithm "md5"'],
  [`nginx@SHA256:${F64}`, 'unsupported digest algorithm "SHA256"'],
  [`nginx@1sha:${F64}`, 'digest algorithm "1sha", which is malformed'],
  [`nginx@${D}@${D}`, 'containing "@"'],
  [`nginx:1@2:${F64}`, 'digest algorithm "2", which is malformed'],
  ['NGINX', 'repository name "NGINX" must be lowercase'],
  ['ghcr.io/Org/app', 'repository name "Org/app" must be lowercase'],
  ['foo_bar.com/app', 'registry host "foo_bar.com" containing "_"'],
  ['registry:port/app', 'invalid port ":port"'],
  ['registry:/app', 'invalid port ":"'],
  ['[::1/app', 'without a closing "]"'],
  ['[]:5000/app', 'only hex digits and ":"'],
  ['[::1]x/app', 'invalid port "x"'],
  [':5000/app', 'empty host name'],
  ['.example.com/app', 'empty label'],
  ['a/b:c/d', 'the character ":" in path component'],
  ['nginx:latest/extra', 'invalid port ":latest"'],
  [`${'a'.repeat(248)}`, 'at most 255'],
  [`docker.io/library/${'a'.repeat(248)}`, 'at most 255'],
];

describe('parseReference: valid references', () => {
  it('has a large table', () => {
    expect(valid.length + invalid.length).toBeGreaterThanOrEqual(80);
  });

  it.each(valid)('%s', (input, domain, path, tag, digest) => {
    const ref = parseReference(input);
    expect(ref.original).toBe(input);
    expect(ref.domain).toBe(domain);
    expect(ref.path).toBe(path);
    expect(ref.repository).toBe(`${domain}/${path}`);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
    // Round trip: the normalised string parses to the same repository, tag and digest.
    const again = parseReference(toNormalizedString(ref));
    expect(again.repository).toBe(ref.repository);
    expect(again.digest).toBe(ref.digest);
    expect(again.tag).toBe(effectiveTag(ref));
  });
});

describe('parseReference: invalid references', () => {
  it.each(invalid)('%j', (input, fragment) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PinError);
    const e = caught as PinError;
    expect(e.code).toBe('REFERENCE_INVALID');
    expect(e.message).toContain(fragment);
    expect(e.message.startsWith('invalid image reference ')).toBe(true);
    expect(e.hint).toBeTruthy();
  });

  it('quotes the input in the message', () => {
    expect(() => parseReference('Nginx:1.25')).toThrow('invalid image reference "Nginx:1.25": the repository name "Nginx" must be lowercase');
  });

  it('suggests the lowercase spelling in the hint', () => {
    try {
      parseReference('ghcr.io/Org/App:v1');
      expect.unreachable();
    } catch (e) {
      expect((e as PinError).hint).toContain('"org/app"');
      expect((e as PinError).image).toBe('ghcr.io/Org/App:v1');
    }
  });

  it('rejects non-strings', () => {
    expect(() => parseReference(undefined as unknown as string)).toThrow(PinError);
    expect(() => parseReference(42 as unknown as string)).toThrow(/expected a string, got number/);
  });
});

describe('parseReference: hostile input', () => {
  it('rejects a 1 MB string before parsing, with a short message', () => {
    const huge = 'a'.repeat(1024 * 1024);
    let caught: PinError | undefined;
    try {
      parseReference(huge);
    } catch (e) {
      caught = e as PinError;
    }
    expect(caught?.code).toBe('REFERENCE_INVALID');
    expect(caught?.message).toContain(`${MAX_REFERENCE_LENGTH}-character limit`);
    expect(caught?.message).toContain('(1048576 characters)');
    expect(caught!.message.length).toBeLessThan(400);
    expect((caught?.image ?? '').length).toBeLessThan(200);
  });

  it('rejects a 1 MB string of colons', () => {
    expect(() => parseReference(':'.repeat(1024 * 1024))).toThrow(PinError);
  });

  it('rejects adversarial strings just under the length limit', () => {
    const n = MAX_REFERENCE_LENGTH;
    const inputs = [
      ':'.repeat(n),
      'a:'.repeat(n / 2),
      'a-'.repeat(n / 2 - 1) + '!',
      `${'a.'.repeat(n / 2 - 2)}a/`,
      `[${':'.repeat(n - 10)}]/x!`,
      `x@sha256:${'f'.repeat(n - 20)}`,
      `${'a/'.repeat(n / 2 - 1)}A`,
      `${'a_'.repeat(n / 2 - 1)}_`,
    ];
    for (const s of inputs) {
      expect(s.length).toBeLessThanOrEqual(n);
      expect(() => parseReference(s)).toThrow(PinError);
    }
  });

  it('escapes control characters when quoting input', () => {
    try {
      parseReference('a\u001b[31mred');
      expect.unreachable();
    } catch (e) {
      expect((e as PinError).message).not.toContain('\u001b');
      expect((e as PinError).message).toContain('\\u001b');
    }
  });
});

describe('formatting', () => {
  it('normalizedName is the repository (the Notary GUN)', () => {
    expect(normalizedName(parseReference('nginx:1.25'))).toBe('docker.io/library/nginx');
    expect(normalizedName(parseReference('127.0.0.1:5000/a/b@' + D))).toBe('127.0.0.1:5000/a/b');
  });

  it('effectiveTag defaults to latest only without tag and digest', () => {
    expect(effectiveTag(parseReference('nginx'))).toBe('latest');
    expect(effectiveTag(parseReference('nginx:1.25'))).toBe('1.25');
    expect(effectiveTag(parseReference(`nginx@${D}`))).toBeUndefined();
    expect(effectiveTag(parseReference(`nginx:1.25@${D}`))).toBe('1.25');
  });

  it('toNormalizedString', () => {
    expect(toNormalizedString(parseReference('nginx'))).toBe('docker.io/library/nginx:latest');
    expect(toNormalizedString(parseReference('nginx:1.25'))).toBe('docker.io/library/nginx:1.25');
    expect(toNormalizedString(parseReference(`nginx@${D}`))).toBe(`docker.io/library/nginx@${D}`);
    expect(toNormalizedString(parseReference(`nginx:1.25@${D}`))).toBe(`docker.io/library/nginx:1.25@${D}`);
    expect(toNormalizedString(parseReference(`127.0.0.1:5000/app@${D}`))).toBe(`127.0.0.1:5000/app@${D}`);
    expect(toNormalizedString(parseReference('index.docker.io/org/app:v1'))).toBe('docker.io/org/app:v1');
  });

  // upstream normalize_test.go TestParseRepositoryInfo: FamiliarName
  it.each([
    ['fooo/bar', 'fooo/bar'],
    ['docker.io/fooo/bar', 'fooo/bar'],
    ['index.docker.io/fooo/bar', 'fooo/bar'],
    ['library/ubuntu', 'ubuntu'],
    ['docker.io/library/ubuntu', 'ubuntu'],
    ['ubuntu', 'ubuntu'],
    ['docker.io/foo', 'foo'],
    ['library/foo/bar', 'library/foo/bar'],
    ['store/foo/bar', 'store/foo/bar'],
    ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase'],
    ['example.com/privatebase', 'example.com/privatebase'],
    ['Foo/bar', 'Foo/bar'],
    ['localhost/library/x', 'localhost/library/x'],
  ])('familiarName(%s) = %s', (input, familiar) => {
    expect(familiarName(parseReference(input))).toBe(familiar);
  });

  it('toFamiliarString keeps tag and digest', () => {
    // upstream normalize_test.go TestParseReferenceWithTagAndDigest
    const s = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    expect(toFamiliarString(parseReference(s))).toBe(s);
    expect(toFamiliarString(parseReference(`docker.io/library/${s}`))).toBe(s);
  });

  it('writtenName is the name part exactly as written', () => {
    expect(writtenName(parseReference('nginx:1.25'))).toBe('nginx');
    expect(writtenName(parseReference('docker.io/nginx'))).toBe('docker.io/nginx');
    expect(writtenName(parseReference(`index.docker.io/library/nginx:1@${D}`))).toBe('index.docker.io/library/nginx');
    expect(writtenName(parseReference('localhost:5000/app:v1'))).toBe('localhost:5000/app');
    expect(writtenName(parseReference(`${HEX64}:tag`))).toBe(HEX64);
  });

  it('writtenName falls back to the repository when original does not spell it', () => {
    const forged: ImageReference = { original: 'evil/app:1', domain: 'ghcr.io', path: 'org/app', repository: 'ghcr.io/org/app', tag: '1' };
    expect(writtenName(forged)).toBe('ghcr.io/org/app');
    const garbage: ImageReference = { original: '::', domain: 'ghcr.io', path: 'org/app', repository: 'ghcr.io/org/app' };
    expect(writtenName(garbage)).toBe('ghcr.io/org/app');
  });

  describe('withDigest', () => {
    it.each([
      ['nginx:1.25', true, `nginx:1.25@${NEW}`],
      ['nginx:1.25', false, `nginx@${NEW}`],
      ['nginx', true, `nginx:latest@${NEW}`],
      ['nginx', false, `nginx@${NEW}`],
      [`nginx:1.25@${D}`, true, `nginx:1.25@${NEW}`],
      [`nginx@${D}`, true, `nginx@${NEW}`],
      ['library/nginx:1', true, `library/nginx:1@${NEW}`],
      ['docker.io/library/nginx:1', true, `docker.io/library/nginx:1@${NEW}`],
      ['index.docker.io/org/app:v2', false, `index.docker.io/org/app@${NEW}`],
      ['127.0.0.1:5000/app:v1', true, `127.0.0.1:5000/app:v1@${NEW}`],
      ['[::1]:5000/x:t', true, `[::1]:5000/x:t@${NEW}`],
      ['localhost:5000', true, `localhost:5000@${NEW}`],
    ] as const)('%s keepTag=%s → %s', (input, keepTag, out) => {
      const ref = parseReference(input);
      const pinned = withDigest(ref, NEW, keepTag);
      expect(pinned).toBe(out);
      // The result is itself a valid reference for the same repository.
      const back = parseReference(pinned);
      expect(back.repository).toBe(ref.repository);
      expect(back.digest).toBe(NEW);
    });

    it('rejects an invalid digest', () => {
      const ref = parseReference('nginx:1.25');
      expect(() => withDigest(ref, 'sha256:abc', true)).toThrow(/cannot pin "nginx:1.25" to "sha256:abc"/);
      expect(() => withDigest(ref, `sha256:${'A'.repeat(64)}`, true)).toThrow(PinError);
      expect(() => withDigest(ref, `nginx@${D}`, true)).toThrow(PinError);
    });
  });

  it('formatReference options', () => {
    const ref = parseReference(`nginx:1.25@${D}`);
    expect(formatReference(ref)).toBe(`docker.io/library/nginx:1.25@${D}`);
    expect(formatReference(ref, { name: 'familiar', digest: null })).toBe('nginx:1.25');
    expect(formatReference(ref, { name: 'written', tag: 'drop' })).toBe(`nginx@${D}`);
    expect(formatReference(parseReference('nginx'), { tag: 'effective', name: 'familiar' })).toBe('nginx:latest');
    expect(formatReference(parseReference('nginx'), { tag: 'keep' })).toBe('docker.io/library/nginx');
  });

  it('isValidDigest follows go-digest', () => {
    expect(isValidDigest(D)).toBe(true);
    expect(isValidDigest(D512)).toBe(true);
    expect(isValidDigest(`sha384:${'0'.repeat(96)}`)).toBe(true);
    expect(isValidDigest(`sha256:${'0'.repeat(63)}`)).toBe(false);
    expect(isValidDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isValidDigest(`sha512:${'f'.repeat(64)}`)).toBe(false);
    expect(isValidDigest('sha256')).toBe(false);
    expect(isValidDigest(`sha256+b64:${'f'.repeat(64)}`)).toBe(false);
  });
});
