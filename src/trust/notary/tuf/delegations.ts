/**
 * Delegated targets roles (notary `DelegationRole`): what a parent declares, which delegations a
 * list of signers needs next, and the declaration a delegation file is verified against.
 */
import type { PinError } from '../../../errors/errors.js';
import type { ExpectedFile } from './verifier-contract.js';
import { makeKey, type TufKey } from './keys.js';
import { expectedFile, trustError } from './role-checks.js';
import { delegationChain, delegationDepth, isDelegationName, parentRole, restrictPaths } from './roles.js';
import type { FileMeta, TargetsJson } from './schema.js';
import { MAX_DECLARED_KEYS, MAX_ROLE_KEYS, tooMany, type RoleKeys } from './signatures.js';

/** A delegation as its parent declares it, with paths already restricted to the parent's. */
export interface Delegation extends RoleKeys {
  readonly paths: readonly string[];
}

/** The loaded targets roles (top-level and delegated), as far as delegation walking needs them. */
export type LoadedDelegators = ReadonlyMap<string, { readonly delegations: ReadonlyMap<string, Delegation> }>;

export interface SnapshotListing {
  readonly version: number;
  readonly meta: ReadonlyMap<string, FileMeta>;
}

/**
 * notary `isValidTargetsStructure` for a role's delegations (valid names directly below it, keys present,
 * threshold >= 1), with paths restricted to `parentPaths` (notary `DelegationRole.Restrict`).
 */
export function readDelegations(gun: string, role: string, json: TargetsJson, parentPaths: readonly string[]): Map<string, Delegation> {
  const ctx = { gun, role };
  const declared = Object.entries(json.delegations.keys);
  if (declared.length > MAX_DECLARED_KEYS) throw tooMany(ctx, `${role}.json: delegation keys`, declared.length, MAX_DECLARED_KEYS);
  const keys = new Map<string, TufKey>();
  for (const [id, k] of declared) keys.set(id, makeKey(k.keytype, k.keyval.public));
  const out = new Map<string, Delegation>();
  for (const d of json.delegations.roles) {
    if (d.keyids.length > MAX_ROLE_KEYS) throw tooMany(ctx, `${role}.json: delegation ${d.name}'s key IDs`, d.keyids.length, MAX_ROLE_KEYS);
    if (!isDelegationName(d.name) || parentRole(d.name) !== role) {
      throw trustError(
        gun,
        'TRUST_DELEGATION',
        role,
        `${role} delegates to "${d.name}", which is not a role directly below ${role}`,
        'notary only allows a role to delegate to its own children (targets/a may delegate to targets/a/b); the trust data is invalid or tampered with',
      );
    }
    if (out.has(d.name)) {
      throw trustError(gun, 'TRUST_DELEGATION', role, `${role} delegates to ${d.name} twice`, 'the trust data is invalid or tampered with');
    }
    if (d.threshold < 1) {
      throw trustError(gun, 'TRUST_MALFORMED', role, `delegation ${d.name} has threshold ${d.threshold}`, 'the trust data is invalid');
    }
    const roleKeys = new Map<string, TufKey>();
    for (const id of d.keyids) {
      const k = keys.get(id);
      if (!k) {
        throw trustError(gun, 'TRUST_MALFORMED', role, `delegation ${d.name} names key ${id}, which ${role} does not list`, 'the trust data is invalid');
      }
      roleKeys.set(id, k);
    }
    // path_hash_prefixes are ignored as notary ignores them: only `paths` confer trust.
    out.set(d.name, { name: d.name, keys: roleKeys, threshold: d.threshold, paths: restrictPaths(parentPaths, d.paths) });
  }
  return out;
}

/** TUF 5.6.7 (notary `loadDelegation`): the loaded parent's declaration of `role` (within depth, not yet loaded). */
export function declaredDelegation(
  gun: string,
  role: string,
  loaded: LoadedDelegators,
  maxDepth: number,
  outOfOrder: (message: string) => PinError,
): Delegation {
  if (!isDelegationName(role)) {
    throw trustError(gun, 'TRUST_DELEGATION', role, `"${role}" is not a delegation role name`, 'delegation names look like targets/releases (lower case, digits, - and _)');
  }
  const depth = delegationDepth(role);
  if (depth > maxDepth) {
    throw trustError(
      gun,
      'TRUST_DELEGATION',
      role,
      `${role} is ${depth} levels below targets, deeper than the limit of ${maxDepth}`,
      'raise trust.maxDelegationDepth if this delegation is expected',
    );
  }
  if (loaded.has(role)) {
    throw trustError(gun, 'TRUST_DELEGATION', role, `${role} was already loaded (delegation cycle or duplicate)`, 'the trust data is invalid or tampered with');
  }
  const parentName = parentRole(role);
  const parent = loaded.get(parentName);
  if (!parent) throw outOfOrder(`${role} before its parent ${parentName}`);
  const decl = parent.delegations.get(role);
  if (!decl) {
    throw trustError(
      gun,
      'TRUST_DELEGATION',
      role,
      `${parentName} does not delegate to ${role}`,
      `only roles the parent delegates to are trusted; add the delegation with notary delegation add, or drop ${role} from trust.signers`,
    );
  }
  return decl;
}

/** Per signer, the next unloaded delegation on its chain, with its snapshot entry; stops at undeclared/too deep. */
export function neededDelegations(
  gun: string,
  signers: readonly string[],
  loaded: LoadedDelegators,
  snapshot: SnapshotListing | undefined,
  maxDepth: number,
): ExpectedFile[] {
  const out = new Map<string, ExpectedFile>();
  for (const signer of signers) {
    if (signer === 'targets' || !isDelegationName(signer)) continue;
    for (const role of delegationChain(signer)) {
      if (loaded.has(role)) continue;
      const parentName = parentRole(role);
      const parent = loaded.get(parentName);
      if (!parent?.delegations.has(role) || delegationDepth(role) > maxDepth) break;
      const meta = snapshot?.meta.get(role);
      if (!meta) throw droppedFromSnapshot(gun, role, parentName, snapshot?.version);
      out.set(role, expectedFile(role, meta));
      break;
    }
  }
  return [...out.values()];
}

/**
 * TUF §5.5.5/5.6: a role the verified targets chain delegates to must be in the snapshot; notary
 * skips it silently (`downloadTargets`), which lets the snapshot key holder downgrade to the next signer.
 */
function droppedFromSnapshot(gun: string, role: string, parentName: string, snapshotVersion: number | undefined): PinError {
  return trustError(
    gun,
    'TRUST_MISMATCH',
    role,
    `${parentName} delegates to ${role}, but snapshot version ${snapshotVersion ?? '?'} does not list ${role}`,
    `the snapshot (signed by the server's snapshot key) does not list a delegation the ${parentName} key holder declares: either nothing was ` +
      `ever published in ${role} (added with notary delegation add, never signed in: sign a tag with \`notary add <GUN> <tag> <file> --roles ${role}\` ` +
      `and notary publish, or remove it with notary delegation remove <GUN> ${role} and publish), or the server dropped it to downgrade tags to the next signer; ` +
      'nothing is pinned from this trust data until then',
  );
}
