/**
 * `spec.provenance: annotation`: each resource with pinned images gets `notary-pin.dev/images`, one line of
 * printable-ASCII JSON: `[{path, ref, digest, system, signer}]` in that key order, sorted by path; `ref` has
 * no digest, `signer` is the Notary role or Notation certificate subject. No timestamps: a re-run writes
 * the same bytes.
 */
import type { ImageOutcome } from '../engine/evaluate.js';
import type { Manifest } from '../manifest/manifest.js';
import { formatReference, parseReference } from '../reference/parse.js';

export const PROVENANCE_ANNOTATION = 'notary-pin.dev/images';

export interface ProvenanceEntry {
  path: string;
  ref: string;
  digest: string;
  system: 'notary' | 'notation';
  signer: string;
}

type Pinned = Extract<ImageOutcome, { status: 'pinned' }>;

export function entryOf(o: Pinned): ProvenanceEntry {
  const r = o.resolution;
  return {
    path: o.use.field,
    ref: formatReference(parseReference(o.newValue), { name: 'written', tag: 'keep', digest: null }),
    digest: r.digest,
    system: r.system ?? 'notary',
    signer: r.signer ?? r.role,
  };
}

/** JSON with every character outside printable ASCII escaped: one line that YAML reads back as is. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderProvenance(entries: readonly ProvenanceEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return asciiJson(sorted.map((e) => ({ path: e.path, ref: e.ref, digest: e.digest, system: e.system, signer: e.signer })));
}

export function provenanceByResource(outcomes: readonly ImageOutcome[]): Map<number, string> {
  const byResource = new Map<number, Map<string, ProvenanceEntry>>();
  for (const o of outcomes) {
    if (o.status !== 'pinned') continue;
    let fields = byResource.get(o.use.resourceIndex);
    if (fields === undefined) byResource.set(o.use.resourceIndex, (fields = new Map()));
    fields.set(o.use.field, entryOf(o)); // one entry per field (a field reached twice pins alike)
  }
  const out = new Map<number, string>();
  for (const [index, fields] of byResource) out.set(index, renderProvenance([...fields.values()]));
  return out;
}

export function annotateProvenance(model: Manifest, outcomes: readonly ImageOutcome[]): void {
  for (const [index, value] of provenanceByResource(outcomes)) {
    const item = model.items[index];
    if (item !== undefined) item.setAnnotation(PROVENANCE_ANNOTATION, value);
  }
}
