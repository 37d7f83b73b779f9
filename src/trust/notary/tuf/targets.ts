/**
 * Targets roles (top-level and delegated): verifying one file once its signing keys are known
 * (TUF 5.6, notary `repoBuilder.loadTargets`/`loadDelegation`), and finding signed targets in them.
 */
import type { SignedTarget } from './verifier-contract.js';
import { readDelegations, type Delegation } from './delegations.js';
import { checkExpiry, checkFile, checkType, checkVersion, hex, listedSha256 } from './role-checks.js';
import { pathAllowed } from './roles.js';
import { parseOrThrow, TargetsSchema, type FileMeta } from './schema.js';
import { readEnvelope, requireThreshold, type RoleKeys } from './signatures.js';

export interface LoadedTargets {
  readonly role: string;
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly expires: Date;
  /** Paths this role may sign for (targets: [""], i.e. everything). */
  readonly paths: readonly string[];
  readonly targets: ReadonlyMap<string, FileMeta>;
  readonly delegations: ReadonlyMap<string, Delegation>;
}

/** One targets file to verify, with what its parents say about it. */
export interface TargetsFile {
  readonly gun: string;
  readonly now: Date;
  readonly role: string;
  readonly bytes: Uint8Array;
  readonly listed: FileMeta;
  /** The keys its delegator (root or the parent role) lists, and how to name them in errors. */
  readonly signers: RoleKeys;
  readonly signersLabel: string;
  readonly paths: readonly string[];
  readonly previousVersion: number | undefined;
}

/** The shared part of TUF 5.6 for targets and delegations. */
export function verifyTargetsFile(f: TargetsFile): LoadedTargets {
  const { gun, role, bytes } = f;
  // TUF 5.6.2: hashes and length as the snapshot lists them.
  checkFile(gun, role, bytes, f.listed, 'snapshot');
  const env = readEnvelope(bytes, { gun, role });
  const json = parseOrThrow(TargetsSchema, env.envelope.signed, { gun, role });
  checkType(gun, role, json._type, `${role}.json`);
  // TUF 5.6.3: signed by a threshold of the keys its delegator lists.
  requireThreshold(env, f.signers, { gun, role, label: f.signersLabel });
  const delegations = readDelegations(gun, role, json, f.paths);
  // TUF 5.6.4: version not lower than the trusted one.
  checkVersion(gun, role, json.version, f.previousVersion);
  // TUF 5.6.5: not expired.
  checkExpiry(gun, f.now, role, json.expires);
  return {
    role,
    bytes,
    version: json.version,
    expires: json.expires,
    paths: f.paths,
    targets: new Map(Object.entries(json.targets)),
    delegations,
  };
}

/** A target as `t` signs it: none without a valid sha256 or outside the role's paths (notary `WalkTargets`). */
function signedTarget(t: LoadedTargets, name: string, meta: FileMeta): SignedTarget | undefined {
  if (!pathAllowed(name, t.paths)) return undefined;
  const sha = listedSha256(meta);
  if (!sha) return undefined;
  return { role: t.role, name, digest: `sha256:${hex(sha)}`, length: meta.length ?? 0 };
}

/** The signed target for `tag` from the first of `signers` that signs it. */
export function lookupTag(loaded: ReadonlyMap<string, LoadedTargets>, tag: string, signers: readonly string[]): SignedTarget | undefined {
  for (const signer of signers) {
    const t = loaded.get(signer);
    const meta = t?.targets.get(tag);
    if (!t || !meta) continue;
    const st = signedTarget(t, tag, meta);
    if (st) return st;
  }
  return undefined;
}

export function lookupDigest(loaded: ReadonlyMap<string, LoadedTargets>, digest: string, signers: readonly string[]): SignedTarget[] {
  const want = digest.toLowerCase();
  const out: SignedTarget[] = [];
  for (const signer of new Set(signers)) {
    const t = loaded.get(signer);
    if (!t) continue;
    for (const [name, meta] of t.targets) {
      const st = signedTarget(t, name, meta);
      if (st && st.digest === want) out.push(st);
    }
  }
  return out;
}
