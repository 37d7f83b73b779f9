/**
 * Finds the image fields of a Kubernetes resource (plain JS, as `Item.object`).
 *
 * Built-in kinds, matched by `kind` plus the API group of `apiVersion` (any version):
 * - core (`v1`): Pod (`spec`), PodTemplate (`template.spec`), ReplicationController (`spec.template.spec`)
 * - `apps` / `extensions`: Deployment, StatefulSet, DaemonSet, ReplicaSet (`spec.template.spec`)
 * - `batch`: Job (`spec.template.spec`), CronJob (`spec.jobTemplate.spec.template.spec`)
 * In a pod spec: `containers[].image`, `initContainers[].image`, `ephemeralContainers[].image` and
 * image volumes `volumes[].image.reference`.
 *
 * Lists (`kind: List`, or any `FooList` with an `items` list) are walked item by item
 * (`items[i]....`) so an image can not hide in a list; items without kind/apiVersion take the
 * list's (`DeploymentList` items are Deployments).
 *
 * Custom kinds have images only through `imageFields` (`extraFields`) entries. The walker never
 * throws: malformed structure is skipped, a missing `image` key yields nothing, any other value
 * (number, null, map ...) is reported as found so the caller can reject it.
 */
import type { ImageField } from '../config/schema.js';
import type { ImageLocation } from './types.js';

type Path = (string | number)[];

const POD_SPEC_PATHS: Record<string, { groups: readonly string[]; path: readonly string[] }> = {
  Pod: { groups: [''], path: ['spec'] },
  PodTemplate: { groups: [''], path: ['template', 'spec'] },
  ReplicationController: { groups: [''], path: ['spec', 'template', 'spec'] },
  Deployment: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  StatefulSet: { groups: ['apps'], path: ['spec', 'template', 'spec'] },
  DaemonSet: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  ReplicaSet: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  Job: { groups: ['batch'], path: ['spec', 'template', 'spec'] },
  CronJob: { groups: ['batch'], path: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
};

const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
] as const;

const MAX_LIST_DEPTH = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const get = (o: unknown, k: string): unknown => (isRecord(o) && has(o, k) ? o[k] : undefined);

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A KRM result field path: `['spec','containers',0,'image']` → `spec.containers[0].image`.
 * Keys that are not simple identifiers are written as `["key"]`.
 */
export function formatField(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One step of an `imageFields` path: a key, optionally followed by `[]` (every element). */
interface Step {
  key: string;
  each: boolean;
}

/** Parse `spec.components[].image` into steps (the schema already validated the syntax). */
export function parseFieldPath(path: string): Step[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

function podSpecImages(spec: unknown, prefix: Path, out: ImageLocation[]): void {
  if (!isRecord(spec)) return;
  for (const [list, kind] of CONTAINER_LISTS) {
    const containers = get(spec, list);
    if (!Array.isArray(containers)) continue;
    containers.forEach((c: unknown, i) => {
      if (!isRecord(c) || !has(c, 'image')) return;
      const path = [...prefix, list, i, 'image'];
      const name = get(c, 'name');
      out.push({ path, field: formatField(path), value: c.image, kind, ...(typeof name === 'string' && { container: name }) });
    });
  }
  const volumes = get(spec, 'volumes');
  if (Array.isArray(volumes)) {
    volumes.forEach((v: unknown, i) => {
      const image = get(v, 'image');
      if (!isRecord(image) || !has(image, 'reference')) return;
      const path = [...prefix, 'volumes', i, 'image', 'reference'];
      const name = get(v, 'name');
      out.push({ path, field: formatField(path), value: image.reference, kind: 'volume', ...(typeof name === 'string' && { volume: name }) });
    });
  }
}

function customImages(obj: unknown, steps: Step[], prefix: Path, out: ImageLocation[]): void {
  let frontier: { value: unknown; path: Path }[] = [{ value: obj, path: prefix }];
  steps.forEach((step, n) => {
    const last = n === steps.length - 1;
    const next: { value: unknown; path: Path }[] = [];
    for (const { value, path } of frontier) {
      if (!isRecord(value) || !has(value, step.key)) continue;
      const child = value[step.key];
      const childPath = [...path, step.key];
      if (!step.each) {
        next.push({ value: child, path: childPath });
      } else if (Array.isArray(child)) {
        child.forEach((el: unknown, i) => next.push({ value: el, path: [...childPath, i] }));
      }
    }
    frontier = last ? next : next.filter((f) => f.value !== null && typeof f.value === 'object');
  });
  for (const { value, path } of frontier) out.push({ path, field: formatField(path), value, kind: 'custom' });
}

function matchesApiVersion(filter: string | undefined, apiVersion: string): boolean {
  return filter === undefined || filter === apiVersion || filter === apiGroup(apiVersion);
}

function walk(resource: unknown, extra: readonly ImageField[], prefix: Path, out: ImageLocation[], depth: number, inherited?: { kind: string; apiVersion: string }): void {
  if (!isRecord(resource)) return;
  const kindV = get(resource, 'kind');
  const apiV = get(resource, 'apiVersion');
  const kind = typeof kindV === 'string' ? kindV : inherited?.kind;
  const apiVersion = typeof apiV === 'string' ? apiV : inherited?.apiVersion;
  if (kind === undefined || apiVersion === undefined) return;

  const builtin = POD_SPEC_PATHS[kind];
  if (builtin !== undefined && has(POD_SPEC_PATHS, kind) && builtin.groups.includes(apiGroup(apiVersion))) {
    let spec: unknown = resource;
    for (const k of builtin.path) spec = get(spec, k);
    podSpecImages(spec, [...prefix, ...builtin.path], out);
  }

  const seen = new Set(out.map((l) => l.field));
  for (const f of extra) {
    if (f.kind !== kind || !matchesApiVersion(f.apiVersion, apiVersion)) continue;
    const found: ImageLocation[] = [];
    customImages(resource, parseFieldPath(f.path), prefix, found);
    for (const l of found) {
      if (seen.has(l.field)) continue;
      seen.add(l.field);
      out.push(l);
    }
  }

  const items = get(resource, 'items');
  if (kind.endsWith('List') && Array.isArray(items) && depth < MAX_LIST_DEPTH) {
    const itemType = kind === 'List' ? undefined : { kind: kind.slice(0, -4), apiVersion };
    items.forEach((it: unknown, i) => walk(it, extra, [...prefix, 'items', i], out, depth + 1, itemType));
  }
}

/**
 * Every image field of `resource` (see the module comment), in document order per list.
 * `extraFields` adds custom paths (`imageFields` of the config) for any kind, matched by `kind`
 * and, when given, `apiVersion` (exact, or just the group).
 */
export function findImages(resource: unknown, extraFields: readonly ImageField[] = []): ImageLocation[] {
  const out: ImageLocation[] = [];
  walk(resource, extraFields, [], out, 0);
  return out;
}
