/** Which kinds carry pod specs where (built-in workload kinds), and the one kind-filter matcher. */

/** `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** An AdmissionRequest's `{group, version}` as an apiVersion: core `v1`, else `group/version`. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** `kind`, and optionally `apiVersion` as group/version or group only (any version). */
export interface KindFilter {
  kind: string;
  apiVersion?: string;
}

export function matchesKind(filter: KindFilter, kind: string | undefined, apiVersion: string | undefined): boolean {
  if (kind === undefined || filter.kind !== kind) return false;
  if (filter.apiVersion === undefined) return true;
  return apiVersion !== undefined && (filter.apiVersion === apiVersion || filter.apiVersion === apiGroup(apiVersion));
}

export interface WorkloadKind {
  kind: string;
  /** API groups (`` is core), any version. */
  groups: readonly string[];
  /** Pod spec paths (containers, init and ephemeral containers, image volumes). */
  podSpecs: readonly string[];
  images?: readonly string[];
}

export function isKind(w: WorkloadKind, kind: string | undefined, apiVersion: string | undefined): boolean {
  return kind === w.kind && apiVersion !== undefined && w.groups.includes(apiGroup(apiVersion));
}

const TEMPLATE = 'spec.template.spec';

/** Built-in workload kinds (`extensions` for clusters still serving the old groups). */
export const BUILTIN_KINDS: readonly WorkloadKind[] = [
  { kind: 'Pod', groups: [''], podSpecs: ['spec'] },
  { kind: 'PodTemplate', groups: [''], podSpecs: ['template.spec'] },
  { kind: 'ReplicationController', groups: [''], podSpecs: [TEMPLATE] },
  { kind: 'Deployment', groups: ['apps', 'extensions'], podSpecs: [TEMPLATE] },
  { kind: 'StatefulSet', groups: ['apps'], podSpecs: [TEMPLATE] },
  { kind: 'DaemonSet', groups: ['apps', 'extensions'], podSpecs: [TEMPLATE] },
  { kind: 'ReplicaSet', groups: ['apps', 'extensions'], podSpecs: [TEMPLATE] },
  { kind: 'Job', groups: ['batch'], podSpecs: [TEMPLATE] },
  { kind: 'CronJob', groups: ['batch'], podSpecs: ['spec.jobTemplate.spec.template.spec'] },
];

/** Never unchecked: a Kptfile pipeline's KRM function images (run by kpt, not deployed). */
export const BUILTIN_IGNORED: readonly (KindFilter & { path: string })[] = [
  { kind: 'Kptfile', apiVersion: 'kpt.dev', path: 'pipeline.mutators[].image' },
  { kind: 'Kptfile', apiVersion: 'kpt.dev', path: 'pipeline.validators[].image' },
];
