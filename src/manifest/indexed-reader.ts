/**
 * The indexed reader, the fast path for plain manifests: js-yaml builds the objects, the position index
 * locates each node's text so image scalars are edited in place. Whatever the index does not prove gives
 * undefined (read.ts's `yaml` reader then reports errors); a model escalates to a Document model (same
 * text, `setImage` calls replayed) when an operation needs more than the index explains.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments, Scalar, type Document } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { compactRef, Interner } from '../util/intern.js';
import { ParsedManifest, type ManifestFields, type ReadResult } from './document-model.js';
import { columnOf } from './indexed-results.js';
import { ABORT, frameAt, indexDocuments, isMapFrame, isScalarFrame, isSeqFrame, MAP, NONE, notDecodable, SCALAR, type DocumentIndex, type Frame } from './position-index.js';
import type { TextEdit } from './results.js';
import { renderScalar, setInObject } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './manifest.js';

export { renderResults } from './indexed-results.js';

export interface FastEdit extends TextEdit {
  value: string;
}

export interface FastState {
  readonly text: string;
  readonly eol: '\n' | '\r\n';
  /** Scalar edits keyed by start offset, shared by all items. */
  readonly edits: Map<number, FastEdit>;
  /** `setImage` calls in order, to replay on the full model. */
  readonly calls: { item: number; path: FieldPath; value: string }[];
  readonly resourceList?: Frame;
  readonly lastContent: number;
  /** The last content is a block scalar (its trailing line breaks: `results` escalates). */
  readonly lastIsBlock?: boolean;
  readonly full: () => Manifest;
  /** Once built, every item delegates to it. */
  escalated?: Manifest;
}

class IndexedManifest extends ParsedManifest {
  constructor(
    fields: ManifestFields,
    readonly state: FastState,
  ) {
    super(fields);
  }
}

export function fastStateOf(model: Manifest): FastState | undefined {
  return model instanceof IndexedManifest ? model.state : undefined;
}

/** The full model behind a fast model, built (and the `setImage` calls replayed) on first use. */
export function escalate(st: FastState): Manifest {
  if (st.escalated === undefined) {
    const full = st.full();
    for (const c of st.calls) (full.items[c.item] as Item).setImage(c.path, c.value);
    st.escalated = full;
  }
  return st.escalated;
}

/**
 * Stream document `root` re-read from its first line's start to the next `---` line, so columns and
 * block-scalar ends are as in the whole input; undefined unless it reads as one mapping.
 */
export function rereadDocument(text: string, root: Frame): Record<string, unknown> | undefined {
  const start = lineStartOf(text, root.contentFrom);
  if (!/^ *$/.test(text.slice(start, root.contentFrom))) return undefined;
  // `indexDocuments` lets through no line starting with `---` but a bare document marker
  const marker = text.indexOf('\n---', Math.max(root.closedAt - 1, root.contentFrom));
  const end = marker < 0 ? text.length : marker + 1;
  try {
    const docs = loadAll(text.slice(start, end), null, { schema: CORE_SCHEMA });
    const v = docs.length === 1 ? docs[0] : undefined;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

class FastItem implements Item {
  #changed = false;
  #object: Record<string, unknown> | undefined;

  /** `object` undefined: a released stream document, read again on first use (`rereadDocument`). */
  constructor(
    private readonly st: FastState,
    private readonly root: Frame,
    readonly index: number,
    readonly docIndex: number,
    object: Record<string, unknown> | undefined,
    readonly ref: ResourceRef,
  ) {
    this.#object = object;
  }

  get object(): Record<string, unknown> {
    if (this.#object === undefined) {
      const st = this.st;
      const again = st.escalated === undefined ? rereadDocument(st.text, this.root) : undefined;
      if (again !== undefined) {
        for (const c of st.calls) if (c.item === this.index) setInObject(again, c.path, c.value);
        this.#object = again;
      } else {
        // the full model has the same value, with the `setImage` calls replayed
        this.#object = (escalate(st).items[this.index] as Item).object;
      }
    }
    return this.#object;
  }

  get changed(): boolean {
    return this.#changed;
  }

  setImage(path: FieldPath, value: string): void {
    const st = this.st;
    if (st.escalated === undefined && typeof value === 'string') {
      const r = this.tryRecord(path, value);
      if (r !== undefined) {
        if (r) this.#changed = true;
        st.calls.push({ item: this.index, path: [...path], value });
        if (this.#object !== undefined) setInObject(this.#object, path, value);
        return;
      }
    }
    // Anything the index can not explain (and every error): the full model decides.
    const full = escalate(st);
    const item = full.items[this.index] as Item;
    item.setImage(path, value);
    if (item.changed) this.#changed = true;
    st.calls.push({ item: this.index, path: [...path], value });
    if (this.#object !== undefined) setInObject(this.#object, path, value);
  }

  /** An annotation is written by the full model (annotate.ts): the item escalates. */
  setAnnotation(key: string, value: string): void {
    const item = escalate(this.st).items[this.index] as Item;
    item.setAnnotation(key, value);
    if (item.changed) this.#changed = true;
    this.#object = item.object;
  }

  /** Record the edit like rewrite.ts `recordScalarEdit`; undefined: escalate. */
  private tryRecord(path: FieldPath, value: string): boolean | undefined {
    const st = this.st;
    const f = frameAt(this.root, path);
    if (!isScalarFrame(f) || notDecodable(f.style) || typeof f.value !== 'string') return undefined;
    const start = f.contentFrom;
    const end = f.contentTo;
    const previous = st.edits.get(start);
    if (previous !== undefined) {
      if (previous.value === value) return false;
      return undefined; // the full model reports the conflict
    }
    if (f.value === value) return false;
    const original = st.text.slice(start, end);
    const type = f.style === 1 ? Scalar.QUOTE_SINGLE : f.style === 2 ? Scalar.QUOTE_DOUBLE : Scalar.PLAIN;
    st.edits.set(start, { start, end, text: renderScalar({ type } as Scalar, value, original), value });
    return true;
  }
}

const YAML_OPTIONS = { merge: true, uniqueKeys: true, strict: true } as const;

/** End of the line of the first content character at or after `p` (comments skipped); else the input's end. */
function nextContentLineEnd(text: string, p: number): number {
  const n = text.length;
  while (p < n) {
    const c = text.charCodeAt(p);
    if (c === 0x20 || c === 0x0a || c === 0x0d) p++;
    else if (c === 0x23) {
      const nl = text.indexOf('\n', p);
      p = nl < 0 ? n : nl;
    } else break;
  }
  if (p >= n) return n;
  const nl = text.indexOf('\n', p);
  return nl < 0 ? n : nl + 1;
}

const lineStartOf = (text: string, p: number): number => text.lastIndexOf('\n', p - 1) + 1;

/** `yaml`'s value of the first document of `src`; undefined on any error or warning in any document. */
function yamlFirstValue(src: string): { value: unknown } | undefined {
  try {
    const docs = parseAllDocuments(src, YAML_OPTIONS) as Document.Parsed[];
    if (!Array.isArray(docs) || docs.length === 0) return undefined;
    for (const d of docs) if (d.errors.length > 0 || d.warnings.length > 0) return undefined;
    return { value: (docs[0] as Document.Parsed).toJS() };
  } catch {
    return undefined;
  }
}

/** `verifyBlockScalars` for one stream document (value not released yet). */
function verifyStreamDocument(text: string, root: Frame): boolean {
  if (root.kind !== MAP || root.style !== 0) return false;
  const start = lineStartOf(text, root.contentFrom);
  if (!/^ *$/.test(text.slice(start, root.contentFrom))) return false;
  const got = yamlFirstValue(text.slice(start, nextContentLineEnd(text, root.closedAt)));
  return got !== undefined && isDeepStrictEqual(got.value, root.value);
}

/**
 * js-yaml's block scalars are not trusted: each stream document or ResourceList item holding one is re-read
 * by `yaml` from its first line through the next content line (so the scalar ends as in the whole input;
 * items under `items:` at its column, so indentation means the same) and must be deeply equal to js-yaml's
 * value. Block scalars elsewhere in a ResourceList give false (the full path).
 */
function verifyBlockScalars(text: string, idx: DocumentIndex): boolean {
  if (idx.blocks.length === 0) return true;
  const { roots } = idx;
  const rl = roots.length === 1 && (idx.docs[0] as Record<string, unknown>).kind === 'ResourceList' ? (roots[0] as Frame) : undefined;
  if (rl === undefined) {
    let last = -1;
    for (const { doc } of idx.blocks) {
      if (doc === last) continue;
      last = doc;
      const root = roots[doc];
      if (root === undefined || !verifyStreamDocument(text, root)) return false;
    }
    return true;
  }
  if (!isMapFrame(rl) || rl.style !== 0) return false;
  const k = rl.keys.indexOf('items');
  const itemsFrame = rl.vals[k];
  const itemsKey = rl.keyFrames[k];
  if (k < 0 || itemsKey === undefined || !isSeqFrame(itemsFrame) || itemsFrame.style !== 0) return false;
  const prefix = `${' '.repeat(columnOf(text, itemsKey.contentFrom))}items:\n`;
  const items = itemsFrame.items;
  let last = -1;
  for (const { doc, at } of idx.blocks) {
    if (doc !== 0) return false;
    // the item holding `at`: the last one starting at or before it (items are in source order)
    let lo = 0;
    let hi = items.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((items[mid] as Frame).contentFrom <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const item = items[found];
    if (item === undefined || at >= item.closedAt || item.kind !== MAP || item.style !== 0) return false;
    if (found === last) continue;
    last = found;
    const start = lineStartOf(text, item.contentFrom);
    if (!/^ *- +$/.test(text.slice(start, item.contentFrom))) return false;
    const got = yamlFirstValue(prefix + text.slice(start, nextContentLineEnd(text, item.closedAt)));
    const list = got !== undefined && got.value !== null && typeof got.value === 'object' ? (got.value as Record<string, unknown>).items : undefined;
    if (!Array.isArray(list) || list.length === 0 || !isDeepStrictEqual(list[0], item.value)) return false;
  }
  return true;
}

export interface FastBuild {
  text: string;
  eol: '\n' | '\r\n';
  resourceListApiVersions: readonly string[];
  refOf: (obj: unknown) => ResourceRef;
  full: () => Manifest;
  /** read.ts `ResourceSink.pick`; when given, stream documents are released once picked (re-read on use). */
  pick?: (object: Record<string, unknown>, index: number) => unknown;
}

const isResource = (o: unknown): o is Record<string, unknown> =>
  o !== null && typeof o === 'object' && !Array.isArray(o) && typeof (o as Record<string, unknown>).apiVersion === 'string' && (o as Record<string, unknown>).apiVersion !== '' && typeof (o as Record<string, unknown>).kind === 'string' && (o as Record<string, unknown>).kind !== '';

export function buildFast(b: FastBuild): ReadResult | undefined {
  const pick = b.pick;
  // With `pick`, each stream document is checked, picked from and released as its root closes.
  const picked: unknown[] = [];
  const refs: ResourceRef[] = [];
  const strings = new Interner();
  let resourceList = false;
  const onRoot = (f: Frame, n: number, hasBlocks: boolean): boolean => {
    const o = f.value as Record<string, unknown>;
    if (f.kind !== MAP) throw ABORT; // null documents, scalars, lists: full path
    if (o.kind === 'ResourceList') {
      if (n > 0) throw ABORT;
      resourceList = true;
      return false;
    }
    if (resourceList || !isResource(o) || (hasBlocks && !verifyStreamDocument(b.text, f))) throw ABORT;
    refs.push(compactRef(b.refOf(o), strings));
    picked.push((pick as NonNullable<typeof pick>)(o, n));
    return true;
  };
  const idx = indexDocuments(b.text, { compactRoots: true, blockScalars: true, onRoot: pick !== undefined ? onRoot : undefined });
  if (idx === undefined) return undefined;
  const { docs, roots } = idx;
  if (docs.length === 0) return undefined;
  for (const r of roots) if (r.kind !== MAP) return undefined; // null documents, scalars, lists: full path
  const streamPicked = pick !== undefined && !resourceList; // its block scalars were checked in onRoot
  if (!streamPicked && !verifyBlockScalars(b.text, idx)) return undefined;
  const st: FastState = { text: b.text, eol: b.eol, edits: new Map(), calls: [], lastContent: idx.lastContent, lastIsBlock: idx.lastIsBlock, full: b.full };
  const objs = docs as (Record<string, unknown> | undefined)[];
  if (streamPicked) {
    if (refs.length !== roots.length || picked.length !== roots.length) return undefined;
    const items: Item[] = roots.map((root, i) => new FastItem(st, root, i, i, undefined, refs[i] as ResourceRef));
    return { model: new IndexedManifest({ form: 'stream', items, documentCount: docs.length, source: b.text }, st), picked };
  }
  if (objs.some((o) => o?.kind === 'ResourceList')) return objs.length === 1 ? resourceListModel(b, objs[0] as Record<string, unknown>, roots[0] as Frame, st) : undefined;
  const items: Item[] = [];
  for (let i = 0; i < objs.length; i++) {
    const o = objs[i];
    if (o === undefined || !isResource(o)) return undefined;
    items.push(new FastItem(st, roots[i] as Frame, i, i, o, b.refOf(o)));
  }
  return { model: new IndexedManifest({ form: 'stream', items, documentCount: docs.length, source: b.text }, st), picked: [] };
}

function resourceListModel(b: FastBuild, rl: Record<string, unknown>, root: Frame, st: FastState): ReadResult | undefined {
  if (typeof rl.apiVersion !== 'string' || !b.resourceListApiVersions.includes(rl.apiVersion)) return undefined;
  const itemsFrame = frameAt(root, ['items']);
  let itemFrames: Frame[] = [];
  if (itemsFrame !== undefined && itemsFrame.kind !== NONE && !(itemsFrame.kind === SCALAR && itemsFrame.value === null)) {
    if (!isSeqFrame(itemsFrame)) return undefined;
    itemFrames = itemsFrame.items;
  } else if (rl.items !== undefined && rl.items !== null) return undefined;
  const state: FastState = { ...st, resourceList: root };
  const items: Item[] = [];
  for (let i = 0; i < itemFrames.length; i++) {
    const f = itemFrames[i] as Frame;
    if (f.kind !== MAP || !isResource(f.value)) return undefined;
    items.push(new FastItem(state, f, i, 0, f.value, b.refOf(f.value)));
  }
  const pick = b.pick;
  const picked = pick !== undefined ? items.map((item) => pick(item.object, item.index)) : [];
  const fields = { form: 'resourceList' as const, items, apiVersion: rl.apiVersion, functionConfig: rl.functionConfig, existingResults: rl.results, documentCount: 1, source: b.text };
  return { model: new IndexedManifest(fields, state), picked };
}
