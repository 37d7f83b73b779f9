/**
 * `spec.provenance: annotation`: every resource whose images were pinned gets one annotation,
 * `notary-pin.dev/images`, saying per image field who signed what. Its value is one line of JSON
 * (printable ASCII: anything else is \u-escaped), an array sorted by field path, each entry with
 * the keys in this order:
 *   {"path": KRM field path, "ref": the reference without its digest, "digest": "sha256:…",
 *    "system": "notary" | "notation", "signer": Notary role or Notation certificate subject}
 * No timestamps: the bytes depend only on the pins, so a re-run on pinned output writes the same
 * annotation (`ref` is read from the pinned value, so `nginx` and `nginx:latest@sha256:…` both
 * record `nginx:latest`).
 */
import type { ImageOutcome } from '../engine/evaluate.js';
import type { Manifest } from '../manifest/manifest.js';
import { formatReference, parseReference } from '../reference/parse.js';

export const PROVENANCE_ANNOTATION = 'notary-pin.dev/images';

/** One image field's record. */
export interface ProvenanceEntry {
  path: string;
  ref: string;
  digest: string;
  system: 'notary' | 'notation';
  signer: string;
}

type Pinned = Extract<ImageOutcome, { status: 'pinned' }>;

/** The record of one pinned field (keys in the documented order). */
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

/** The annotation value for a resource's entries: sorted by field path, one line. */
export function renderProvenance(entries: readonly ProvenanceEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return asciiJson(sorted.map((e) => ({ path: e.path, ref: e.ref, digest: e.digest, system: e.system, signer: e.signer })));
}

/** The annotation value per resource index, for the resources with at least one pinned image. */
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

/** The provenance stage: annotate every resource with pinned images (pin mode, after the pins). */
export function annotateProvenance(model: Manifest, outcomes: readonly ImageOutcome[]): void {
  for (const [index, value] of provenanceByResource(outcomes)) {
    const item = model.items[index];
    if (item !== undefined) item.setAnnotation(PROVENANCE_ANNOTATION, value);
  }
}
