/**
 * Root metadata, TUF 5.3 "Update the root role": structure (notary `data.isValidRootStructure`) and
 * trust (notary `trustpinning.ValidateRoot` + `trustpinning.NewTrustPinChecker`).
 */
import type { X509Certificate } from 'node:crypto';
import { PinError } from '../../../errors/errors.js';
import {
  certToPem,
  chainsToCA,
  loadCertBundle,
  matchCNToGun,
  parseCert,
  validateCertificate,
  type CertProblem,
  type ParsedCert,
} from './certs.js';
import { humanDuration } from './humanize.js';
import { canonicalKeyId, makeKey, type TufKey } from './keys.js';
import { BASE_ROLES, type BaseRole } from './roles.js';
import { parseOrThrow, RootSchema, type RootJson } from './schema.js';
import {
  MAX_DECLARED_KEYS,
  MAX_ROLE_KEYS,
  readEnvelope,
  requireThreshold,
  tooMany,
  type Envelope,
  type RoleKeys,
} from './signatures.js';

/** A parsed, structurally valid root. Nothing about it is trusted yet. */
export interface ParsedRoot {
  readonly env: Envelope;
  readonly json: RootJson;
  readonly version: number;
  readonly expires: Date;
  readonly keys: ReadonlyMap<string, TufKey>;
  /** The four base roles with their keys from `keys` (notary `SignedRoot.BuildBaseRole`). */
  readonly roles: ReadonlyMap<BaseRole, RoleKeys>;
}

function malformed(gun: string, what: string, msg: string): PinError {
  return new PinError({
    code: 'TRUST_MALFORMED',
    role: 'root',
    message: `${gun}: ${what}: ${msg}`,
    hint: 'the trust server returned a root notary would reject; it may be corrupt or tampered with',
  });
}

/** Parses a root with notary's structure checks: _type "Root", version >= 1, base roles, threshold >= 1, known keys. */
export function parseRoot(bytes: Uint8Array, gun: string, what = 'root.json'): ParsedRoot {
  const env = readEnvelope(bytes, { gun, role: 'root', what });
  const json = parseOrThrow(RootSchema, env.envelope.signed, { gun, role: 'root', what });
  if (json._type !== 'Root') {
    throw new PinError({
      code: 'TRUST_MISMATCH',
      role: 'root',
      message: `${gun}: ${what} has _type "${json._type}", expected "Root"`,
      hint: 'the trust server returned another role\'s metadata as root; it is misconfigured or under attack',
    });
  }
  if (json.version < 1) throw malformed(gun, what, 'version cannot be less than 1');
  const ctx = { gun, role: 'root' };
  const declared = Object.entries(json.keys);
  if (declared.length > MAX_DECLARED_KEYS) throw tooMany(ctx, `${what}: keys`, declared.length, MAX_DECLARED_KEYS);
  const keys = new Map<string, TufKey>();
  for (const [id, k] of declared) keys.set(id, makeKey(k.keytype, k.keyval.public));
  const roles = new Map<BaseRole, RoleKeys>();
  for (const name of BASE_ROLES) {
    const r = Object.hasOwn(json.roles, name) ? json.roles[name] : undefined;
    if (!r) throw malformed(gun, what, `missing ${name} role specification`);
    if (r.threshold < 1) throw malformed(gun, what, `${name} threshold cannot be less than 1`);
    if (r.keyids.length > MAX_ROLE_KEYS) throw tooMany(ctx, `${what}: the ${name} role's key IDs`, r.keyids.length, MAX_ROLE_KEYS);
    const roleKeys = new Map<string, TufKey>();
    for (const id of r.keyids) {
      const k = keys.get(id);
      if (!k) throw malformed(gun, what, `key ID ${id} specified for ${name}, without corresponding key`);
      roleKeys.set(id, k);
    }
    roles.set(name, { name, keys: roleKeys, threshold: r.threshold });
  }
  return { env, json, version: json.version, expires: json.expires, keys, roles };
}

/** A root key's certificate bundle split as notary `parseAllCerts` does. */
interface RootCert {
  readonly key: TufKey;
  readonly leaf: ParsedCert;
  readonly intermediates: readonly ParsedCert[];
}

/** notary `parseAllCerts`: a root key's PEM bundle holds one non-CA cert, first; its CAs are intermediates. */
function parseAllCerts(root: ParsedRoot): RootCert[] {
  const out: RootCert[] = [];
  const rootRole = root.roles.get('root');
  for (const key of rootRole?.keys.values() ?? []) {
    const bundle = loadCertBundle(key.public);
    if (!bundle) continue;
    const leaves = bundle.filter((c) => !c.isCA);
    const leaf = leaves[0];
    if (leaves.length !== 1 || !leaf || bundle[0]?.isCA) continue;
    out.push({ key, leaf, intermediates: bundle.filter((c) => c.isCA) });
  }
  return out;
}

/** notary `utils.CertBundleToKey`: an x509 key of the leaf + intermediates, PEM as Go writes it. */
function bundleKey(leaf: ParsedCert, intermediates: readonly ParsedCert[]): TufKey | undefined {
  const type = leaf.x509.publicKey.asymmetricKeyType;
  const keytype = type === 'ec' ? 'ecdsa-x509' : type === 'rsa' ? 'rsa-x509' : undefined;
  if (!keytype) return undefined;
  const pem = [leaf, ...intermediates].map((c) => certToPem(c.der)).join('');
  return makeKey(keytype, new Uint8Array(Buffer.from(pem, 'latin1')));
}

function certsToKeys(certs: readonly RootCert[], ints: (c: RootCert) => readonly ParsedCert[]): Map<string, TufKey> {
  const keys = new Map<string, TufKey>();
  for (const c of certs) {
    const k = bundleKey(c.leaf, ints(c));
    if (k) keys.set(k.id, k);
  }
  return keys;
}

function describeProblem(p: CertProblem, now: Date): string {
  switch (p.kind) {
    case 'expired':
      return `expired ${humanDuration(now.getTime() - p.notAfter.getTime())} ago (${p.notAfter.toISOString()})`;
    case 'not-yet-valid':
      return `is not valid until ${p.notBefore.toISOString()} (in ${humanDuration(p.notBefore.getTime() - now.getTime())})`;
    case 'sha1':
      return 'uses a SHA-1 signature';
    case 'rsa-short':
      return `has a ${p.bits}-bit RSA key (at least 2048 needed)`;
    case 'window':
      return 'has a validity window that ends before it starts';
  }
}

/**
 * Step 2, notary `validRootLeafCerts`: leaf certs naming the GUN that pass `ValidateCertificate`. When none is
 * left, throws the most telling reason: wrong GUN (TRUST_MISMATCH), TRUST_EXPIRED, else TRUST_ROOT_UNTRUSTED.
 */
function validRootLeafCerts(certs: readonly RootCert[], gun: string, now: Date | undefined, what: string): RootCert[] {
  const valid: RootCert[] = [];
  const wrongGun: string[] = [];
  const problems: { p: CertProblem; id: string }[] = [];
  for (const c of certs) {
    if (!matchCNToGun(c.leaf.subjectCN, gun)) {
      wrongGun.push(c.leaf.subjectCN);
      continue;
    }
    const p = validateCertificate(c.leaf, now);
    if (p) {
      problems.push({ p, id: c.key.id });
      continue;
    }
    valid.push(c);
  }
  if (valid.length > 0) return valid;
  const clock = now ?? new Date();
  const timeProblem = problems.find((x) => x.p.kind === 'expired' || x.p.kind === 'not-yet-valid');
  if (timeProblem) {
    throw new PinError({
      code: 'TRUST_EXPIRED',
      role: 'root',
      message: `${gun}: the root certificate of key ${timeProblem.id} in ${what} ${describeProblem(timeProblem.p, clock)}`,
      hint: 'the repository owner must rotate the root key (notary key rotate <GUN> root) and publish; check this machine\'s clock if the date looks wrong',
    });
  }
  if (wrongGun.length > 0 && problems.length === 0) {
    throw new PinError({
      code: 'TRUST_MISMATCH',
      role: 'root',
      message: `${gun}: the root certificates in ${what} are for ${wrongGun.map((n) => JSON.stringify(n)).join(', ')}, not for this GUN`,
      hint: 'the trust server returned another repository\'s trust data; check the trust server URL and the GUN (image name) it is asked for',
    });
  }
  const first = problems[0];
  throw new PinError({
    code: 'TRUST_ROOT_UNTRUSTED',
    role: 'root',
    message:
      `${gun}: ${what} has no usable root certificate` +
      (first ? `: the certificate of key ${first.id} ${describeProblem(first.p, clock)}` : ' (root keys must be x509 certificates)'),
    hint: 'notary only accepts roots whose root keys are valid x509 certificates naming the GUN',
  });
}

/** notary `validRootIntCerts`: intermediates that pass ValidateCertificate with expiry. */
function validInts(c: RootCert, now: Date): ParsedCert[] {
  return c.intermediates.filter((i) => validateCertificate(i, now) === undefined);
}

/** The IDs a user may pin for a root: the root.json key IDs (lead) and the canonical (`notary key list`) IDs. */
export function rootKeyIdsForHint(root: ParsedRoot): { keyIds: string[]; canonicalIds: string[] } {
  const keyIds: string[] = [];
  const canonicalIds: string[] = [];
  for (const k of root.roles.get('root')?.keys.values() ?? []) {
    keyIds.push(k.id);
    const c = canonicalKeyId(k);
    if (c) canonicalIds.push(c);
  }
  return { keyIds, canonicalIds };
}

/** How to anchor a root (from `RootAnchor`), with the trusted root already parsed. */
export interface RootTrustInput {
  readonly gun: string;
  readonly now: Date;
  readonly rootKeyIds?: readonly string[];
  readonly rootCAs?: readonly X509Certificate[];
  readonly tofu: boolean;
  /** The root trusted before (notary `prevRoot`). */
  readonly trusted?: ParsedRoot;
}

/** notary `trustpinning.ValidateRoot`, four steps (TUF 5.3.4: threshold of the trusted root's keys and its own). */
export function validateRootTrust(root: ParsedRoot, input: RootTrustInput, what = 'root.json'): void {
  if (input.trusted) requireSignedByTrustedRoot(root, input.trusted, input.gun);
  const certs = validRootLeafCerts(parseAllCerts(root), input.gun, input.now, what);
  const pinned = pinnedRootCerts(root, certs, input, what);
  requireSignedByOwnRootKeys(root, pinned, input);
}

/** Step 1 (rotation, TUF 5.3.4): signed by a threshold of the trusted root's root certs, expired or not. */
function requireSignedByTrustedRoot(root: ParsedRoot, prev: ParsedRoot, gun: string): void {
  const prevCerts = parseAllCerts(prev).filter(
    (c) => matchCNToGun(c.leaf.subjectCN, gun) && validateCertificate(c.leaf, undefined) === undefined,
  );
  const prevKeys = certsToKeys(prevCerts, (c) => c.intermediates);
  requireThreshold(
    root.env,
    { name: 'root', keys: prevKeys, threshold: prev.roles.get('root')?.threshold ?? 1 },
    {
      gun,
      role: 'root',
      label: `the trusted root (version ${prev.version})`,
      hint:
        'a new root must be signed by the root keys trusted before (root rotation); this one is not: ' +
        'it may be an attack — if the owner really replaced the root keys without cross-signing, remove the cached root after verifying the new keys out of band',
    },
  );
}

/** Step 3 (`NewTrustPinChecker`): pinned key IDs, else pinned CAs, else previous root or TOFU, else untrusted. */
function pinnedRootCerts(root: ParsedRoot, certs: RootCert[], input: RootTrustInput, what: string): RootCert[] {
  const pins = input.rootKeyIds ?? [];
  const cas = input.rootCAs ?? [];
  if (pins.length > 0) return pinnedByKeyId(root, certs, pins, input, what);
  if (cas.length > 0) return pinnedByCA(certs, cas, input, what);
  // trustPinChecker.tofusCheck: allowed with a previous root, or when TOFU is enabled.
  if (input.trusted || input.tofu) return certs;
  const { keyIds, canonicalIds } = rootKeyIdsForHint(root);
  throw new PinError({
    code: 'TRUST_ROOT_UNTRUSTED',
    role: 'root',
    message: `${input.gun}: the root of trust is not pinned and trust on first use is off`,
    hint:
      `pin the root key ID from root.json in trust.rootKeys, after verifying it out of band: ${keyIds.join(', ')} ` +
      `(the ID notary's trust_pinning accepts; the \`notary key list\` ID ${canonicalIds.join(', ')} is accepted too), or set tofu: true`,
  });
}

/** trustPinChecker.certsCheck: the ID of the cert bundle key; canonical IDs are accepted too. */
function pinnedByKeyId(root: ParsedRoot, certs: RootCert[], pins: readonly string[], input: RootTrustInput, what: string): RootCert[] {
  const wanted = new Set(pins.map((p) => p.toLowerCase()));
  const pinned = certs.filter((c) => {
    const k = bundleKey(c.leaf, validInts(c, input.now));
    const canon = canonicalKeyId(c.key);
    return (k && wanted.has(k.id)) || wanted.has(c.key.id) || (canon !== undefined && wanted.has(canon));
  });
  if (pinned.length > 0) return pinned;
  const { keyIds, canonicalIds } = rootKeyIdsForHint(root);
  throw new PinError({
    code: 'TRUST_ROOT_UNTRUSTED',
    role: 'root',
    message: `${input.gun}: none of the root keys in ${what} is pinned (pinned: ${pins.join(', ')}; root.json key IDs: ${keyIds.join(', ')})`,
    hint:
      `the root keys changed or the pin is wrong; if the new root is genuine (verify out of band), pin its root.json key ID ${keyIds.join(', ')}` +
      ` in trust.rootKeys (the ID notary's trust_pinning accepts; the \`notary key list\` ID ${canonicalIds.join(', ')} is accepted too)`,
  });
}

/** trustPinChecker.caCheck with the CA certificates that pass ValidateCertificate(ca, true). */
function pinnedByCA(certs: RootCert[], cas: readonly X509Certificate[], input: RootTrustInput, what: string): RootCert[] {
  const { gun, now } = input;
  const validCAs = cas
    .map((c) => parseCert(new Uint8Array(c.raw)))
    .filter((c): c is ParsedCert => c !== undefined && validateCertificate(c, now) === undefined);
  if (validCAs.length === 0) {
    throw new PinError({
      code: 'TRUST_ROOT_UNTRUSTED',
      role: 'root',
      message: `${gun}: none of the pinned root CAs is valid now`,
      hint: 'trust.rootCA must hold a CA certificate that is not expired and not signed with SHA-1',
    });
  }
  const pinned = certs.filter((c) => chainsToCA(c.leaf, validInts(c, now), validCAs, now));
  if (pinned.length > 0) return pinned;
  throw new PinError({
    code: 'TRUST_ROOT_UNTRUSTED',
    role: 'root',
    message: `${gun}: no root certificate in ${what} chains to the pinned CA (${validCAs.map((c) => c.subjectCN).join(', ')})`,
    hint: 'the root was not issued by the pinned CA: check trust.rootCA, or the trust data was replaced',
  });
}

/** Step 4 (TUF 5.3.4): signed by a threshold (its own root threshold) of the pinned certificates. */
function requireSignedByOwnRootKeys(root: ParsedRoot, pinned: readonly RootCert[], input: RootTrustInput): void {
  const keys = certsToKeys(pinned, (c) => validInts(c, input.now));
  const threshold = root.roles.get('root')?.threshold ?? 1;
  requireThreshold(root.env, { name: 'root', keys, threshold }, {
    gun: input.gun,
    role: 'root',
    label: 'its own trusted root keys',
    hint: 'the root is not signed by its own root keys as notary requires; it is corrupt or tampered with',
  });
}
