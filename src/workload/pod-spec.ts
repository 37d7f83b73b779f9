/** A pod spec's image fields (containers, init/ephemeral containers, image volumes), and the pod spec shape. */
import { formatField, get, has, isRecord, type Path } from './path.js';
import type { ImageLocation, Via } from './location.js';

export const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
] as const;

/** Any object with a `containers`/`initContainers`/`ephemeralContainers` entry holding `image` is a pod spec. */
export function isPodSpecShape(node: Record<string, unknown>): boolean {
  for (const [list] of CONTAINER_LISTS) {
    const containers = get(node, list);
    if (Array.isArray(containers) && containers.some((c: unknown) => isRecord(c) && has(c, 'image'))) return true;
  }
  return false;
}

/** Appends the pod spec's image fields to `out`; anything malformed is skipped. */
export function podSpecImages(spec: unknown, prefix: Path, via: Via, out: ImageLocation[]): void {
  if (!isRecord(spec)) return;
  for (const [list, kind] of CONTAINER_LISTS) {
    const containers = get(spec, list);
    if (!Array.isArray(containers)) continue;
    containers.forEach((c: unknown, i) => {
      if (!isRecord(c) || !has(c, 'image')) return;
      const path = [...prefix, list, i, 'image'];
      const name = get(c, 'name');
      const loc: ImageLocation = { path, field: formatField(path), value: c.image, kind, via };
      if (typeof name === 'string') loc.container = name;
      out.push(loc);
    });
  }
  const volumes = get(spec, 'volumes');
  if (!Array.isArray(volumes)) return;
  volumes.forEach((v: unknown, i) => {
    const image = get(v, 'image');
    if (!isRecord(image) || !has(image, 'reference')) return;
    const path = [...prefix, 'volumes', i, 'image', 'reference'];
    const name = get(v, 'name');
    const loc: ImageLocation = { path, field: formatField(path), value: image.reference, kind: 'volume', via };
    if (typeof name === 'string') loc.volume = name;
    out.push(loc);
  });
}
