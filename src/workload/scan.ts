/**
 * The walk nothing can hide from: any object with the pod spec shape is checked as one, any other `image`
 * string is unchecked. Iterative, each object visited once: bounded by input size even with YAML aliases.
 */
import { formatField, has, isRecord, type Path } from './path.js';
import { isPodSpecShape, podSpecImages } from './pod-spec.js';
import type { ImageLocation } from './location.js';

export interface ScanState {
  /** Field paths (KRM form) already reported; the scan adds its own. */
  claimed: Set<string>;
  /** Pod spec objects already walked through their declared path. */
  podSpecs: Set<object>;
  ignored: ReadonlySet<string>;
}

/** The walk's frames in parallel arrays (no object per node): node, parent frame (-1: resource), key. */
class Frames {
  readonly nodes: object[] = [];
  readonly parents: number[] = [];
  readonly keys: (string | number)[] = [];

  add(node: object, parent: number, key: string | number): number {
    this.nodes.push(node);
    this.parents.push(parent);
    this.keys.push(key);
    return this.nodes.length - 1;
  }

  pathOf(frame: number, prefix: Path): Path {
    const rev: (string | number)[] = [];
    for (let f = frame; f >= 0; f = this.parents[f]!) rev.push(this.keys[f]!);
    return [...prefix, ...rev.reverse()];
  }

  underStatus(frame: number): boolean {
    let f = frame;
    if (f < 0) return false;
    while (this.parents[f]! >= 0) f = this.parents[f]!;
    return this.keys[f] === 'status';
  }
}

/**
 * Appends shape-found pod spec images and unchecked `image` strings of `resource`, in document order, skipping
 * top-level `skip` (a List's `items`) and not reporting under top-level `status` (controller-written).
 */
export function scanResource(resource: Record<string, unknown>, prefix: Path, skip: string | undefined, state: ScanState, out: ImageLocation[]): void {
  const visited = new Set<object>();
  const frames = new Frames();
  const stack: number[] = [];
  const pushChildren = (node: object, frame: number): void => {
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const v: unknown = node[i];
        if (v !== null && typeof v === 'object' && !visited.has(v)) stack.push(frames.add(v, frame, i));
      }
      return;
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (frame < 0 && k === skip) continue;
      const v = (node as Record<string, unknown>)[k];
      if (v !== null && typeof v === 'object' && !visited.has(v)) stack.push(frames.add(v, frame, k));
    }
  };
  let frame = -1;
  let node: object = resource;
  for (;;) {
    visited.add(node);
    if (isRecord(node)) visitRecord(node, frame, frames, prefix, state, out);
    pushChildren(node, frame);
    let next: number | undefined;
    do next = stack.pop();
    while (next !== undefined && visited.has(frames.nodes[next]!));
    if (next === undefined) return;
    frame = next;
    node = frames.nodes[next]!;
  }
}

function visitRecord(node: Record<string, unknown>, frame: number, frames: Frames, prefix: Path, state: ScanState, out: ImageLocation[]): void {
  if (!state.podSpecs.has(node) && isPodSpecShape(node)) {
    state.podSpecs.add(node);
    const found: ImageLocation[] = [];
    podSpecImages(node, frames.pathOf(frame, prefix), 'shape', found);
    for (const l of found) {
      if (state.claimed.has(l.field)) continue;
      state.claimed.add(l.field);
      out.push(l);
    }
  }
  if (has(node, 'image') && typeof node.image === 'string' && !frames.underStatus(frame)) {
    const path = [...frames.pathOf(frame, prefix), 'image'];
    const field = formatField(path);
    if (!state.claimed.has(field) && !state.ignored.has(field)) {
      state.claimed.add(field);
      out.push({ path, field, value: node.image, kind: 'unchecked', via: 'unchecked' });
    }
  }
}
