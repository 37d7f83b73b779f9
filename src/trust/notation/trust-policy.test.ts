/**
 * Trust policy parsing: every notation e2e trust policy (test/fixtures/notation/trustpolicies)
 * with its parse verdict, and the rules one by one; statement selection.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { parseTrustPolicy, statementFor } from './trust-policy.js';

const DIR = new URL('../../../test/fixtures/notation/trustpolicies/notation-e2e/', import.meta.url);

/** Documents notary-pin refuses, with the rule each breaks. */
const REJECTED: Record<string, RegExp> = {
  invalid_format_trustpolicy: /is not JSON/,
  empty_registry_scope_trustpolicy: /registryScopes must be a non-empty array/,
  malformed_registry_scope_trustpolicy: /not a fully qualified repository/,
  wildcard_plus_other_registry_scope_trustpolicy: /mixes "\*" with other scopes/,
  multi_statements_with_multi_wildcard_registry_scope_trustpolicy: /both use the registry scope "\*"/,
  multi_statements_with_the_same_name_trustpolicy: /two statements are named "e2e"/,
  multi_statements_with_the_same_registry_scope_trustpolicy: /is in both statements/,
  overlapped_registry_scope_trustpolicy: /is listed twice/,
  malformed_trust_store_trustpolicy: /trust store "ca:" has an invalid name/,
  wildcard_trust_store_trustpolicy: /trust store "\*" must be ca:<name>/,
  // notation's e2e does not check duplicate stores (its test is skipped); we refuse them.
  overlapped_trust_store_trustpolicy: /trust store "ca:e2e" is listed twice/,
  unset_trust_store_trustpolicy: /trustStores must be a non-empty array/,
  malformed_trusted_identity_trustpolicy: /does not start with "x509.subject:"/,
  empty_trusted_identity_trustpolicy: /not a non-empty string/,
  unset_trusted_identity_trustpolicy: /trustedIdentities must be a non-empty array/,
  missing_country_trusted_identity_trustpolicy: /lacks C=/,
  missing_state_trusted_identity_trustpolicy: /lacks ST=/,
  missing_organization_trusted_identity_trustpolicy: /lacks O=/,
  wildcard_plus_other_trusted_identity_trustpolicy: /mixes "\*" with other identities/,
  overlapped_trusted_identity_trustpolicy: /overlap/,
  override_integrity_for_permissive_trustpolicy: /cannot change integrity/,
  // The spec (trust-store-trust-policy §Signature Verification details) forbids skip with "*";
  // notation's e2e fixture uses it anyway. Fail closed: refused.
  skip_trustpolicy: /level skip cannot be used with the registry scope "\*"/,
  // A blob trust policy (no registryScopes, globalPolicy) is not an OCI trust policy.
  blob_trust_policy: /registryScopes must be a non-empty array/,
};

/** Documents that parse: the valid ones, plus three whose problem only shows at verification. */
const ACCEPTED = [
  'any_registry_scope_trust_policy', 'audit_trustpolicy', 'generate_test_trustpolicy',
  'invalid_registry_scope_trustpolicy', // valid document; it just does not cover the repository verified
  'invalid_trust_store_trustpolicy', // valid document; the store is missing at verification
  'invalid_trusted_identity_trustpolicy', // valid document; C=USB matches no signer
  'multi_statements_with_wildcard_registry_scope_trustpolicy', 'multiple_registry_scope_trustpolicy',
  'multiple_trust_store_trustpolicy', 'multiple_trusted_identity_trustpolicy', 'override_audit_trustpolicy',
  'override_permissive_trustpolicy', 'override_strict_trustpolicy', 'permissive_trustpolicy', 'quickstart_trustpolicy',
  'registry_scope_trustpolicy', 'timestamp_after_cert_expiry_trustpolicy', 'timestamp_trustpolicy', 'trustpolicy',
  'valid_trusted_identity_trustpolicy',
];

const load = (name: string) => readFileSync(new URL(`${name}.json`, DIR), 'utf8');

function parseError(input: unknown): PinError {
  try {
    parseTrustPolicy(input, 'test.json');
  } catch (e) {
    if (e instanceof PinError) return e;
    throw e;
  }
  throw new Error('expected the policy to be refused');
}

describe('parseTrustPolicy: notation e2e trust policies', () => {
  it('covers every fixture', () => {
    const files = readdirSync(DIR).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual([...Object.keys(REJECTED), ...ACCEPTED].sort());
  });
  it.each(Object.entries(REJECTED))('refuses %s', (name, why) => {
    const e = parseError(load(name));
    expect(e.code).toBe('NOTATION_POLICY');
    expect(e.message).toMatch(why);
    expect(e.message).toContain('test.json');
    expect(e.hint).toBeTruthy();
  });
  it.each(ACCEPTED)('accepts %s', (name) => {
    const doc = parseTrustPolicy(load(name), name);
    expect(doc.version).toBe('1.0');
    expect(doc.trustPolicies.length).toBeGreaterThan(0);
  });
  it('keeps levels, overrides and verifyTimestamp', () => {
    const doc = parseTrustPolicy(load('override_permissive_trustpolicy'), 'x');
    expect(doc.trustPolicies[0]!.signatureVerification).toEqual({
      level: 'permissive',
      override: { revocation: 'enforce', expiry: 'enforce', authenticTimestamp: 'enforce', authenticity: 'log' },
      verifyTimestamp: undefined,
    });
    expect(parseTrustPolicy(load('timestamp_after_cert_expiry_trustpolicy'), 'x').trustPolicies[0]!.signatureVerification.verifyTimestamp).toBe('afterCertExpiry');
  });
});

const stmt = (extra: Record<string, unknown> = {}) => ({
  name: 's',
  registryScopes: ['registry.example.com/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme'],
  trustedIdentities: ['*'],
  ...extra,
});
const doc = (...statements: unknown[]) => ({ version: '1.0', trustPolicies: statements });

describe('parseTrustPolicy: rules', () => {
  it.each([
    ['version other than 1.0', { version: '2.0', trustPolicies: [stmt()] }, /version must be "1.0"/],
    ['unknown top-level field', { ...doc(stmt()), extra: 1 }, /unknown field "extra"/],
    ['unknown statement field', doc(stmt({ globalPolicy: true })), /unknown field "globalPolicy"/],
    ['no statements', doc(), /non-empty array/],
    ['scope without registry host', doc(stmt({ registryScopes: ['library/nginx'] })), /does not start with a registry host/],
    ['scope with a tag', doc(stmt({ registryScopes: ['registry.example.com/app:v1'] })), /registry scope/],
    ['scope with uppercase', doc(stmt({ registryScopes: ['registry.example.com/App'] })), /registry scope/],
    ['unknown level', doc(stmt({ signatureVerification: { level: 'lenient' } })), /level must be one of/],
    ['authenticity: skip', doc(stmt({ signatureVerification: { level: 'strict', override: { authenticity: 'skip' } } })), /authenticity must be one of enforce, log/],
    ['authenticTimestamp: skip', doc(stmt({ signatureVerification: { level: 'strict', override: { authenticTimestamp: 'skip' } } })), /authenticTimestamp must be one of enforce, log/],
    ['expiry: skip', doc(stmt({ signatureVerification: { level: 'strict', override: { expiry: 'skip' } } })), /expiry must be one of enforce, log/],
    ['prototype key as override', doc(stmt({ signatureVerification: { level: 'strict', override: JSON.parse('{"toString":"log"}') } })), /unknown check "toString"/],
    ['unknown override', doc(stmt({ signatureVerification: { level: 'strict', override: { freshness: 'log' } } })), /unknown check "freshness"/],
    ['override on skip', doc(stmt({ signatureVerification: { level: 'skip', override: { revocation: 'log' } }, trustStores: undefined, trustedIdentities: undefined })), /skip cannot be customised/],
    ['verifyTimestamp value', doc(stmt({ signatureVerification: { level: 'strict', verifyTimestamp: 'never' } })), /verifyTimestamp must be/],
    ['store type', doc(stmt({ trustStores: ['x509:acme'] })), /must be ca:<name>/],
    ['store name with a path', doc(stmt({ trustStores: ['ca:../etc'] })), /invalid name/],
    ['only a tsa store', doc(stmt({ trustStores: ['tsa:acme'] })), /needs a ca: or signingAuthority: store/],
    ['skip with stores', doc(stmt({ signatureVerification: { level: 'skip' } })), /must not list trustStores/],
    ['multi-valued RDN', doc(stmt({ trustedIdentities: ['x509.subject: C=US+ST=WA, O=a'] })), /multi-valued RDN/],
    ['repeated attribute', doc(stmt({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=a, O=b'] })), /more than once/],
    ['duplicate identities', doc(stmt({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=a', 'x509.subject: O=a, ST=WA, C=US'] })), /overlap/],
    ['not JSON', 'version: 1.0', /not JSON/],
  ])('refuses %s', (_, input, why) => {
    expect(parseError(input).message).toMatch(why);
  });

  it('accepts S= for state, escapes, skip statements for exact scopes', () => {
    const d = parseTrustPolicy(
      doc(
        stmt({ trustedIdentities: ['x509.subject: C=US, S=WA, O=Acme\\, Inc., CN=a', 'x509.subject: C=US, ST=WA, O=Acme\\, Inc., CN=b'] }),
        { name: 'unsigned', registryScopes: ['registry.example.com/public'], signatureVerification: { level: 'skip' } },
      ),
      'x',
    );
    expect(d.trustPolicies[1]!.trustStores).toEqual([]);
  });
});

describe('statementFor', () => {
  const d = parseTrustPolicy(load('multi_statements_with_wildcard_registry_scope_trustpolicy'), 'x');
  it('prefers the exact scope to "*"', () => {
    expect(statementFor(d, 'localhost:5000/test-repo9').name).toBe('e2e');
    expect(statementFor(d, 'localhost:5000/other').name).toBe('e2e2');
  });
  it('fails with a hint when no statement applies', () => {
    const only = parseTrustPolicy(load('invalid_registry_scope_trustpolicy'), 'x');
    expect(statementFor(only, 'localhost:5000/invalid-test-repo').name).toBe('e2e');
    let e: unknown;
    try {
      statementFor(only, 'localhost:5000/test-repo');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe('NOTATION_POLICY');
    expect((e as PinError).hint).toMatch(/registryScopes/);
  });
});
