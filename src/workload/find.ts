/**
 * Finds the image fields of a Kubernetes resource (plain JS): the one definition of "which objects
 * and fields carry images" that the KRM function and the webhook share. Per resource, in order:
 * 1. built-in workload kinds (`kinds.ts`) and the presets turned on (`presets.ts`): their pod
 *    specs and image paths, matched by kind and API group (any version);
 * 2. `imageFields` of the config, matched by kind and apiVersion (group/version or group only);
 * 3. anything else with the pod spec shape, wherever it sits (`scan.ts`);
 * 4. every other string field named `image`, as `unchecked` (unless `ignoreImageFields` or
 *    `BUILTIN_IGNORED` names it).
 * Lists (`kind: List`, or any `FooList` with an `items` list) are walked item by item, to any depth
 * (iteratively); items without kind/apiVersion take the list's (`DeploymentList` items are
 * Deployments) and their locations name the item (`resource`). The walker never throws.
 */
import type { ImageField } from '../config/schema.js';
import type { ResourceRef } from '../errors/errors.js';
import { BUILTIN_IGNORED, BUILTIN_KINDS, isKind, matchesKind, type WorkloadKind } from './kinds.js';
import { follow, formatField, get, isRecord, parseFieldPath, type Path } from './path.js';
import { podSpecImages } from './pod-spec.js';
import { presetKinds } from './presets.js';
import { resourceRefOf } from './ref.js';
import { scanResource, type ScanState } from './scan.js';
import type { ImageLocation, Via, WorkloadConfig } from './location.js';

/** One resource to walk: the input's, or an item of a List inside it. */
interface Pending {
  obj: unknown;
  prefix: Path;
  inherited?: { kind: string; apiVersion: string };
  inList: boolean;
}

function declaredImages(obj: unknown, kinds: readonly WorkloadKind[], via: Via, prefix: Path, state: ScanState, out: ImageLocation[]): void {
  for (const w of kinds) {
    for (const p of w.podSpecs) {
      for (const { value, path } of follow(obj, parseFieldPath(p), prefix)) {
        if (!isRecord(value) || state.podSpecs.has(value)) continue;
        state.podSpecs.add(value);
        const found: ImageLocation[] = [];
        podSpecImages(value, path, via, found);
        for (const l of found) if (!state.claimed.has(l.field)) (state.claimed.add(l.field), out.push(l));
      }
    }
    customImages(obj, w.images ?? [], via, prefix, state, out);
  }
}

function customImages(obj: unknown, paths: readonly string[], via: Via, prefix: Path, state: ScanState, out: ImageLocation[]): void {
  for (const p of paths) {
    for (const { value, path } of follow(obj, parseFieldPath(p), prefix)) {
      const field = formatField(path);
      if (state.claimed.has(field)) continue;
      state.claimed.add(field);
      out.push({ path, field, value, kind: 'custom', via });
    }
  }
}

/** The item's ref, with the kind and apiVersion it inherits from a typed list. */
function itemRef(obj: unknown, kind: string | undefined, apiVersion: string | undefined): ResourceRef {
  const ref = resourceRefOf(obj);
  if (kind !== undefined) ref.kind = kind;
  if (apiVersion !== undefined) ref.apiVersion = apiVersion;
  return ref;
}

function walkOne(p: Pending, config: WorkloadConfig, presets: readonly WorkloadKind[], out: ImageLocation[], queue: Pending[]): void {
  if (!isRecord(p.obj)) return;
  const kindV = get(p.obj, 'kind');
  const apiV = get(p.obj, 'apiVersion');
  const kind = typeof kindV === 'string' ? kindV : p.inherited?.kind;
  const apiVersion = typeof apiV === 'string' ? apiV : p.inherited?.apiVersion;
  const items = get(p.obj, 'items');
  const isList = kind !== undefined && kind.endsWith('List') && Array.isArray(items);

  const ignored = new Set<string>();
  for (const f of [...BUILTIN_IGNORED, ...(config.ignoreImageFields ?? [])]) {
    if (matchesKind(f, kind, apiVersion)) for (const { path } of follow(p.obj, parseFieldPath(f.path), p.prefix)) ignored.add(formatField(path));
  }
  const state: ScanState = { claimed: new Set(), podSpecs: new Set(), ignored };
  const found: ImageLocation[] = [];
  declaredImages(p.obj, BUILTIN_KINDS.filter((w) => isKind(w, kind, apiVersion)), 'kind', p.prefix, state, found);
  declaredImages(p.obj, presets.filter((w) => isKind(w, kind, apiVersion)), 'preset', p.prefix, state, found);
  for (const f of config.imageFields) if (matchesKind(f, kind, apiVersion)) customImages(p.obj, [f.path], 'imageFields', p.prefix, state, found);
  scanResource(p.obj, p.prefix, isList ? 'items' : undefined, state, found);

  if (p.inList) {
    const ref = itemRef(p.obj, kind, apiVersion);
    for (const l of found) l.resource = ref;
  }
  for (const l of found) out.push(l);

  if (isList) {
    const inherited = kind === 'List' || apiVersion === undefined ? undefined : { kind: kind.slice(0, -4), apiVersion };
    const list = items as unknown[];
    for (let i = list.length - 1; i >= 0; i--) queue.push({ obj: list[i], prefix: [...p.prefix, 'items', i], inherited, inList: true });
  }
}

/**
 * Every image field of `resource` (see the module comment), in document order per resource.
 * `config` is the config's `imageFields`, `presets` and `ignoreImageFields` (a `Spec` will do),
 * or just an `imageFields` list.
 */
export function findImages(resource: unknown, config: WorkloadConfig | readonly ImageField[] = []): ImageLocation[] {
  const cfg: WorkloadConfig = Array.isArray(config) ? { imageFields: config } : (config as WorkloadConfig);
  const presets = presetKinds(cfg.presets ?? []);
  const out: ImageLocation[] = [];
  const queue: Pending[] = [{ obj: resource, prefix: [], inList: false }];
  while (queue.length > 0) walkOne(queue.pop()!, cfg, presets, out, queue);
  return out;
}
