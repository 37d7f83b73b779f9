/**
 * Finds a resource's image fields: the one definition of which fields carry images, shared by the function
 * and the webhook. In order: built-in kinds and presets, config `imageFields`, anything with the pod spec
 * shape (`scan.ts`), then other `image` strings as unchecked. Lists are walked iteratively to any depth;
 * items inherit a typed list's kind. Never throws.
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

/** Every image field of `resource`, in document order; `config` is a `Spec` or just an `imageFields` list. */
export function findImages(resource: unknown, config: WorkloadConfig | readonly ImageField[] = []): ImageLocation[] {
  const cfg: WorkloadConfig = Array.isArray(config) ? { imageFields: config } : (config as WorkloadConfig);
  const presets = presetKinds(cfg.presets ?? []);
  const out: ImageLocation[] = [];
  const queue: Pending[] = [{ obj: resource, prefix: [], inList: false }];
  while (queue.length > 0) walkOne(queue.pop()!, cfg, presets, out, queue);
  return out;
}
