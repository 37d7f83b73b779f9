/**
 * Manifest I/O: reads a KRM `ResourceList` (kpt / kustomize functions) or a plain multi-document
 * stream of objects (`kustomize build . | notary-pin`, JSON included), and writes it back with only
 * the changed image scalars replaced — every byte that was not changed comes out as it came in
 * (comments, key order, quoting, anchors, flow style, `---` / `...`, CRLF, null documents).
 *
 * Input rules (all violations are PinError INPUT_INVALID, or INPUT_TOO_LARGE):
 * - the size cap (`maxBytes`, default 64 MiB) is checked before parsing;
 * - an empty input (or only comments) is a valid empty stream: no items, serialised unchanged;
 * - any YAML error or warning (syntax, duplicate keys, tabs, unknown tags ...) is fatal;
 * - aliases: unknown or self-containing aliases are invalid, alias expansion beyond
 *   `maxAliasCount` (billion laughs) is INPUT_TOO_LARGE; YAML 1.1 merge keys (`<<`) are applied
 *   like Kubernetes does, so an image can not hide behind one;
 * - every non-null document is a mapping; null documents (`---` with nothing) pass through;
 * - a `kind: ResourceList` document must be the only document and have apiVersion
 *   `config.kubernetes.io/v1` or `config.kubernetes.io/v1alpha1`; its `items` must be a list
 *   (missing or null means empty);
 * - every resource has a string `apiVersion` and `kind`.
 */
import { isDeepStrictEqual } from 'node:util';
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { PinError } from '../errors/errors.js';
import { attachState, ManifestItem, stateOf, type DocState, type SourceState } from './model.js';
import { buildFast, escalate, fastResultsEdit, fastStateOf, resultList, type FastState, type ResultSource } from './fast.js';
import { resultsEdit, type TextEdit } from './results.js';
import { isProvablyPlainPinned, nodeAt } from './rewrite.js';
import { KrmResultSchema, type Item, type KrmResult, type Manifest } from './types.js';
import { fingerprint, sameFingerprint } from './verify.js';
import { resourceRefOf } from '../workload/ref.js';

/** Default input size cap: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Default limit for yaml's alias expansion counter (`maxAliasCount`). */
export const DEFAULT_MAX_ALIAS_COUNT = 100;
/** The ResourceList apiVersions the KRM functions spec defines. */
export const RESOURCE_LIST_API_VERSIONS = ['config.kubernetes.io/v1', 'config.kubernetes.io/v1alpha1'] as const;

export interface ParseOptions {
  /** Input size cap in bytes (UTF-8), checked before parsing. Default 64 MiB. */
  maxBytes?: number;
  /** yaml `maxAliasCount` (alias expansion limit). Default 100. */
  maxAliasCount?: number;
  /**
   * Which parser builds the model. `auto` (default): the js-yaml fast path (fast.ts) for plain
   * input, the `yaml` Document path otherwise; `full`: always the `yaml` path; `fast`: like auto
   * (the fast path is tried for every input; what it can not prove still goes the full path).
   * Default from the environment variable NOTARY_PIN_YAML_PATH, else `auto`.
   */
  yamlPath?: YamlPath;
  /**
   * Called with every resource (a stream document or a ResourceList item), in order, as soon as it
   * has been read and checked — to collect what is needed from it while it is at hand. A call with
   * index 0 starts over: when the fast path gives up part-way, the full path reads the input again
   * and calls it for every resource. When given, a plain stream read by the fast path does not keep
   * its documents' values: `item.object` reads the document's source again on first use.
   */
  onResource?: (object: Record<string, unknown>, index: number) => void;
}

/** See `ParseOptions.yamlPath`. */
export type YamlPath = 'auto' | 'fast' | 'full';

function yamlPathOf(opts: ParseOptions): YamlPath {
  if (opts.yamlPath !== undefined) return opts.yamlPath;
  const env = process.env.NOTARY_PIN_YAML_PATH;
  return env === 'full' || env === 'fast' ? env : 'auto';
}

/** Which parse path built `model`: `fast` (js-yaml index, fast.ts) or `full` (`yaml` Documents). */
export function parsePathOf(model: Manifest): 'fast' | 'full' {
  return fastStateOf(model) !== undefined ? 'fast' : 'full';
}

export interface SerializeOptions {
  /** `replace` (default): `results` becomes exactly the given list; `append`: existing results are kept first. */
  resultsMode?: 'replace' | 'append';
  /** `surgical` (default) edits the text; `restringify` re-prints the changed documents with yaml. */
  strategy?: 'surgical' | 'restringify';
  /**
   * How a surgical edit is checked. `local` (default): each replacement must read back, alone, as
   * exactly the intended string in both block and flow context — a single scalar replaced by a
   * single scalar cannot change the structure around it — and `results` come from an emitter that
   * writes only what reads back (results.ts). `full`: the whole output is parsed again and compared
   * with the input (what the re-stringify fallback always does); it doubles the YAML cost.
   */
  verify?: 'local' | 'full';
}

const yamlOptions = (lineCounter?: LineCounter) =>
  ({ merge: true, uniqueKeys: true, strict: true, prettyErrors: true, ...(lineCounter && { lineCounter }) }) as const;

const invalid = (message: string, hint: string, cause?: unknown): PinError =>
  new PinError({ code: 'INPUT_INVALID', message, hint, ...(cause !== undefined && { cause }) });

function decode(input: string | Uint8Array, maxBytes: number): string {
  const tooLarge = (size: string) =>
    new PinError({
      code: 'INPUT_TOO_LARGE',
      message: `input is ${size} bytes, more than the limit of ${maxBytes} bytes`,
      hint: 'split the input into smaller runs, or raise the limit (notary-pin --max-input-bytes N)',
    });
  if (typeof input === 'string') {
    // UTF-8 needs at least one byte per UTF-16 code unit: a cheap first check before counting.
    if (input.length > maxBytes) throw tooLarge(`at least ${input.length}`);
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) throw tooLarge(String(bytes));
    return input;
  }
  if (input.byteLength > maxBytes) throw tooLarge(String(input.byteLength));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch (e) {
    throw invalid('input is not valid UTF-8', 'YAML and JSON input must be UTF-8 encoded', e);
  }
}

export function detectEol(text: string): '\n' | '\r\n' {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

function where(lc: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lc.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

/** Reject YAML errors and warnings, unknown and self-containing aliases. */
function checkDocument(doc: Document.Parsed, n: number, lc: LineCounter): void {
  const problems = [...doc.errors, ...doc.warnings];
  const first = problems[0];
  if (first !== undefined) {
    const msg = first.message.split('\n')[0] ?? first.message;
    const pos = first.linePos?.[0];
    const at = pos && !/ at line \d+/.test(msg) ? ` at line ${pos.line}, column ${pos.col}` : '';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw invalid(
      `document ${n + 1} is not valid YAML: ${msg.replace(/:$/, '')}${at}${more}`,
      first.code === 'DUPLICATE_KEY' ? 'remove the duplicate key: a mapping may name each key once' : 'fix the YAML at that position',
    );
  }
  visit(doc, {
    Alias(_key, node, path) {
      const target = node.resolve(doc);
      if (target === undefined) {
        throw invalid(`document ${n + 1}: unknown alias *${node.source}${where(lc, node.range?.[0])}`, 'define the anchor (&name) before using the alias');
      }
      if ((path as readonly unknown[]).includes(target)) {
        throw invalid(`document ${n + 1}: alias *${node.source} is inside its own anchor${where(lc, node.range?.[0])}`, 'recursive YAML structures are not allowed');
      }
    },
  });
}

function docToJS(doc: Document.Parsed, n: number, maxAliasCount: number): unknown {
  try {
    return doc.toJS({ maxAliasCount });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Excessive alias count/.test(msg)) {
      throw new PinError({
        code: 'INPUT_TOO_LARGE',
        message: `document ${n + 1}: YAML aliases expand too much (more than ${maxAliasCount} alias expansions; a "billion laughs" input?)`,
        hint: 'write the repeated structures out instead of nesting aliases',
        cause: e,
      });
    }
    throw invalid(`document ${n + 1} can not be read: ${msg}`, 'check the YAML anchors and aliases of that document', e);
  }
}

const isNullDoc = (doc: Document.Parsed): boolean => doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);

function describe(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return `a scalar (${JSON.stringify(node.value)?.slice(0, 40) ?? String(node.value)})`;
  return 'not a mapping';
}

function checkResource(obj: Record<string, unknown>, label: string): void {
  const name = resourceRefOf(obj).name;
  const named = name !== undefined ? ` (name "${name}")` : '';
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') {
      throw invalid(
        `${label}${named} has ${v === undefined ? 'no' : 'an invalid'} ${key}`,
        'every resource needs a string apiVersion and kind, e.g. "apiVersion: apps/v1" and "kind: Deployment"',
      );
    }
  }
}

/**
 * Parse the input into a ResourceList or stream model. `input` may be a string or UTF-8 bytes
 * (bytes are size-checked before they are decoded).
 */
export function parseInput(input: string | Uint8Array, opts: ParseOptions = {}): Manifest {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxAliasCount = opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
  const text = decode(input, maxBytes);
  if (yamlPathOf(opts) !== 'full') {
    const fast = buildFast({
      text,
      eol: detectEol(text),
      resourceListApiVersions: RESOURCE_LIST_API_VERSIONS,
      refOf: resourceRefOf,
      full: () => parseFull(text, maxAliasCount),
      ...(opts.onResource !== undefined && { visit: opts.onResource }),
    });
    if (fast !== undefined) return fast;
  }
  const model = parseFull(text, maxAliasCount);
  if (opts.onResource !== undefined) for (const item of model.items) opts.onResource(item.object, item.index);
  return model;
}

/** The `yaml` Document path: the reference parser, and the one that reports every input error. */
function parseFull(text: string, maxAliasCount: number): Manifest {
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, yamlOptions(lc)) as Document.Parsed[];
  } catch (e) {
    // e.g. a stack overflow on absurdly deep nesting
    throw invalid(`input can not be parsed as YAML: ${e instanceof Error ? e.message : String(e)}`, 'check that the input is YAML or JSON', e);
  }
  if (!Array.isArray(docs)) {
    throw invalid('input can not be parsed as YAML', 'check that the input is YAML or JSON');
  }
  const eol = detectEol(text);
  const states: DocState[] = docs.map((doc) => ({ doc, edits: new Map() }));
  const live: { n: number; obj: Record<string, unknown>; root: YAMLMap }[] = [];
  docs.forEach((doc, n) => {
    checkDocument(doc, n, lc);
    if (isNullDoc(doc)) return;
    const root = doc.contents;
    if (!isMap(root)) {
      throw invalid(`document ${n + 1}${where(lc, root?.range?.[0])} is ${describe(root)}, not a mapping`, 'each YAML document must be one Kubernetes object (a mapping with apiVersion and kind)');
    }
    const obj = docToJS(doc, n, maxAliasCount) as Record<string, unknown>;
    live.push({ n, obj, root });
  });

  const rlDocs = live.filter((d) => d.obj.kind === 'ResourceList');
  const first = live[0];
  if (rlDocs.length > 0 && first !== undefined) {
    if (live.length > 1) {
      throw invalid(
        `input mixes a ResourceList with ${live.length - 1} other document${live.length > 2 ? 's' : ''}`,
        'give either one ResourceList (KRM function input) or a stream of plain resources, not both',
      );
    }
    return buildResourceList(text, states, first, eol, lc, maxAliasCount);
  }

  const items: Item[] = live.map(({ n, obj, root }, index) => {
    checkResource(obj, `document ${n + 1}${where(lc, root.range?.[0])}`);
    const st = states[n] as DocState;
    return new ManifestItem({ source: text, doc: st.doc, root, rootPath: [], edits: st.edits }, index, n, obj, resourceRefOf(obj));
  });
  const model: Manifest = { form: 'stream', items, documentCount: docs.length, source: text };
  attachState(model, { text, docs: states, eol, maxAliasCount });
  return model;
}

function buildResourceList(
  text: string,
  states: DocState[],
  rl: { n: number; obj: Record<string, unknown>; root: YAMLMap },
  eol: '\n' | '\r\n',
  lc: LineCounter,
  maxAliasCount: number,
): Manifest {
  const apiVersion = rl.obj.apiVersion;
  if (typeof apiVersion !== 'string' || !(RESOURCE_LIST_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw invalid(
      `ResourceList has apiVersion ${JSON.stringify(apiVersion) ?? 'undefined'}; expected ${RESOURCE_LIST_API_VERSIONS.join(' or ')}`,
      'KRM function input must be a config.kubernetes.io/v1 ResourceList',
    );
  }
  const st = states[rl.n] as DocState;
  const itemsNode = nodeAt(st.doc, rl.root, ['items']);
  const itemsJs = rl.obj.items;
  let itemNodes: unknown[] = [];
  if (itemsNode !== undefined && !(isScalar(itemsNode) && itemsNode.value === null)) {
    if (!isSeq(itemsNode) || !Array.isArray(itemsJs)) {
      throw invalid(`ResourceList items${where(lc, (itemsNode as { range?: number[] } | null)?.range?.[0])} is ${describe(itemsNode)}, not a list`, 'items must be a list of Kubernetes objects');
    }
    itemNodes = itemsNode.items;
  }
  const items: Item[] = itemNodes.map((raw, i) => {
    const node = nodeAt(st.doc, raw as Node, []);
    const obj = (itemsJs as unknown[])[i];
    const label = `items[${i}]${where(lc, (node as { range?: number[] } | null)?.range?.[0])}`;
    if (!isMap(node) || obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw invalid(`ResourceList ${label} is ${describe(node)}, not a mapping`, 'each item must be a Kubernetes object (a mapping with apiVersion and kind)');
    }
    const o = obj as Record<string, unknown>;
    checkResource(o, `ResourceList ${label}`);
    return new ManifestItem({ source: text, doc: st.doc, root: node, rootPath: ['items', i], edits: st.edits }, i, rl.n, o, resourceRefOf(o));
  });
  const fc = rl.obj.functionConfig;
  const model: Manifest = {
    form: 'resourceList',
    items,
    apiVersion,
    ...(fc !== undefined && fc !== null && { functionConfig: fc }),
    ...(rl.obj.results !== undefined && { existingResults: rl.obj.results }),
    documentCount: states.length,
    source: text,
  };
  attachState(model, { text, docs: states, eol, resourceList: rl.root, maxAliasCount });
  return model;
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

/**
 * `applyEdits` as the pieces of the output, in order (slices of `text` and replacement texts): a
 * large output can be written piece by piece without ever being one string beside its input.
 */
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


/**
 * True when `text` (a scalar's replacement source) reads back as exactly `value`, as one plain or
 * quoted scalar, in a block mapping and in a flow sequence, under YAML 1.2 and 1.1. Memoised: a
 * bundle repeats the same few hundred images.
 */
export function scalarReadsBack(text: string, value: string): boolean {
  // A block scalar's replacement keeps its trailing line breaks: drop trailing whitespace (a loop,
  // not /[\r\n \t]+$/, which tries every position of the text).
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

/** The parse check behind `scalarReadsBack` (exported for the test that backs the shortcut). */
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

/** The local check of a surgical rewrite: every recorded replacement reads back on its own. */
function editsReadBack(st: SourceState): boolean {
  for (const d of st.docs) for (const e of d.edits.values()) if (!scalarReadsBack(e.text, e.value)) return false;
  return true;
}

/** Re-parse `out` and check it against the input (see verify.ts). */
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
    const opts = { ...(isRl && { skipRootKey: skip }) };
    if (!sameFingerprint(fingerprint(before.doc, { ...opts, substitute: before.edits }), fingerprint(now, opts))) return false;
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
 * The model as text. Unchanged documents (and, with the default surgical strategy, every byte
 * outside the changed scalars) are exactly the input. For a ResourceList, `results` (when given)
 * replaces the ResourceList's `results` (or is appended to them with `resultsMode: 'append'`);
 * a stream has nowhere to put results, so they are ignored there.
 * The output is parsed again and compared with the input before it is returned; a mismatch is a
 * PinError INTERNAL (never silently wrong output).
 */
export function serialize(model: Manifest, results?: readonly KrmResult[], opts: SerializeOptions = {}): string {
  const parts = serializeParts(model, results, opts);
  return parts.length === 1 ? parts[0]! : parts.join('');
}

/** `serialize`, as the pieces of the output in order (see `applyEditsParts`). */
export function serializeParts(model: Manifest, results?: readonly KrmResult[], opts: SerializeOptions = {}): string[] {
  let source: ResultSource | undefined;
  if (results !== undefined && model.form === 'resourceList') {
    const existing = opts.resultsMode === 'append' && Array.isArray(model.existingResults) ? (JSON.parse(JSON.stringify(model.existingResults)) as unknown[]) : [];
    // Each result is validated and JSON-normalised when it is needed (a result is an object, so
    // alone it round-trips as it does in the list): the fast path writes them one by one.
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

/**
 * The surgical rewrite of a fast model with the default options and the same local read-back check;
 * undefined when the full model must do it (other options, a `results` layout the index does not
 * explain, or a replacement that does not read back).
 */
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
    if (d.edits.size > 0 || (finalResults !== undefined && d.doc.contents === st.resourceList)) changed.add(i);
  });
  if (changed.size === 0) return st.text;

  if (opts.strategy !== 'restringify') {
    const out = surgical(st, finalResults);
    if (out !== undefined && (opts.verify === 'full' ? verify(st, out, finalResults) : editsReadBack(st))) return out;
  }
  const out = restringify(st, changed, finalResults);
  if (out !== undefined && verify(st, out, finalResults)) return out;
  throw new PinError({
    code: 'INTERNAL',
    message: 'the rewritten manifests did not read back as intended; refusing to write them',
    hint: 'please report this input as a notary-pin bug',
  });
}
