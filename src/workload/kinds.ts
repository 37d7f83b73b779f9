/**
 * Which kinds carry pod specs where: the built-in Kubernetes workload kinds, and the one matcher
 * for a kind filter (`imageFields`, `ignoreImageFields`, presets, built-ins alike).
 */

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** `{group, version}` of an AdmissionRequest as an apiVersion: core `v1`, else `group/version`. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/**
 * A kind filter: `kind`, and optionally `apiVersion` given as group/version (`argoproj.io/v1alpha1`,
 * `v1`) or as a group only (`argoproj.io`, any version).
 */
export interface KindFilter {
  kind: string;
  apiVersion?: string;
}

/** The one matcher for kind filters: same kind, and the filter's apiVersion is the object's or its group. */
export function matchesKind(filter: KindFilter, kind: string | undefined, apiVersion: string | undefined): boolean {
  if (kind === undefined || filter.kind !== kind) return false;
  if (filter.apiVersion === undefined) return true;
  return apiVersion !== undefined && (filter.apiVersion === apiVersion || filter.apiVersion === apiGroup(apiVersion));
}

/** Where a kind keeps its images: declared paths (`spec.template.spec`, `spec.steps[].image`). */
export interface WorkloadKind {
  kind: string;
  /** API groups (`` is core), any version. */
  groups: readonly string[];
  /** Paths of pod specs (their containers, init and ephemeral containers and image volumes). */
  podSpecs: readonly string[];
  /** Paths of image strings outside a pod spec. */
  images?: readonly string[];
}

/** Whether a kind table entry covers this object type. */
export function isKind(w: WorkloadKind, kind: string | undefined, apiVersion: string | undefined): boolean {
  return kind === w.kind && apiVersion !== undefined && w.groups.includes(apiGroup(apiVersion));
}

const TEMPLATE = 'spec.template.spec';

/** The built-in workload kinds (`extensions` for clusters still serving the old groups). */
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

/**
 * `image` fields that are not workload images and are never reported as unchecked: the KRM
 * function images of a kpt Kptfile's pipeline (run by kpt where it renders, not deployed).
 */
export const BUILTIN_IGNORED: readonly (KindFilter & { path: string })[] = [
  { kind: 'Kptfile', apiVersion: 'kpt.dev', path: 'pipeline.mutators[].image' },
  { kind: 'Kptfile', apiVersion: 'kpt.dev', path: 'pipeline.validators[].image' },
];
