/**
 * `trustedIdentities` of a Notation trust policy (`x509.subject: C=…, ST=…, O=…`) and their subset match
 * against the signing certificate's subject (Notary Project trust-store-trust-policy §Trusted Identities Constraints).
 */
import type { Name } from '@peculiar/asn1-x509';

export const X509_SUBJECT_PREFIX = 'x509.subject:';

/** A DN as attribute type → value (one value per type: multi-valued RDNs and repeats are refused). */
export type DistinguishedName = ReadonlyMap<string, string>;

/** Attribute type aliases: the spec allows `S` for state. */
const TYPE_ALIASES: Readonly<Record<string, string>> = { S: 'ST' };

/** Short names for the attribute types a certificate subject may carry (RFC 4514 and common ones). */
const OID_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'SERIALNUMBER',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

/** Splits `s` at unescaped `sep`, keeping escapes in the parts. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s.charAt(i + 1);
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Removes RFC 4514 escapes (`\,` `\;` `\\` `\ ` `\+` …, and `\XX` hex pairs). */
function unescapeValue(v: string): string {
  return v.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
}

/** Trims unescaped surrounding spaces (an escaped trailing space `\ ` stays). */
function trimUnescaped(v: string): string {
  let end = v.length;
  while (end > 0 && v.charAt(end - 1) === ' ' && !(end >= 2 && v.charAt(end - 2) === '\\')) end--;
  return v.slice(0, end).replace(/^ +/, '');
}

/** Parses `C=US, ST=WA, O=acme` into a map, or returns the reason it is not a usable DN. */
export function parseDistinguishedName(dn: string): DistinguishedName | string {
  const out = new Map<string, string>();
  for (const raw of splitUnescaped(dn, ',')) {
    const rdn = raw.trim();
    if (rdn === '') return 'has an empty RDN (a leading, trailing or doubled ",")';
    if (splitUnescaped(rdn, '+').length > 1) return `has the multi-valued RDN "${rdn}", which is not supported`;
    const eq = rdn.indexOf('=');
    if (eq <= 0) return `has "${rdn}", which is not TYPE=value`;
    const typeRaw = rdn.slice(0, eq).trim().toUpperCase();
    if (!/^[A-Z][A-Z0-9-]*$|^[0-9]+(\.[0-9]+)+$/.test(typeRaw)) return `has the attribute type "${typeRaw}"`;
    const type = TYPE_ALIASES[typeRaw] ?? typeRaw;
    const value = unescapeValue(trimUnescaped(rdn.slice(eq + 1)));
    if (value === '') return `has an empty value for ${type}`;
    if (out.has(type)) return `has the attribute ${type} more than once`;
    out.set(type, value);
  }
  return out;
}

export function attributeName(oid: string): string {
  return OID_NAMES[oid] ?? oid;
}

/** A certificate's subject (parsed X.509 Name) as a {@link DistinguishedName}, or the reason it cannot be one. */
export function nameToDn(name: Name): DistinguishedName | string {
  const out = new Map<string, string>();
  for (const rdn of name) {
    if (rdn.length !== 1) return 'has a multi-valued RDN';
    const type = attributeName(rdn[0]!.type);
    if (out.has(type)) return `has the attribute ${type} more than once`;
    out.set(type, rdn[0]!.value.toString());
  }
  return out;
}

/** An X.509 Name for messages, most specific first (`CN=…, O=…, C=…`). */
export function formatName(name: Name): string {
  return [...name]
    .reverse()
    .map((rdn) => rdn.map((a) => `${attributeName(a.type)}=${a.value.toString()}`).join('+'))
    .join(', ');
}

/** True when every attribute of `identity` is in `subject` with the same value. */
export function isSubsetOf(identity: DistinguishedName, subject: DistinguishedName): boolean {
  for (const [type, value] of identity) if (subject.get(type) !== value) return false;
  return true;
}

/** Parses one `trustedIdentities` entry (`x509.subject: …`, C, ST and O required); the DN or why it is invalid. */
export function parseTrustedIdentity(entry: string): DistinguishedName | string {
  if (!entry.startsWith(X509_SUBJECT_PREFIX)) return `does not start with "${X509_SUBJECT_PREFIX}" (and is not "*")`;
  const dn = parseDistinguishedName(entry.slice(X509_SUBJECT_PREFIX.length).trim());
  if (typeof dn === 'string') return dn;
  for (const required of ['C', 'ST', 'O']) {
    if (!dn.has(required)) return `lacks ${required}=…; C, ST (or S) and O are required`;
  }
  return dn;
}

export function formatDn(dn: DistinguishedName): string {
  return [...dn].map(([t, v]) => `${t}=${v}`).join(', ');
}
