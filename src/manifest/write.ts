/**
 * Writes a parsed input back, replacing only the changed image scalars (and a ResourceList's `results`).
 * A replacement must read back exactly; else the changed documents are re-printed with `yaml` and the
 * output is compared with the input (output-check.ts). A mismatch is INTERNAL, never wrong output.
 */
import { isDeepStrictEqual } from 'node:util';
import { isScalar, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { PinError } from '../errors/errors.js';
import { stateOf, type DocState, type SourceState } from './document-model.js';
import { escalate, fastStateOf, type FastState } from './indexed-reader.js';
import { fastResultsEdit, resultList, type ResultSource } from './indexed-results.js';
import { fingerprint, sameFingerprint } from './output-check.js';
import { yamlOptions } from './read.js';
import { resultsEdit, type TextEdit } from './results.js';
import { isProvablyPlainPinned, nodeAt } from './rewrite.js';
import { KrmResultSchema, type KrmResult, type Manifest } from './manifest.js';

export interface SerializeOptions {
  /** `replace` (default): `results` becomes exactly the given list; `append`: existing results are kept first. */
  resultsMode?: 'replace' | 'append';
  /** `surgical` (default) edits the text; `restringify` re-prints the changed documents with yaml. */
  strategy?: 'surgical' | 'restringify';
  /**
   * `local` (default): each replacement reads back alone in block and flow context (one scalar for one
   * cannot change the structure). `full`: the whole output is re-parsed and compared with the input.
   */
  verify?: 'local' | 'full';
}

/** Start/end offsets of each document's text: a document owns everything up to its end. */
function segments(st: SourceState): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  st.docs.forEach((d, i) => {
    const end = i === st.docs.length - 1 ? st.text.length : d.doc.range[2];
    out.push([start, end]);
    start = end;
  });
  return out;
}

function applyEdits(text: string, edits: TextEdit[]): string | undefined {
  return applyEditsParts(text, edits)?.join('');
}

/** `applyEdits` as the output's pieces, so a large output is never one string beside its input. */
function applyEditsParts(text: string, edits: TextEdit[]): string[] | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) return undefined; // overlapping edits
    if (e.start > pos) parts.push(text.slice(pos, e.start));
    parts.push(e.text);
    pos = e.end;
  }
  if (pos < text.length) parts.push(text.slice(pos));
  return parts;
}

function surgical(st: SourceState, results: unknown[] | undefined): string | undefined {
  const edits: TextEdit[] = [];
  for (const d of st.docs) for (const e of d.edits.values()) edits.push(e);
  for (const d of st.docs) for (const e of d.inserts.values()) edits.push(e);
  if (results !== undefined && st.resourceList !== undefined) {
    const r = resultsEdit(st.text, st.resourceList, results, st.eol);
    if (r === undefined) return undefined;
    edits.push(r);
  }
  return applyEdits(st.text, edits);
}

function restringify(st: SourceState, changed: ReadonlySet<number>, results: unknown[] | undefined): string | undefined {
  const segs = segments(st);
  const edits: TextEdit[] = [];
  for (const n of changed) {
    const [start, end] = segs[n] as [number, number];
    const parsed = parseAllDocuments(st.text.slice(start, end), yamlOptions());
    if (!Array.isArray(parsed) || parsed.length !== 1) return undefined;
    const doc = parsed[0] as Document.Parsed;
    if (doc.errors.length > 0 || doc.contents === null) return undefined;
    for (const e of (st.docs[n] as DocState).edits.values()) {
      const node = nodeAt(doc, doc.contents, e.docPath);
      if (!isScalar(node)) return undefined;
      node.value = e.value;
      if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') node.type = 'QUOTE_DOUBLE';
    }
    if (results !== undefined && st.resourceList !== undefined) doc.set('results', doc.createNode(results));
    let out = doc.toString({ lineWidth: 0 });
    if (st.eol === '\r\n') out = out.replace(/\r?\n/g, '\r\n');
    edits.push({ start, end, text: out });
  }
  return applyEdits(st.text, edits);
}

const readsBack = new Map<string, boolean>();

/** `text` (a replacement's source) reads back as exactly `value` in block and flow context, YAML 1.2 and 1.1. */
export function scalarReadsBack(text: string, value: string): boolean {
  // drop a block scalar's trailing line breaks (a loop: /[\r\n \t]+$/ would try every position)
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); c === 10 || c === 13 || c === 32 || c === 9; c = text.charCodeAt(end - 1)) end--;
  const body = end === text.length ? text : text.slice(0, end);
  if (body === value && isProvablyPlainPinned(value)) return true;
  const key = `${body}\u0000${value}`;
  const known = readsBack.get(key);
  if (known !== undefined) return known;
  const ok = readsBackByParse(body, value);
  if (readsBack.size > 10_000) readsBack.clear();
  readsBack.set(key, ok);
  return ok;
}

export function readsBackByParse(body: string, value: string): boolean {
  let ok = false;
  try {
    // One document holds both contexts: `k` (block) and `f` (flow sequence).
    const src = `k: ${body}\nf: [${body}]\n`;
    ok =
      !/[\r\n]/.test(body) &&
      !body.includes(' #') &&
      (['1.2', '1.1'] as const).every((version) => {
        const doc = parseAllDocuments(src, { version, strict: true, uniqueKeys: true }) as Document.Parsed[];
        if (!Array.isArray(doc) || doc.length !== 1 || doc[0]!.errors.length > 0 || doc[0]!.warnings.length > 0) return false;
        const js = doc[0]!.toJS() as Record<string, unknown> | null;
        const f = js?.f;
        return (
          js !== null &&
          Object.keys(js).length === 2 &&
          js.k === value &&
          Array.isArray(f) &&
          f.length === 1 &&
          f[0] === value &&
          doc[0]!.comment == null
        );
      });
  } catch {
    ok = false;
  }
  return ok;
}

function editsReadBack(st: SourceState): boolean {
  for (const d of st.docs) for (const e of d.edits.values()) if (!scalarReadsBack(e.text, e.value)) return false;
  return true;
}

/** Re-parse `out` and check it against the input (output-check.ts). */
function verify(st: SourceState, out: string, results: unknown[] | undefined): boolean {
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(out, yamlOptions()) as Document.Parsed[];
  } catch {
    return false;
  }
  if (!Array.isArray(docs) || docs.length !== st.docs.length) return false;
  const skip = results !== undefined && st.resourceList !== undefined ? 'results' : undefined;
  for (let i = 0; i < docs.length; i++) {
    const now = docs[i] as Document.Parsed;
    const before = st.docs[i] as DocState;
    if (now.errors.length > 0 || now.warnings.length > 0) return false;
    const isRl = skip !== undefined && before.doc.contents === st.resourceList;
    const opts = { skipRootKey: isRl ? skip : undefined };
    if (!sameFingerprint(fingerprint(before.doc, { ...opts, substitute: before.edits, prepend: before.inserts }), fingerprint(now, opts))) return false;
    if (isRl) {
      let written: unknown;
      try {
        written = (now.toJS({ maxAliasCount: st.maxAliasCount }) as Record<string, unknown>).results;
      } catch {
        return false;
      }
      if (!isDeepStrictEqual(written, results)) return false;
    }
  }
  return true;
}

/**
 * The model as text: every byte outside the changed scalars is the input's. `results` go into a
 * ResourceList (ignored for a stream); output that does not read back is INTERNAL.
 */
export function serialize(model: Manifest, results?: readonly KrmResult[], opts: SerializeOptions = {}): string {
  const parts = serializeParts(model, results, opts);
  return parts.length === 1 ? parts[0]! : parts.join('');
}

export function serializeParts(model: Manifest, results?: readonly KrmResult[], opts: SerializeOptions = {}): string[] {
  let source: ResultSource | undefined;
  if (results !== undefined && model.form === 'resourceList') {
    const existing = opts.resultsMode === 'append' && Array.isArray(model.existingResults) ? (JSON.parse(JSON.stringify(model.existingResults)) as unknown[]) : [];
    // validated and JSON-normalised when needed: the fast path writes them one by one
    const checked = (i: number): unknown => {
      const p = KrmResultSchema.safeParse(results[i]);
      if (!p.success) throw new PinError({ code: 'INTERNAL', message: `result ${i} is not a valid KRM result: ${p.error.message}` });
      return JSON.parse(JSON.stringify(p.data)) as unknown;
    };
    source = {
      length: existing.length + results.length,
      entry: (i) => (i < existing.length ? existing[i] : checked(i - existing.length)),
      mappings: existing.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r)),
    };
  }
  const fast = fastStateOf(model);
  if (fast !== undefined) {
    const out = fast.escalated === undefined ? serializeFast(fast, source, opts) : undefined;
    if (out !== undefined) return out;
    return [serializeState(stateOf(escalate(fast)), source && resultList(source), opts)];
  }
  return [serializeState(stateOf(model), source && resultList(source), opts)];
}

/** Surgical rewrite of a fast model (default options, local check); undefined: the full model must do it. */
function serializeFast(st: FastState, finalResults: ResultSource | undefined, opts: SerializeOptions): string[] | undefined {
  if (opts.strategy === 'restringify' || opts.verify === 'full') return undefined;
  const withResults = finalResults !== undefined && st.resourceList !== undefined;
  if (st.edits.size === 0 && !withResults) return [st.text];
  const edits: TextEdit[] = [...st.edits.values()];
  if (withResults) {
    const r = fastResultsEdit(st, finalResults);
    if (r === undefined) return undefined;
    edits.push(r);
  }
  for (const e of st.edits.values()) if (!scalarReadsBack(e.text, e.value)) return undefined;
  return applyEditsParts(st.text, edits);
}

function serializeState(st: SourceState, finalResults: unknown[] | undefined, opts: SerializeOptions): string {
  const changed = new Set<number>();
  st.docs.forEach((d, i) => {
    if (d.edits.size > 0 || d.inserts.size > 0 || (finalResults !== undefined && d.doc.contents === st.resourceList)) changed.add(i);
  });
  if (changed.size === 0) return st.text;

  if (opts.strategy !== 'restringify') {
    const out = surgical(st, finalResults);
    // an inserted entry is checked by a full parse of the output (annotate.ts)
    const full = opts.verify === 'full' || st.docs.some((d) => d.inserts.size > 0);
    if (out !== undefined && (full ? verify(st, out, finalResults) : editsReadBack(st))) return out;
  }
  const out = restringify(st, changed, finalResults);
  if (out !== undefined && verify(st, out, finalResults)) return out;
  throw new PinError({
    code: 'INTERNAL',
    message: 'the rewritten manifests did not read back as intended; refusing to write them',
    hint: 'please report this input as a notary-pin bug',
  });
}
