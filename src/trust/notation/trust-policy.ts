/**
 * Notation OCI trust policy documents (`trustpolicy.json` / `trustpolicy.oci.json`), validated
 * strictly, and the choice of the statement that applies to a repository.
 * Notary Project trust-store-trust-policy §Trust Policy (v1.0).
 */
import { PinError } from '../../errors/errors.js';
import { MAX_PATH_LENGTH, checkDomain, checkPath } from '../../reference/grammar.js';
import type {
  TrustPolicyDocument,
  TrustPolicyStatement,
  ValidationAction,
  ValidationType,
  VerificationLevel,
} from './contracts.js';
import { formatDn, isSubsetOf, parseTrustedIdentity, type DistinguishedName } from './trusted-identity.js';

const MAX_STATEMENTS = 1000;
const MAX_LIST = 1000;
const LEVELS: readonly VerificationLevel[] = ['strict', 'permissive', 'audit', 'skip'];
/** trust-store-trust-policy §Custom Verification Level: which actions each override key accepts. */
const OVERRIDES: Readonly<Record<Exclude<ValidationType, 'integrity'>, readonly ValidationAction[]>> = {
  authenticity: ['enforce', 'log'],
  authenticTimestamp: ['enforce', 'log'],
  expiry: ['enforce', 'log'],
  revocation: ['enforce', 'log', 'skip'],
};
const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'] as const;
/** Named store names as notation accepts them (and safe as one path component). */
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;
const STATEMENT_KEYS = new Set(['name', 'registryScopes', 'signatureVerification', 'trustStores', 'trustedIdentities']);
const HINT = 'fix the trust policy document (Notary Project trust policy v1.0, as `notation policy import` accepts it)';

type Fail = (what: string) => never;

function failer(source: string): Fail {
  return (what: string) => {
    throw new PinError({ code: 'NOTATION_POLICY', message: `Notation trust policy ${source}: ${what}`, hint: HINT });
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown, what: string, fail: Fail, required: boolean): string[] {
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || v.length === 0) fail(`${what} must be a non-empty array of strings`);
  if (v.length > MAX_LIST) fail(`${what} has more than ${MAX_LIST} entries`);
  for (const s of v) if (typeof s !== 'string' || s === '') fail(`${what} has an entry that is not a non-empty string`);
  return v as string[];
}

/** A fully qualified repository (`host[:port]/path`), or the reason it is not one. */
export function checkRegistryScope(scope: string): string | undefined {
  const slash = scope.indexOf('/');
  if (slash <= 0) return 'is not a fully qualified repository (registry/path)';
  const domain = scope.slice(0, slash);
  const path = scope.slice(slash + 1);
  if (!domain.includes('.') && !domain.includes(':') && domain !== 'localhost')
    return `does not start with a registry host ("${domain}" has no "." or ":" and is not localhost)`;
  if (path.length > MAX_PATH_LENGTH) return `has a repository path longer than ${MAX_PATH_LENGTH} characters`;
  return checkDomain(domain) ?? checkPath(path);
}

function parseScopes(v: unknown, where: string, fail: Fail): string[] {
  const scopes = stringList(v, `${where}: registryScopes`, fail, true);
  if (scopes.includes('*')) {
    if (scopes.length > 1) fail(`${where}: registryScopes mixes "*" with other scopes; "*" must be the only one`);
    return scopes;
  }
  const seen = new Set<string>();
  for (const s of scopes) {
    const reason = checkRegistryScope(s);
    if (reason !== undefined) fail(`${where}: registry scope "${s}" ${reason}`);
    if (seen.has(s)) fail(`${where}: registry scope "${s}" is listed twice`);
    seen.add(s);
  }
  return scopes;
}

function parseVerification(v: unknown, where: string, fail: Fail): TrustPolicyStatement['signatureVerification'] {
  if (!isObject(v)) fail(`${where}: signatureVerification must be an object with a level`);
  for (const k of Object.keys(v))
    if (!['level', 'override', 'verifyTimestamp'].includes(k)) fail(`${where}: signatureVerification has the unknown field "${k}"`);
  const level = v.level as VerificationLevel;
  if (!LEVELS.includes(level)) fail(`${where}: level must be one of ${LEVELS.join(', ')}`);
  let override: Partial<Record<Exclude<ValidationType, 'integrity'>, ValidationAction>> | undefined;
  if (v.override !== undefined) {
    if (!isObject(v.override)) fail(`${where}: override must be an object`);
    if (level === 'skip') fail(`${where}: level skip cannot be customised with override`);
    override = {};
    for (const [key, action] of Object.entries(v.override)) {
      if (key === 'integrity') fail(`${where}: override cannot change integrity (it is always enforced)`);
      const allowed = Object.hasOwn(OVERRIDES, key) ? OVERRIDES[key as keyof typeof OVERRIDES] : undefined;
      if (allowed === undefined) fail(`${where}: override has the unknown check "${key}"`);
      if (!allowed.includes(action as ValidationAction))
        fail(`${where}: override ${key} must be one of ${allowed.join(', ')}`);
      override[key as keyof typeof OVERRIDES] = action as ValidationAction;
    }
  }
  const verifyTimestamp = v.verifyTimestamp;
  if (verifyTimestamp !== undefined && verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry')
    fail(`${where}: verifyTimestamp must be "always" or "afterCertExpiry"`);
  return { level, override, verifyTimestamp: verifyTimestamp as 'always' | 'afterCertExpiry' | undefined };
}

function parseTrustStores(v: unknown, where: string, fail: Fail): string[] {
  const stores = stringList(v, `${where}: trustStores`, fail, true);
  const seen = new Set<string>();
  for (const s of stores) {
    const colon = s.indexOf(':');
    const type = s.slice(0, colon);
    if (colon <= 0 || !(STORE_TYPES as readonly string[]).includes(type))
      fail(`${where}: trust store "${s}" must be ${STORE_TYPES.map((t) => `${t}:<name>`).join(', ')}`);
    if (!STORE_NAME.test(s.slice(colon + 1)) || s.slice(colon + 1) === '.' || s.slice(colon + 1) === '..')
      fail(`${where}: trust store "${s}" has an invalid name (letters, digits, ".", "_", "-")`);
    if (seen.has(s)) fail(`${where}: trust store "${s}" is listed twice`);
    seen.add(s);
  }
  if (!stores.some((s) => !s.startsWith('tsa:'))) fail(`${where}: trustStores needs a ca: or signingAuthority: store`);
  return stores;
}

function parseIdentities(v: unknown, where: string, fail: Fail): string[] {
  const ids = stringList(v, `${where}: trustedIdentities`, fail, true);
  if (ids.includes('*')) {
    if (ids.length > 1) fail(`${where}: trustedIdentities mixes "*" with other identities; "*" must be the only one`);
    return ids;
  }
  const dns: DistinguishedName[] = [];
  for (const id of ids) {
    const dn = parseTrustedIdentity(id);
    if (typeof dn === 'string') fail(`${where}: trusted identity "${id}" ${dn}`);
    // trust-store-trust-policy §Trusted Identities Constraints: identities must not overlap.
    const other = dns.find((d) => isSubsetOf(d, dn) || isSubsetOf(dn, d));
    if (other !== undefined) fail(`${where}: trusted identities "${formatDn(other)}" and "${formatDn(dn)}" overlap`);
    dns.push(dn);
  }
  return ids;
}

function parseStatement(v: unknown, index: number, fail: Fail): TrustPolicyStatement {
  if (!isObject(v)) fail(`trustPolicies[${index}] is not an object`);
  const name = v.name;
  if (typeof name !== 'string' || name.trim() === '') fail(`trustPolicies[${index}] has no name`);
  const where = `statement "${name}"`;
  for (const k of Object.keys(v)) if (!STATEMENT_KEYS.has(k)) fail(`${where} has the unknown field "${k}"`);
  const registryScopes = parseScopes(v.registryScopes, where, fail);
  const signatureVerification = parseVerification(v.signatureVerification, where, fail);
  if (signatureVerification.level === 'skip') {
    // notation: a skip statement verifies nothing, so stores and identities would only mislead.
    if (v.trustStores !== undefined || v.trustedIdentities !== undefined)
      fail(`${where}: level skip must not list trustStores or trustedIdentities`);
    // trust-store-trust-policy §Signature Verification details: skip cannot be used with "*".
    if (registryScopes.includes('*')) fail(`${where}: level skip cannot be used with the registry scope "*"`);
    return { name, registryScopes, signatureVerification, trustStores: [], trustedIdentities: [] };
  }
  const trustStores = parseTrustStores(v.trustStores, where, fail);
  const trustedIdentities = parseIdentities(v.trustedIdentities, where, fail);
  return { name, registryScopes, signatureVerification, trustStores, trustedIdentities };
}

function parseJson(text: string, fail: Fail): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`is not JSON (${(e as Error).message})`);
  }
}

/** Parses and validates a trust policy (JSON text or value); NOTATION_POLICY says which rule is broken. */
export function parseTrustPolicy(input: unknown, source: string): TrustPolicyDocument {
  const fail: Fail = failer(source);
  const doc: unknown = typeof input === 'string' ? parseJson(input, fail) : input;
  if (!isObject(doc)) fail('is not a JSON object');
  for (const k of Object.keys(doc)) if (k !== 'version' && k !== 'trustPolicies') fail(`has the unknown field "${k}"`);
  if (doc.version !== '1.0') fail('version must be "1.0"');
  const list = doc.trustPolicies;
  if (!Array.isArray(list) || list.length === 0) fail('trustPolicies must be a non-empty array');
  if (list.length > MAX_STATEMENTS) fail(`has more than ${MAX_STATEMENTS} statements`);
  const statements = list.map((s, i) => parseStatement(s, i, fail));
  const names = new Set<string>();
  const scopeOwner = new Map<string, string>();
  for (const st of statements) {
    if (names.has(st.name)) fail(`two statements are named "${st.name}"`);
    names.add(st.name);
    for (const scope of st.registryScopes) {
      const owner = scopeOwner.get(scope);
      if (owner !== undefined)
        fail(
          scope === '*'
            ? `statements "${owner}" and "${st.name}" both use the registry scope "*"; only one may`
            : `registry scope "${scope}" is in both statements "${owner}" and "${st.name}"`,
        );
      scopeOwner.set(scope, st.name);
    }
  }
  return { version: '1.0', trustPolicies: statements };
}

/** The statement listing `repository`, else `*` (trust-store-trust-policy §Selecting a trust policy). */
export function statementFor(doc: TrustPolicyDocument, repository: string): TrustPolicyStatement {
  const exact = doc.trustPolicies.find((s) => s.registryScopes.includes(repository));
  if (exact !== undefined) return exact;
  const global = doc.trustPolicies.find((s) => s.registryScopes.includes('*'));
  if (global !== undefined) return global;
  throw new PinError({
    code: 'NOTATION_POLICY',
    message: `no Notation trust policy statement applies to ${repository}`,
    hint: `add "${repository}" to a statement's registryScopes (or add a statement with the scope "*")`,
  });
}
