/**
 * The fast parse path for "plain" YAML/JSON manifests: js-yaml (`CORE_SCHEMA`) builds the plain JS
 * objects, and its parse listener (`open`/`close` around every node) gives a light position index
 * (node source ranges, key → child, index → child). The `yaml` Document path (io.ts) stays the
 * reference: this module never reports a user-facing error, it returns `undefined` ("not plain
 * enough, use the full path") whenever anything is outside what it can prove, and a fast model
 * escalates to a full model (built from the same text, with the same `setImage` calls replayed)
 * whenever an operation needs more than the index can explain.
 *
 * What is proven per input, else `undefined`:
 * - no BOM, tabs, lone CR, control/non-printable characters, `%` directive lines, `...` markers,
 *   markers with content, js-yaml errors or warnings, duplicate keys (js-yaml throws);
 * - no node starts with an anchor, tag, alias or block-scalar indicator (`& ! * | >`), no `<<` key;
 * - every scalar is single-line and its source, re-read by rules written here (plain: the `yaml`
 *   core schema resolution; 'single': `''` unescaping; "double": JSON), equals the value js-yaml
 *   produced — so `item.object` is what `yaml`'s `toJS` gives;
 * - every mapping's pairs (keys are strings followed by `:`) and every sequence's entries match the
 *   js-yaml result one to one (same count, identical values);
 * - every document is a mapping; a ResourceList is the only document and is valid; every resource
 *   has a non-empty string apiVersion and kind.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { Scalar } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { renderBlock, type TextEdit } from './results.js';
import { renderScalar, setInObject } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './types.js';

/** Kinds of an indexed node. */
const NONE = 0;
const SCALAR = 1;
const MAP = 2;
const SEQ = 3;
type Kind = typeof NONE | typeof SCALAR | typeof MAP | typeof SEQ;

/** One node of the position index. */
export interface Frame {
  /** Where js-yaml opened the node (may be before separation space). */
  s: number;
  /** Where js-yaml closed it. */
  e: number;
  k: Kind;
  /** The js-yaml value. */
  r: unknown;
  /** Content start (first character of the node's own text). */
  cs: number;
  /** Scalars and flow collections: content end (exclusive). Block collections: -1. */
  ce: number;
  /** Scalar style: 0 plain, 1 'single', 2 "double". Collections: 1 when flow. */
  st: number;
  /** Children while building; dropped once resolved. */
  c?: Frame[] | undefined;
  /** Mapping: keys and value frames (null: no value node). */
  keys?: string[];
  keyFrames?: Frame[];
  vals?: (Frame | null)[];
  /** Sequence entries. */
  items?: Frame[];
}

const ABORT = new Error('not plain');

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const STRING = Symbol('string');

/** What the `yaml` package's core schema (YAML 1.2) makes of a plain scalar; STRING when a string. */
export function yamlCoreValue(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only these first characters can resolve to a non-string: ~ n N t T f F digits + - .
  if (!(s === '' || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46 || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return STRING;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return s[0] === 't' || s[0] === 'T';
  if (OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (NAN_RE.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return STRING;
}

/** Characters that make the fast path give up when they appear anywhere in the input. */
const UNPLAIN_TEXT = /[\t\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|\r(?!\n)|^%|^\.\.\.|^---[^\r\n]*\S|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/m;

const isKindName = (k: unknown): Kind => (k === 'scalar' ? SCALAR : k === 'mapping' ? MAP : k === 'sequence' ? SEQ : NONE);

/** Build the index while js-yaml loads `text`; undefined when the input is not plain. */
export function indexDocuments(text: string): { docs: unknown[]; roots: Frame[]; lastContent: number } | undefined {
  if (UNPLAIN_TEXT.test(text)) return undefined;
  const n = text.length;
  const stack: Frame[] = [];
  const roots: Frame[] = [];
  let lastContent = 0;

  const contentStart = (p: number): number => {
    while (p < n) {
      const c = text.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d) p++;
      else if (c === 0x23) {
        const nl = text.indexOf('\n', p);
        p = nl < 0 ? n : nl;
      } else break;
    }
    return p;
  };
  const trimBack = (p: number, min: number): number => {
    while (p > min) {
      const c = text.charCodeAt(p - 1);
      if (c === 0x20 || c === 0x0a || c === 0x0d) p--;
      else break;
    }
    return p;
  };
  /** True when the next non-space character after `p` is `:` (the frame is a mapping key). */
  const colonAfter = (p: number): boolean => {
    while (p < n && text.charCodeAt(p) === 0x20) p++;
    return text.charCodeAt(p) === 0x3a;
  };

  const scalar = (f: Frame, tag: unknown): void => {
    const q = text.charCodeAt(f.cs);
    let end: number;
    if (q === 0x27) {
      let p = f.cs + 1;
      for (;;) {
        const i = text.indexOf("'", p);
        if (i < 0) throw ABORT;
        if (text.charCodeAt(i + 1) === 0x27) p = i + 2;
        else {
          end = i + 1;
          break;
        }
      }
      f.st = 1;
      const raw = text.slice(f.cs, end);
      if (/[\r\n]/.test(raw) || f.r !== raw.slice(1, -1).replace(/''/g, "'") || f.e !== end) throw ABORT;
    } else if (q === 0x22) {
      let p = f.cs + 1;
      for (;;) {
        const c = text.charCodeAt(p);
        if (p >= n || c === 0x0a || c === 0x0d) throw ABORT;
        if (c === 0x5c) p += 2;
        else if (c === 0x22) {
          end = p + 1;
          break;
        } else p++;
      }
      f.st = 2;
      const raw = text.slice(f.cs, end);
      let v: unknown;
      if (raw.includes('\\')) {
        try {
          v = JSON.parse(raw) as unknown;
        } catch {
          throw ABORT;
        }
      } else v = raw.slice(1, -1);
      if (f.r !== v || f.e !== end) throw ABORT;
    } else {
      end = trimBack(f.e, f.cs);
      f.st = 0;
      const raw = text.slice(f.cs, end);
      if (raw === '' || /[\r\n]/.test(raw)) throw ABORT;
      const core = yamlCoreValue(raw);
      if (tag === '?') {
        if (core !== STRING || f.r !== raw) throw ABORT;
      } else if (core === STRING || !Object.is(core, f.r)) throw ABORT;
    }
    f.ce = end;
    if (end > lastContent) lastContent = end;
  };

  const mapping = (f: Frame): void => {
    const ch = f.c ?? [];
    f.st = text.charCodeAt(f.cs) === 0x7b ? 1 : 0;
    const keys: string[] = [];
    const keyFrames: Frame[] = [];
    const vals: (Frame | null)[] = [];
    for (let i = 0; i < ch.length; ) {
      const k = ch[i] as Frame;
      if (k.k === SCALAR && colonAfter(k.e)) {
        if (typeof k.r !== 'string' || k.r === '<<' || k.ce - k.cs > 1000) throw ABORT;
        const next = ch[i + 1];
        const hasValue = next !== undefined && !(next.k === SCALAR && colonAfter(next.e));
        keys.push(k.r);
        keyFrames.push(k);
        vals.push(hasValue ? (next as Frame) : null);
        i += hasValue ? 2 : 1;
      } else if (k.k === NONE && i === ch.length - 1) {
        i++; // js-yaml's attempt to read one more key at the end of a block mapping
      } else throw ABORT;
    }
    const r = f.r as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r) || Object.keys(r).length !== keys.length) throw ABORT;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = vals[i];
      if (!Object.prototype.hasOwnProperty.call(r, key) || !Object.is(r[key], v ? v.r : null)) throw ABORT;
    }
    f.keys = keys;
    f.keyFrames = keyFrames;
    f.vals = vals;
    if (f.st === 1) {
      f.ce = f.e;
      if (text.charCodeAt(f.e - 1) !== 0x7d) throw ABORT;
      if (f.e > lastContent) lastContent = f.e;
    }
  };

  const sequence = (f: Frame): void => {
    const ch = f.c ?? [];
    f.st = text.charCodeAt(f.cs) === 0x5b ? 1 : 0;
    const r = f.r as unknown[];
    if (!Array.isArray(r) || r.length !== ch.length) throw ABORT;
    for (let i = 0; i < ch.length; i++) {
      const it = ch[i] as Frame;
      if (it.k === NONE || !Object.is(it.r, r[i]) || (f.st === 1 && it.k === SCALAR && colonAfter(it.e))) throw ABORT;
    }
    f.items = ch;
    if (f.st === 1) {
      f.ce = f.e;
      if (text.charCodeAt(f.e - 1) !== 0x5d) throw ABORT;
      if (f.e > lastContent) lastContent = f.e;
    }
  };

  const listener = (ev: string, state: { position: number; kind: unknown; result: unknown; tag?: unknown; anchor?: unknown }): void => {
    if (ev === 'open') {
      stack.push({ s: state.position, e: 0, k: NONE, r: null, cs: 0, ce: -1, st: 0 });
      return;
    }
    let f = stack.pop() as Frame;
    if (state.anchor !== null && state.anchor !== undefined) throw ABORT;
    const kind = isKindName(state.kind);
    const only = f.c !== undefined && f.c.length === 1 ? f.c[0] : undefined;
    if (only !== undefined && only.k === kind && Object.is(only.r, state.result)) {
      f = only; // js-yaml read the node as a candidate key, then kept it as the whole node
    } else {
      if (f.c !== undefined && kind === SCALAR) throw ABORT;
      f.e = Math.min(state.position, n);
      f.k = kind;
      f.r = state.result;
      if (kind !== NONE) {
        f.cs = contentStart(f.s);
        const c = text.charCodeAt(f.cs);
        // anchors, tags, aliases, block scalars, reserved indicators
        if (c === 0x26 || c === 0x21 || c === 0x2a || c === 0x7c || c === 0x3e || c === 0x25 || c === 0x40 || c === 0x60 || f.cs >= f.e) throw ABORT;
        if (kind === SCALAR) scalar(f, state.tag);
        else if (kind === MAP) mapping(f);
        else sequence(f);
      } else if (f.c !== undefined) throw ABORT;
      f.c = undefined;
    }
    const parent = stack[stack.length - 1];
    if (parent === undefined) roots.push(f);
    else (parent.c ??= []).push(f);
  };

  let docs: unknown[];
  try {
    docs = loadAll(text, null, {
      schema: CORE_SCHEMA,
      listener: listener as never,
      onWarning: () => {
        throw ABORT;
      },
    });
  } catch {
    return undefined;
  }
  if (stack.length !== 0 || roots.length !== docs.length) return undefined;
  for (let i = 0; i < docs.length; i++) if (!Object.is((roots[i] as Frame).r, docs[i])) return undefined;
  return { docs, roots, lastContent };
}

/** The value frame at `path` below `root` (undefined when the index can not say). */
export function frameAt(root: Frame, path: FieldPath): Frame | undefined {
  let f: Frame | undefined = root;
  for (const seg of path) {
    if (f === undefined) return undefined;
    if (typeof seg === 'number') {
      if (f.k !== SEQ || f.items === undefined) return undefined;
      f = f.items[seg];
    } else {
      if (f.k !== MAP || f.keys === undefined || f.vals === undefined) return undefined;
      const i = f.keys.indexOf(seg);
      if (i < 0) return undefined;
      f = f.vals[i] ?? undefined;
    }
  }
  return f;
}

export const isMapFrame = (f: Frame | null | undefined): f is Frame & { keys: string[]; vals: (Frame | null)[]; keyFrames: Frame[] } =>
  f !== null && f !== undefined && f.k === MAP && f.keys !== undefined;
export const isSeqFrame = (f: Frame | null | undefined): f is Frame & { items: Frame[] } => f !== null && f !== undefined && f.k === SEQ && f.items !== undefined;
export const isScalarFrame = (f: Frame | null | undefined): f is Frame => f !== null && f !== undefined && f.k === SCALAR;

// ------------------------------------------------------------------ the fast model

/** A recorded scalar edit of the fast model (same shape as the full model's). */
export interface FastEdit extends TextEdit {
  value: string;
}

/** What a fast model needs to serialise or to escalate to the full model. */
export interface FastState {
  readonly text: string;
  readonly eol: '\n' | '\r\n';
  /** Scalar edits keyed by start offset (like the full model, shared by all items). */
  readonly edits: Map<number, FastEdit>;
  /** `setImage` calls in order, to replay on the full model. */
  readonly calls: { item: number; path: FieldPath; value: string }[];
  /** The ResourceList root mapping, for the ResourceList form. */
  readonly resourceList?: Frame;
  /** End of the last content character of the input. */
  readonly lastContent: number;
  /** Builds the full (`yaml` Document) model from the same text. */
  readonly full: () => Manifest;
  /** The full model once built: from then on every item delegates to it. */
  escalated?: Manifest;
}

const FAST = new WeakMap<Manifest, FastState>();

/** The fast state of a model made by the fast path (undefined for full models). */
export function fastStateOf(model: Manifest): FastState | undefined {
  return FAST.get(model);
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

class FastItem implements Item {
  #changed = false;

  constructor(
    private readonly st: FastState,
    private readonly root: Frame,
    readonly index: number,
    readonly docIndex: number,
    readonly object: Record<string, unknown>,
    readonly ref: ResourceRef,
  ) {}

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
        setInObject(this.object, path, value);
        return;
      }
    }
    // Anything the index can not explain (and every error): the full model decides.
    const full = escalate(st);
    const item = full.items[this.index] as Item;
    item.setImage(path, value);
    if (item.changed) this.#changed = true;
    st.calls.push({ item: this.index, path: [...path], value });
    setInObject(this.object, path, value);
  }

  /** Record the edit like rewrite.ts `recordScalarEdit`; undefined: escalate. */
  private tryRecord(path: FieldPath, value: string): boolean | undefined {
    const st = this.st;
    const f = frameAt(this.root, path);
    if (!isScalarFrame(f) || typeof f.r !== 'string') return undefined;
    const start = f.cs;
    const end = f.ce;
    const previous = st.edits.get(start);
    if (previous !== undefined) {
      if (previous.value === value) return false;
      return undefined; // the full model reports the conflict
    }
    if (f.r === value) return false;
    const original = st.text.slice(start, end);
    const type = f.st === 1 ? Scalar.QUOTE_SINGLE : f.st === 2 ? Scalar.QUOTE_DOUBLE : Scalar.PLAIN;
    st.edits.set(start, { start, end, text: renderScalar({ type } as Scalar, value, original), value });
    return true;
  }
}

/** Parameters of `buildFast` supplied by io.ts (its validation helpers). */
export interface FastBuild {
  text: string;
  eol: '\n' | '\r\n';
  resourceListApiVersions: readonly string[];
  refOf: (obj: unknown) => ResourceRef;
  full: () => Manifest;
}

const isResource = (o: unknown): o is Record<string, unknown> =>
  o !== null && typeof o === 'object' && !Array.isArray(o) && typeof (o as Record<string, unknown>).apiVersion === 'string' && (o as Record<string, unknown>).apiVersion !== '' && typeof (o as Record<string, unknown>).kind === 'string' && (o as Record<string, unknown>).kind !== '';

/**
 * The fast model of `b.text`, or undefined when the input is not plain enough (the caller then
 * runs the full path, which also reports every input error).
 */
export function buildFast(b: FastBuild): Manifest | undefined {
  const idx = indexDocuments(b.text);
  if (idx === undefined) return undefined;
  const { docs, roots } = idx;
  if (docs.length === 0) return undefined;
  for (const r of roots) if (!isMapFrame(r)) return undefined; // null documents, scalars, lists: full path
  const st: FastState = { text: b.text, eol: b.eol, edits: new Map(), calls: [], lastContent: idx.lastContent, full: b.full };
  const objs = docs as Record<string, unknown>[];
  if (objs.some((o) => o.kind === 'ResourceList')) {
    if (objs.length !== 1) return undefined;
    const rl = objs[0] as Record<string, unknown>;
    const root = roots[0] as Frame;
    if (typeof rl.apiVersion !== 'string' || !b.resourceListApiVersions.includes(rl.apiVersion)) return undefined;
    const itemsFrame = frameAt(root, ['items']);
    let itemFrames: Frame[] = [];
    if (itemsFrame !== undefined && itemsFrame.k !== NONE && !(itemsFrame.k === SCALAR && itemsFrame.r === null)) {
      if (!isSeqFrame(itemsFrame)) return undefined;
      itemFrames = itemsFrame.items;
    } else if (rl.items !== undefined && rl.items !== null) return undefined;
    const state: FastState = { ...st, resourceList: root };
    const items: Item[] = [];
    for (let i = 0; i < itemFrames.length; i++) {
      const f = itemFrames[i] as Frame;
      if (!isMapFrame(f) || !isResource(f.r)) return undefined;
      items.push(new FastItem(state, f, i, 0, f.r, b.refOf(f.r)));
    }
    const fc = rl.functionConfig;
    const model: Manifest = {
      form: 'resourceList',
      items,
      apiVersion: rl.apiVersion,
      ...(fc !== undefined && fc !== null && { functionConfig: fc }),
      ...(rl.results !== undefined && { existingResults: rl.results }),
      documentCount: 1,
      source: b.text,
    };
    FAST.set(model, state);
    return model;
  }
  const items: Item[] = [];
  for (let i = 0; i < objs.length; i++) {
    const o = objs[i];
    if (!isResource(o)) return undefined;
    items.push(new FastItem(st, roots[i] as Frame, i, i, o, b.refOf(o)));
  }
  const model: Manifest = { form: 'stream', items, documentCount: docs.length, source: b.text };
  FAST.set(model, st);
  return model;
}

const columnOf = (text: string, offset: number): number => offset - (text.lastIndexOf('\n', offset - 1) + 1);

/**
 * The `results` edit for a fast ResourceList, for the one layout the index explains exactly: a
 * block root mapping without a `results` key (results are appended after the mapping's last
 * content line). Undefined otherwise (the caller escalates).
 */
export function fastResultsEdit(st: FastState, results: unknown[]): TextEdit | undefined {
  const root = st.resourceList;
  if (!isMapFrame(root) || root.st !== 0 || root.keys.includes('results')) return undefined;
  const text = st.text;
  const first = root.keyFrames[0];
  if (first === undefined) return undefined;
  const col = columnOf(text, first.cs);
  let indentSeq = false;
  for (let i = 0; i < root.keys.length; i++) {
    const v = root.vals[i];
    if (isSeqFrame(v) && v.st === 0) {
      indentSeq = columnOf(text, v.cs) > columnOf(text, (root.keyFrames[i] as Frame).cs);
      break;
    }
  }
  // The mapping ends with the line of its last content character (a trailing comment on that line
  // included); only blank and comment lines may follow it.
  const nl = text.indexOf('\n', st.lastContent);
  const at = nl < 0 ? text.length : nl + 1;
  // (only blank lines and comments in column 0: where `yaml` puts an indented comment is not modelled)
  if (!/^(?:(?:#[^\n]*)?\n)*(?:#[^\n]*)?$/.test(text.slice(at).replace(/\r\n/g, '\n'))) return undefined;
  if (nl >= 0 && !/^[ \r]*(?:#[^\n]*)?$/.test(text.slice(st.lastContent, nl))) return undefined;
  const rendered = renderBlock('results', results, indentSeq).map((l) => ' '.repeat(col) + l);
  const needsBreak = at > 0 && text[at - 1] !== '\n';
  return { start: at, end: at, text: (needsBreak ? st.eol : '') + rendered.join(st.eol) + st.eol };
}
