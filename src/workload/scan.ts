/**
 * The walk over a whole resource that nothing can hide from: every object with the pod spec shape
 * (`pod-spec.ts`) is checked as a pod spec wherever it sits, and every other string field named
 * `image` is reported as unchecked. Iterative (no recursion depth limit) and each object is visited
 * once, so the work is bounded by the size of the input even when YAML aliases share subtrees.
 */
import { formatField, has, isRecord, type Path } from './path.js';
import { isPodSpecShape, podSpecImages } from './pod-spec.js';
import type { ImageLocation } from './types.js';

interface Frame {
  node: object;
  parent: Frame | undefined;
  key: string | number;
}

/** What a resource's scan must respect: fields already found, pod specs already walked, fields ignored. */
export interface ScanState {
  /** Field paths (KRM form) already reported for this resource; the scan adds its own. */
  claimed: Set<string>;
  /** Pod spec objects already walked through their declared path. */
  podSpecs: Set<object>;
  /** Field paths the config says to ignore (`ignoreImageFields`). */
  ignored: ReadonlySet<string>;
}

/** Whether the frame sits under the resource's top-level `status`. */
function underStatus(frame: Frame | undefined): boolean {
  let top = frame;
  while (top?.parent !== undefined) top = top.parent;
  return top !== undefined && top.key === 'status';
}

function pathOf(frame: Frame | undefined, prefix: Path): Path {
  const rev: (string | number)[] = [];
  for (let f = frame; f !== undefined; f = f.parent) rev.push(f.key);
  return [...prefix, ...rev.reverse()];
}

/** Top-level keys left out: `skip` (a List's `items`, walked as resources of their own). */
function children(node: object, frame: Frame | undefined, skip: string | undefined, push: (f: Frame) => void): void {
  if (Array.isArray(node)) {
    for (let i = node.length - 1; i >= 0; i--) {
      const v: unknown = node[i];
      if (v !== null && typeof v === 'object') push({ node: v, parent: frame, key: i });
    }
    return;
  }
  const keys = Object.keys(node);
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    if (frame === undefined && k === skip) continue;
    const v = (node as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') push({ node: v, parent: frame, key: k });
  }
}

/**
 * Appends to `out`, in document order, the pod spec images found by shape (`via: 'shape'`) and the
 * unchecked `image` strings (`kind: 'unchecked'`) of `resource` at `prefix`. The resource's
 * top-level `status` (written by controllers, not desired state) is not reported as unchecked.
 */
export function scanResource(resource: Record<string, unknown>, prefix: Path, skip: string | undefined, state: ScanState, out: ImageLocation[]): void {
  const visited = new Set<object>();
  const stack: Frame[] = [];
  const push = (f: Frame): void => {
    if (!visited.has(f.node)) stack.push(f);
  };
  const visit = (node: object, frame: Frame | undefined): void => {
    visited.add(node);
    if (!isRecord(node)) return;
    if (!state.podSpecs.has(node) && isPodSpecShape(node)) {
      state.podSpecs.add(node);
      const found: ImageLocation[] = [];
      podSpecImages(node, pathOf(frame, prefix), 'shape', found);
      for (const l of found) if (!state.claimed.has(l.field)) (state.claimed.add(l.field), out.push(l));
    }
    if (has(node, 'image') && typeof node.image === 'string' && !underStatus(frame)) {
      const path = [...pathOf(frame, prefix), 'image'];
      const field = formatField(path);
      if (!state.claimed.has(field) && !state.ignored.has(field)) {
        state.claimed.add(field);
        out.push({ path, field, value: node.image, kind: 'unchecked', via: 'unchecked' });
      }
    }
  };
  visit(resource, undefined);
  children(resource, undefined, skip, push);
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (visited.has(f.node)) continue;
    visit(f.node, f);
    children(f.node, f, skip, push);
  }
}
