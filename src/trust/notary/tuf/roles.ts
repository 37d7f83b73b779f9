/** Role names and delegation paths as Notary handles them (tuf/data/roles.go). */

/** The four top-level roles (notary `data.BaseRoles`). */
export const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type BaseRole = (typeof BASE_ROLES)[number];

/** `_type` each role's metadata must carry (notary `data.TUFTypes`; delegations are "Targets"). */
export function expectedType(role: string): string {
  switch (role) {
    case 'root':
      return 'Root';
    case 'snapshot':
      return 'Snapshot';
    case 'timestamp':
      return 'Timestamp';
    default:
      return 'Targets';
  }
}

const DELEGATION_CHARS = /^[-a-z0-9_/]+$/;

/** Go `path.Clean` for the slash-separated names notary accepts (no leading slash involved). */
function isClean(name: string): boolean {
  return !name.endsWith('/') && !name.split('/').some((p) => p === '' || p === '.' || p === '..');
}

/** notary `data.IsDelegation`: `targets/` prefix, only `[-a-z0-9_/]`, under 256 characters, already clean. */
export function isDelegationName(role: string): boolean {
  return role.startsWith('targets/') && DELEGATION_CHARS.test(role) && role.length < 256 && isClean(role);
}

/** notary `RoleName.Parent` (`path.Dir`). */
export function parentRole(role: string): string {
  const i = role.lastIndexOf('/');
  return i < 0 ? '.' : role.slice(0, i);
}

/** Delegation depth below `targets`: targets = 0, targets/a = 1, targets/a/b = 2. */
export function delegationDepth(role: string): number {
  return role.split('/').length - 1;
}

/** `targets/a/b` → [`targets/a`, `targets/a/b`]: the chain of delegations from targets down. */
export function delegationChain(role: string): string[] {
  const parts = role.split('/');
  const out: string[] = [];
  for (let i = 2; i <= parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** notary `DelegationRole.CheckPaths`: the target name starts with one of the role's paths. */
export function pathAllowed(target: string, paths: readonly string[]): boolean {
  return paths.some((p) => target.startsWith(p));
}

/** notary `data.RestrictDelegationPathPrefixes`: only child paths under a parent path (others confer no trust). */
export function restrictPaths(parentPaths: readonly string[], childPaths: readonly string[]): string[] {
  return childPaths.filter((p) => parentPaths.some((pp) => p.startsWith(pp)));
}
