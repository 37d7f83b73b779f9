/**
 * Linear-time checks for the pieces of the Docker image reference grammar of
 * github.com/distribution/reference (regexp.go) and go-digest. Each returns `undefined` when valid,
 * else a short reason the caller wraps into a PinError. No regex with nested quantifiers: O(n) on
 * hostile input.
 */

/** `RepositoryNameTotalLengthMax` upstream. */
export const MAX_PATH_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

/** go-digest's algorithms as Docker links them, with the lowercase hex length each requires. */
export const DIGEST_ALGORITHMS: Readonly<Record<string, number>> = Object.freeze({
  sha256: 64,
  sha384: 96,
  sha512: 128,
});

const isLowerAlnum = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isAlpha(c) || isDigit(c);
const isWord = (c: string): boolean => isAlnum(c) || c === '_';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isLowerHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f');

const q = (s: string): string => JSON.stringify(s);

function every(s: string, pred: (c: string) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!pred(s.charAt(i))) return false;
  return true;
}

/** `[a-f0-9]{64}`: an image ID, which ParseNormalizedNamed refuses as a name. */
export function isIdentifier(s: string): boolean {
  return s.length === 64 && every(s, isLowerHex);
}

/** `[a-z0-9]+((?:[._]|__|[-]+)[a-z0-9]+)*`; the caller reports uppercase first. */
export function checkPathComponent(c: string): string | undefined {
  if (c === '') return 'has an empty path component (a leading, trailing or doubled "/")';
  const n = c.length;
  if (!isLowerAlnum(c.charAt(0)) && !'._-'.includes(c.charAt(0)))
    return `has the character ${q(c.charAt(0))} in path component ${q(c)}; only a-z, 0-9, ".", "_" and "-" are allowed`;
  if (!isLowerAlnum(c.charAt(0)))
    return `has path component ${q(c)}, which must start with a lowercase letter or digit`;
  let i = 0;
  while (i < n) {
    const ch = c.charAt(i);
    if (isLowerAlnum(ch)) {
      i++;
      continue;
    }
    if (ch === '.' || ch === '_' || ch === '-') {
      let j = i;
      while (j < n && '._-'.includes(c.charAt(j))) j++;
      const sep = c.slice(i, j);
      const ok = sep === '.' || sep === '_' || sep === '__' || every(sep, (x) => x === '-');
      if (!ok)
        return `has path component ${q(c)} with the separator ${q(sep)}; between letters and digits only one ".", one or two "_", or any number of "-" are allowed`;
      if (j === n) return `has path component ${q(c)}, which must end with a lowercase letter or digit`;
      i = j;
      continue;
    }
    return `has the character ${q(ch)} in path component ${q(c)}; only a-z, 0-9, ".", "_" and "-" are allowed`;
  }
  return undefined;
}

/** A remote name (`library/nginx`); the length limit is the caller's to check. */
export function checkPath(path: string): string | undefined {
  for (const part of path.split('/')) {
    const reason = checkPathComponent(part);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** `host[:port]`: a domain name, an IPv4 address or `[IPv6]`. */
export function checkDomain(domain: string): string | undefined {
  let rest: string;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close === -1) return `has the IPv6 registry address ${q(domain)} without a closing "]"`;
    const inner = domain.slice(1, close);
    if (inner === '' || !every(inner, (c) => isHex(c) || c === ':'))
      return `has the IPv6 registry address ${q(domain.slice(0, close + 1))}; only hex digits and ":" are allowed between the brackets (no zone IDs, no embedded IPv4)`;
    rest = domain.slice(close + 1);
  } else {
    const colon = domain.indexOf(':');
    const host = colon === -1 ? domain : domain.slice(0, colon);
    rest = colon === -1 ? '' : domain.slice(colon);
    if (host === '') return `has the registry ${q(domain)} with an empty host name`;
    for (const label of host.split('.')) {
      if (label === '') return `has the registry host ${q(host)} with an empty label (a leading, trailing or doubled ".")`;
      for (let i = 0; i < label.length; i++) {
        const c = label.charAt(i);
        if (!isAlnum(c) && c !== '-')
          return `has the registry host ${q(host)} containing ${q(c)}; host names allow only letters, digits, "-" and "."`;
      }
      if (label.startsWith('-') || label.endsWith('-'))
        return `has the registry host ${q(host)}; a host name label must not start or end with "-"`;
    }
  }
  if (rest !== '') {
    const port = rest.slice(1);
    if (!rest.startsWith(':') || port === '' || !every(port, isDigit))
      return `has the registry ${q(domain)} with an invalid port ${q(rest)}; write host:port with a numeric port`;
  }
  return undefined;
}

/** `[\w][\w.-]{0,127}` (ASCII word characters). */
export function checkTag(tag: string): string | undefined {
  if (tag === '') return 'has an empty tag after ":"';
  if (tag.length > MAX_TAG_LENGTH)
    return `has a tag of ${tag.length} characters; at most ${MAX_TAG_LENGTH} are allowed`;
  if (!isWord(tag.charAt(0)))
    return `has the tag ${q(tag)}, which must start with a letter, digit or "_"`;
  for (let i = 1; i < tag.length; i++) {
    const c = tag.charAt(i);
    if (!isWord(c) && c !== '.' && c !== '-')
      return `has the tag ${q(tag)} containing ${q(c)}; tags allow only letters, digits, "_", "." and "-"`;
  }
  return undefined;
}

/** As go-digest `Digest.Validate`: a registered algorithm and exactly its hash size in lowercase hex. */
export function checkDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (digest === '') return 'has an empty digest after "@"';
  if (colon <= 0 || colon === digest.length - 1)
    return `has the digest ${q(digest)}, which is not of the form algorithm:hex (e.g. sha256:<64 hex digits>)`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!checkAlgorithmSyntax(algorithm))
    return `has the digest algorithm ${q(algorithm)}, which is malformed`;
  const size = Object.hasOwn(DIGEST_ALGORITHMS, algorithm) ? DIGEST_ALGORITHMS[algorithm] : undefined;
  if (size === undefined)
    return `has the unsupported digest algorithm ${q(algorithm)}; supported: ${Object.keys(DIGEST_ALGORITHMS).join(', ')}`;
  if (!every(hex, isHex)) {
    const bad = [...hex].find((c) => !isHex(c)) ?? '';
    return `has a ${algorithm} digest containing ${q(bad)}; the digest must be hexadecimal`;
  }
  if (hex.length !== size)
    return `has a ${algorithm} digest of ${hex.length} hex digits; it must have exactly ${size}`;
  if (!every(hex, isLowerHex)) return `has a ${algorithm} digest with uppercase hex digits; it must be lowercase`;
  return undefined;
}

function checkAlgorithmSyntax(a: string): boolean {
  // [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*
  let expectAlpha = true;
  for (let i = 0; i < a.length; i++) {
    const c = a.charAt(i);
    if (expectAlpha) {
      if (!isAlpha(c)) return false;
      expectAlpha = false;
    } else if ('-_+.'.includes(c)) {
      expectAlpha = true;
    } else if (!isAlnum(c)) {
      return false;
    }
  }
  return a.length > 0 && !expectAlpha;
}

export function isValidDigest(digest: string): boolean {
  return checkDigest(digest) === undefined;
}
