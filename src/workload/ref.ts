/** What names a resource in results: its apiVersion/kind/name/namespace, and the file kpt or kustomize read it from. */
import type { ResourceRef } from '../errors/errors.js';
import { isRecord } from './path.js';

/** apiVersion / kind / name / namespace, as far as they are strings. */
export function resourceRefOf(obj: unknown): ResourceRef {
  const ref: ResourceRef = {};
  if (!isRecord(obj)) return ref;
  if (typeof obj.apiVersion === 'string') ref.apiVersion = obj.apiVersion;
  if (typeof obj.kind === 'string') ref.kind = obj.kind;
  const md = obj.metadata;
  if (isRecord(md)) {
    if (typeof md.name === 'string') ref.name = md.name;
    if (typeof md.namespace === 'string') ref.namespace = md.namespace;
  }
  return ref;
}

export interface FileRef {
  path: string;
  index?: number;
}

const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];

interface HeldResource {
  readonly object: Record<string, unknown>;
  setImage(...args: never[]): void;
}

/** From `internal.config.kubernetes.io/path|index` (or legacy `config.kubernetes.io/...`); never modified. */
export function fileOf(resource: HeldResource | Record<string, unknown>): FileRef | undefined {
  const obj = typeof (resource as Partial<HeldResource>).setImage === 'function' ? (resource as HeldResource).object : (resource as Record<string, unknown>);
  const md = obj.metadata;
  if (!isRecord(md)) return undefined;
  const a = md.annotations;
  if (!isRecord(a)) return undefined;
  const path = PATH_ANNOTATIONS.map((k) => a[k]).find((v): v is string => typeof v === 'string' && v !== '');
  if (path === undefined) return undefined;
  const indexStr = INDEX_ANNOTATIONS.map((k) => a[k]).find((v) => typeof v === 'string' || typeof v === 'number');
  const index = typeof indexStr === 'number' ? indexStr : typeof indexStr === 'string' && /^\d{1,9}$/.test(indexStr) ? Number(indexStr) : undefined;
  return index !== undefined && Number.isInteger(index) && index >= 0 ? { path, index } : { path };
}
