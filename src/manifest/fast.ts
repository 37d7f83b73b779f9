/**
 * The fast parse path for "plain" YAML/JSON manifests: js-yaml (`CORE_SCHEMA`) builds the plain JS
 * objects, and its parse listener (`open`/`close` around every node) gives a light position index
 * (node source ranges, key → child, index → child). Every node is checked as it closes; once a
 * resource has closed, only the ranges of its string scalars are kept (`ScalarTable`, about 13 bytes
 * per string scalar), so memory grows with the input text and the JS objects, not with the node
 * count; with a visitor (`FastBuild.visit`, io.ts `onResource`) a stream's documents are visited
 * and released one by one, and memory grows with the text and the index only. The `yaml` Document path (io.ts) stays the
 * reference: this module never reports a user-facing error, it returns `undefined` ("not plain
 * enough, use the full path") whenever anything is outside what it can prove, and a fast model
 * escalates to a full model (built from the same text, with the same `setImage` calls replayed)
 * whenever an operation needs more than the index can explain.
 *
 * What is proven per input, else `undefined`:
 * - no BOM, tabs, lone CR, control/non-printable characters, `%` directive lines, `...` markers,
 *   markers with content, js-yaml errors or warnings, duplicate keys (js-yaml throws);
 * - no node starts with an anchor, tag or alias (`& ! *`), no `<<` key;
 * - every flow scalar is single-line and its source, re-read by rules written here (plain: the `yaml`
 *   core schema resolution; 'single': `''` unescaping; "double": JSON), equals the value js-yaml
 *   produced — so `item.object` is what `yaml`'s `toJS` gives;
 * - block scalars (`|`, `>`, any chomping / indentation indicator) are not re-read here: with
 *   `blockScalars` (what `buildFast` uses) they are accepted as values only inside a stream document
 *   or a ResourceList item, and `buildFast` then re-reads that whole document / item from its exact
 *   source with `yaml` (`verifyBlockScalars`) and requires the same value as js-yaml's; they are
 *   indexed with style BLOCK, which `setImage` never edits itself (it escalates). Without the option
 *   (and as keys, or anywhere else in a ResourceList) the input is not plain;
 * - every mapping's pairs (keys are strings followed by `:`) and every sequence's entries match the
 *   js-yaml result one to one (same count, identical values);
 * - every document is a mapping; a ResourceList is the only document and is valid; every resource
 *   has a non-empty string apiVersion and kind.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments, Scalar, type Document } from 'yaml';
import type { ResourceRef } from '../errors/errors.js';
import { compactRef, Interner } from '../util/intern.js';
import { renderBlock, type TextEdit } from './results.js';
import { renderScalar, setInObject } from './rewrite.js';
import type { FieldPath, Item, Manifest } from './types.js';

/** Kinds of an indexed node. */
const NONE = 0;
const SCALAR = 1;
const MAP = 2;
const SEQ = 3;
type Kind = typeof NONE | typeof SCALAR | typeof MAP | typeof SEQ;
/** Scalar style of a block scalar (`|` / `>`): its value is not re-read from the index, never edited fast. */
const BLOCK = 3;
/** Scalar style of a plain scalar wrapped over several lines: checked when read, never edited fast. */
const WRAPPED = 4;
/** Styles whose value `decodeScalar` cannot give back from the source range alone. */
const notDecodable = (style: number): boolean => style === BLOCK || style === WRAPPED;

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
  /** Scalar style: 0 plain, 1 'single', 2 "double", 3 block (`BLOCK`). Collections: 1 when flow. */
  st: number;
  /** Children while building; dropped once resolved. */
  c?: Frame[] | undefined;
  /** Mapping: keys and value frames (null: no value node). */
  keys?: string[];
  keyFrames?: Frame[];
  vals?: (Frame | null)[];
  /** Sequence entries. */
  items?: Frame[];
  /**
   * A compacted collection: its descendants' frames are dropped and only its string scalars are
   * kept, as entries `[from, to)` of `table` (see `ScalarTable`).
   */
  t?: { table: ScalarTable; from: number; to: number };
}

/** Path segment separator of a `ScalarTable` path key; keys holding it (or NUMBER) are not recorded. */
const SEP = '\u0000';
/** Prefix of a sequence index segment in a path key. */
const NUMBER = '\u0001';

/**
 * The string scalars of the compacted collections of one input, packed: the only nodes `setImage`
 * can edit without escalating (`tryRecord` needs a string scalar's range, style and value, which
 * `decodeScalar` re-reads from the text). An entry is (path id, content start, content end, style);
 * the path (relative to the compacted collection: keys and `NUMBER`-prefixed indexes joined by
 * `SEP`) is interned once per input, so the per-item cost is 13 bytes per string scalar. Each
 * compacted collection owns a block of entries sorted by path id (binary search).
 */
export class ScalarTable {
  ids = new Int32Array(1024);
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  styles = new Uint8Array(1024);
  length = 0;
  readonly paths: string[] = [];
  readonly pathIds = new Map<string, number>();

  constructor(readonly text: string) {}

  /** Drop every entry from `length` on (a merged block replaces its children's blocks). */
  truncate(length: number): void {
    this.length = length;
  }

  /** Append a block; returns its [from, to). */
  append(keys: readonly string[], cs: readonly number[], ce: readonly number[], st: readonly number[]): { from: number; to: number } {
    const from = this.length;
    const count = keys.length;
    if (from + count > this.ids.length) {
      let size = this.ids.length * 2;
      while (size < from + count) size *= 2;
      const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
        b.set(a.subarray(0, from));
        return b;
      };
      this.ids = grow(this.ids, new Int32Array(size));
      this.starts = grow(this.starts, new Int32Array(size));
      this.ends = grow(this.ends, new Int32Array(size));
      this.styles = grow(this.styles, new Uint8Array(size));
    }
    const ids: number[] = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const key = keys[i] as string;
      let id = this.pathIds.get(key);
      if (id === undefined) {
        id = this.paths.length;
        this.paths.push(key);
        this.pathIds.set(key, id);
      }
      ids[i] = id;
    }
    // Usually in order already: resources of one shape list their paths in the order first seen.
    let sorted = true;
    for (let i = 1; i < count && sorted; i++) sorted = (ids[i - 1] as number) <= (ids[i] as number);
    const order = sorted ? undefined : Array.from({ length: count }, (_, i) => i).sort((a, b) => (ids[a] as number) - (ids[b] as number));
    for (let j = 0; j < count; j++) {
      const i = order === undefined ? j : (order[j] as number);
      this.ids[from + j] = ids[i] as number;
      this.starts[from + j] = cs[i] as number;
      this.ends[from + j] = ce[i] as number;
      this.styles[from + j] = st[i] as number;
    }
    this.length = from + count;
    return { from, to: from + count };
  }

  /** The entry for `key` in the block [from, to), or -1. */
  find(from: number, to: number, key: string): number {
    const id = this.pathIds.get(key);
    if (id === undefined) return -1;
    let lo = from;
    let hi = to - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid] as number;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** The value of a string scalar the index verified (the inverse of the checks in `scalar`). */
function decodeScalar(text: string, cs: number, ce: number, st: number): string {
  const raw = text.slice(cs, ce);
  if (st === 0) return raw;
  if (st === 1) return raw.slice(1, -1).replace(/''/g, "'");
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/** The path key of `path[from..]` in a `ScalarTable`; undefined when no entry can have it. */
function pathKey(path: FieldPath, from: number): string | undefined {
  let key = '';
  for (let i = from; i < path.length; i++) {
    const seg = path[i];
    let part: string;
    if (typeof seg === 'number') part = NUMBER + String(seg);
    else if (typeof seg === 'string' && !seg.includes(SEP) && !seg.includes(NUMBER)) part = seg;
    else return undefined;
    key = i === from ? part : key + SEP + part;
  }
  return key;
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

/** A continuation line's first character that the fast path leaves to the full path (indicators). */
const WRAP_LINE_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

/**
 * The value of a plain scalar wrapped over several lines (YAML 1.2 §7.3.3 line folding: a single
 * line break becomes a space, n breaks with empty lines between become n - 1 newlines), or
 * undefined when the source holds anything the fast path does not read itself: a comment, `: `, a
 * continuation line that starts with an indicator or is not indented deeper than `indent` (the
 * indentation of the scalar's first line).
 */
export function foldWrappedPlain(raw: string, indent: number): string | undefined {
  if (raw.includes(' #') || /:(?: |\r?\n|$)/.test(raw)) return undefined;
  const lines = raw.split('\n');
  let out = (lines[0] as string).replace(/ +$/, '').replace(/\r$/, '');
  if (out === '' || /[ \r]$/.test(out)) return undefined;
  let breaks = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const body = line.trim();
    if (body === '') {
      breaks++;
      continue;
    }
    const lead = line.length - line.trimStart().length;
    if (lead <= indent || WRAP_LINE_START.test(body) || body.startsWith('---') || body.startsWith('...')) return undefined;
    out += breaks === 0 ? ` ${body}` : '\n'.repeat(breaks) + body;
    breaks = 0;
  }
  return breaks === 0 ? out : undefined;
}

/** Characters that make the fast path give up when they appear anywhere in the input. */
const UNPLAIN_TEXT = /[\t\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|\r(?!\n)|^%|^\.\.\.|^---[^\r\n]*\S|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/m;

const isKindName = (k: unknown): Kind => (k === 'scalar' ? SCALAR : k === 'mapping' ? MAP : k === 'sequence' ? SEQ : NONE);

/** The result of `indexDocuments`. */
export interface DocumentIndex {
  /** The js-yaml documents. */
  docs: unknown[];
  /** The index of each document's root node. */
  roots: Frame[];
  /** End of the last content character of the input. */
  lastContent: number;
  /** The string scalars of the compacted collections. */
  table: ScalarTable;
  /** Block scalars (only with `blockScalars`): the document they are in and their content start. */
  blocks: { doc: number; at: number }[];
  /** True when the last content of the input is a block scalar. */
  lastIsBlock: boolean;
}

/** Options of `indexDocuments`. */
export interface IndexOptions {
  /**
   * Also compact every root mapping that is not a `kind: ResourceList` (a stream's resources): it
   * keeps no frames below it, only its string scalars. Default false.
   */
  compactRoots?: boolean;
  /**
   * Accept block scalars (`|`, `>`) as mapping values and sequence entries, listed in `blocks` for
   * the caller to verify (js-yaml's value of them is not checked here). Default false.
   */
  blockScalars?: boolean;
  /**
   * Called as each document's root closes (after its checks and compaction), with the index of the
   * document and whether it holds a block scalar. It may throw (the input is then not plain). When
   * it returns true the document's js-yaml value is released: neither the index nor js-yaml keeps
   * it (`DocumentIndex.docs` holds undefined for it, `Frame.r` of the root is cleared), so the
   * documents of a stream are not all held at once.
   */
  onRoot?: (root: Frame, doc: number, hasBlocks: boolean) => boolean;
}

/**
 * Build the index while js-yaml loads `text`; undefined when the input is not plain.
 *
 * Memory: every node is checked when it closes, and a collection at depth 2 (a ResourceList item;
 * without `compactRoots`, anything two levels below a document root) is compacted as soon as it
 * closes: its frames are dropped and only its string scalars stay, packed in the `ScalarTable`;
 * with `compactRoots`, a stream's resources are compacted whole when their root closes. Frames are
 * kept only for the roots and their direct children, which is what `buildFast` and
 * `fastResultsEdit` read.
 */
export function indexDocuments(text: string, opts: IndexOptions = {}): DocumentIndex | undefined {
  if (UNPLAIN_TEXT.test(text)) return undefined;
  const n = text.length;
  const stack: Frame[] = [];
  const roots: Frame[] = [];
  const table = new ScalarTable(text);
  let lastContent = 0;
  const blocks: { doc: number; at: number }[] = [];
  let blockEnd = -1;

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
      if (raw === '') throw ABORT;
      if (raw.includes('\n')) {
        if (tag !== '?' || typeof f.r !== 'string' || inFlow() || f.r !== foldWrappedPlain(raw, lineIndentAt(f.cs))) throw ABORT;
        f.st = WRAPPED;
        f.ce = end;
        if (end > lastContent) lastContent = end;
        return;
      }
      const core = yamlCoreValue(raw);
      if (tag === '?') {
        if (core !== STRING || f.r !== raw) throw ABORT;
      } else if (core === STRING || !Object.is(core, f.r)) throw ABORT;
    }
    f.ce = end;
    if (end > lastContent) lastContent = end;
  };

  /** True when an open ancestor is a flow collection (wrapped plain scalars are read in block context only). */
  const inFlow = (): boolean => {
    for (const g of stack) {
      const c = text.charCodeAt(g.cs);
      if (c === 0x7b || c === 0x5b) return true;
    }
    return false;
  };
  const lineIndentAt = (p: number): number => {
    const start = text.lastIndexOf('\n', p - 1) + 1;
    let i = start;
    while (text.charCodeAt(i) === 0x20) i++;
    return i - start;
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
        if (typeof k.r !== 'string' || notDecodable(k.st) || k.r === '<<' || k.ce - k.cs > 1000) throw ABORT;
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

  /**
   * The depth of `f` (closing, `stack` holds its open ancestors) in the document: the number of
   * its ancestors, less the wrapper js-yaml opens around a flow collection in block context (it reads
   * the collection as a candidate key, then keeps it as the node: the wrapper closes with it as its
   * only child, see the listener). Only flow collections have such a wrapper, at most one per path
   * (nothing in flow context is wrapped), and it starts where the collection does.
   */
  const depthOf = (f: Frame): number => {
    const k = stack.length;
    for (let i = 0; i < k; i++) {
      const g = stack[i] as Frame;
      const c = text.charCodeAt(g.cs);
      if (c === 0x7b || c === 0x5b) return (i + 1 < k ? (stack[i + 1] as Frame) : f).cs === g.cs ? k - 1 : k;
    }
    return k;
  };

  /**
   * True when `f` (closing) looks like an entry of a sequence: its parent (the nearest open frame
   * not starting where `f` does, which would be js-yaml's wrapper around a flow collection) starts
   * with `[` or a `- ` entry indicator. With `compactRoots`, only such a node at depth 2 (a
   * ResourceList item, an entry of a root's top-level list) is compacted on its own: anything else
   * there (a Deployment's `spec.template`) is compacted with its document root moments later, and
   * compacting it first would pack its scalars twice. A wrong guess costs only time or memory: the
   * index says the same either way.
   */
  const inSequence = (f: Frame): boolean => {
    for (let i = stack.length - 1; i >= 0; i--) {
      const g = stack[i] as Frame;
      if (g.cs === f.cs) continue;
      const c = text.charCodeAt(g.cs);
      if (c === 0x5b) return true;
      if (c !== 0x2d) return false;
      const d = text.charCodeAt(g.cs + 1);
      return d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09 || Number.isNaN(d);
    }
    return false;
  };

  /**
   * Replace `f`'s subtree (checked) by its string scalars in `table`. Compacted descendants are
   * merged: their blocks are the last ones of the table (they closed after `f` opened), so the
   * merged block replaces them.
   */
  const compact = (f: Frame): void => {
    const keys: string[] = [];
    const cs: number[] = [];
    const ce: number[] = [];
    const st: number[] = [];
    let reuse = table.length;
    const join = (prefix: string | undefined, part: string): string => (prefix === undefined ? part : prefix + SEP + part);
    const collect = (g: Frame | null | undefined, prefix: string | undefined): void => {
      if (g === null || g === undefined) return;
      if (g.k === SCALAR) {
        if (typeof g.r === 'string' && prefix !== undefined) {
          keys.push(prefix);
          cs.push(g.cs);
          ce.push(g.ce);
          st.push(g.st);
        }
      } else if (g.t !== undefined) {
        const { from, to } = g.t;
        if (from < reuse) reuse = from;
        for (let i = from; i < to; i++) {
          keys.push(join(prefix, table.paths[table.ids[i] as number] as string));
          cs.push(table.starts[i] as number);
          ce.push(table.ends[i] as number);
          st.push(table.styles[i] as number);
        }
      } else if (g.k === MAP && g.keys !== undefined && g.vals !== undefined) {
        for (let i = 0; i < g.keys.length; i++) {
          const key = g.keys[i] as string;
          if (key.includes(SEP) || key.includes(NUMBER)) continue; // never found: setImage escalates
          collect(g.vals[i], join(prefix, key));
        }
      } else if (g.k === SEQ && g.items !== undefined) {
        for (let i = 0; i < g.items.length; i++) collect(g.items[i], join(prefix, NUMBER + String(i)));
      }
    };
    collect(f, undefined);
    table.truncate(reuse);
    f.t = { table, ...table.append(keys, cs, ce, st) };
    f.keys = undefined;
    f.keyFrames = undefined;
    f.vals = undefined;
    f.items = undefined;
  };

  const listener = (ev: string, state: { position: number; kind: unknown; result: unknown; tag?: unknown; anchor?: unknown }): void => {
    if (ev === 'open') {
      stack.push({ s: state.position, e: 0, k: NONE, r: null, cs: contentStart(state.position), ce: -1, st: 0 });
      return;
    }
    let f = stack.pop() as Frame;
    if (state.anchor !== null && state.anchor !== undefined) throw ABORT;
    const kind = isKindName(state.kind);
    const only = f.c !== undefined && f.c.length === 1 ? f.c[0] : undefined;
    if (only !== undefined && only.k === kind && Object.is(only.r, state.result)) {
      f = only; // js-yaml read the node as a candidate key, then kept it as the whole node
    } else {
      // A block scalar sequence entry: js-yaml first tried (and failed) to read a node where it starts.
      const tried = f.c !== undefined && f.c.length === 1 ? f.c[0] : undefined;
      if (kind === SCALAR && opts.blockScalars === true && tried !== undefined && tried.k === NONE && tried.e <= f.cs && (text.charCodeAt(f.cs) === 0x7c || text.charCodeAt(f.cs) === 0x3e)) f.c = undefined;
      if (f.c !== undefined && kind === SCALAR) throw ABORT;
      f.e = Math.min(state.position, n);
      f.k = kind;
      f.r = state.result;
      if (kind !== NONE) {
        const c = text.charCodeAt(f.cs);
        // anchors, tags, aliases, reserved indicators; block scalars unless asked for
        if (c === 0x26 || c === 0x21 || c === 0x2a || c === 0x25 || c === 0x40 || c === 0x60 || f.cs >= f.e) throw ABORT;
        if (c === 0x7c || c === 0x3e) {
          if (kind !== SCALAR || opts.blockScalars !== true || typeof f.r !== 'string') throw ABORT;
          // not re-read here: `buildFast` verifies the document / item around it with `yaml`
          f.st = BLOCK;
          f.ce = trimBack(f.e, f.cs);
          if (f.ce > lastContent) lastContent = f.ce;
          if (f.ce > blockEnd) blockEnd = f.ce;
          blocks.push({ doc: roots.length, at: f.cs });
        } else if (kind === SCALAR) scalar(f, state.tag);
        else if (kind === MAP) mapping(f);
        else sequence(f);
      } else if (f.c !== undefined) throw ABORT;
      f.c = undefined;
    }
    if ((f.k === MAP || f.k === SEQ) && f.t === undefined && stack.length <= 3) {
      const depth = depthOf(f);
      if ((depth === 2 && (opts.compactRoots !== true || inSequence(f))) || (depth === 0 && opts.compactRoots === true && f.k === MAP && (f.r as Record<string, unknown>).kind !== 'ResourceList')) compact(f);
    }
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      if (opts.onRoot !== undefined) root(f, state as unknown as { documents?: unknown });
      roots.push(f);
    } else (parent.c ??= []).push(f);
  };

  // Documents released by `onRoot`. js-yaml appends each document to `state.documents` right after
  // its root closes; a released one is taken out of that list at the next root's close (checked to
  // be the very value the index saw), so js-yaml does not hold it either. When the list is not
  // what is expected, nothing is released (the memory is kept, the result is the same).
  const released = new Set<number>();
  let lastResult: unknown;
  const root = (f: Frame, state: { documents?: unknown }): void => {
    const n = roots.length;
    const docs = state.documents;
    if (n > 0 && released.has(n - 1) && Array.isArray(docs)) {
      if (docs.length !== n || !Object.is(docs[n - 1], lastResult)) throw ABORT;
      docs[docs.length - 1] = undefined;
      lastResult = undefined;
    }
    const result = f.r;
    const hasBlocks = blocks.length > 0 && (blocks[blocks.length - 1] as { doc: number }).doc === n;
    if ((opts.onRoot as NonNullable<IndexOptions['onRoot']>)(f, n, hasBlocks) && Array.isArray(docs)) {
      released.add(n);
      lastResult = result;
      f.r = undefined;
    }
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
  const last = roots.length - 1;
  if (released.has(last)) {
    if (!Object.is(docs[last], lastResult)) return undefined;
    docs[last] = undefined;
  }
  for (let i = 0; i < docs.length; i++) if (!Object.is((roots[i] as Frame).r, docs[i])) return undefined;
  return { docs, roots, lastContent, table, blocks, lastIsBlock: blockEnd >= lastContent };
}

/**
 * The value frame at `path` below `root` (undefined when the index can not say). Below a compacted
 * collection only string scalars are found (as a scalar frame made from the table entry); anything
 * else there is undefined.
 */
export function frameAt(root: Frame, path: FieldPath): Frame | undefined {
  let f: Frame | undefined = root;
  for (let p = 0; p < path.length; p++) {
    const seg = path[p];
    if (f === undefined) return undefined;
    if (f.t !== undefined) {
      const { table, from, to } = f.t;
      const key = pathKey(path, p);
      const i = key === undefined ? -1 : table.find(from, to, key);
      if (i < 0) return undefined;
      const cs = table.starts[i] as number;
      const ce = table.ends[i] as number;
      const st = table.styles[i] as number;
      // a block scalar's value is not kept: undefined makes `setImage` escalate
      return { s: cs, e: ce, k: SCALAR, r: notDecodable(st) ? undefined : decodeScalar(table.text, cs, ce, st), cs, ce, st };
    }
    if (typeof seg === 'number') {
      if (f.k !== SEQ || f.items === undefined) return undefined;
      f = f.items[seg];
    } else {
      if (f.k !== MAP || f.keys === undefined || f.vals === undefined) return undefined;
      const i = f.keys.indexOf(seg as string);
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
  /** The last content is a block scalar (its trailing line breaks: `results` escalates). */
  readonly lastIsBlock?: boolean;
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

/**
 * The value of stream document `root` read again from its source: from the start of its first
 * line to the `---` line of the next document (or the end of the input), so every line keeps its
 * column and a block scalar ends where it did in the whole input. Undefined when that source
 * does not read as one mapping.
 */
export function rereadDocument(text: string, root: Frame): Record<string, unknown> | undefined {
  const start = lineStartOf(text, root.cs);
  if (!/^ *$/.test(text.slice(start, root.cs))) return undefined;
  // `indexDocuments` lets through no line starting with `---` but a bare document marker
  const marker = text.indexOf('\n---', Math.max(root.e - 1, root.cs));
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
    if (!isScalarFrame(f) || notDecodable(f.st) || typeof f.r !== 'string') return undefined;
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

/** `yaml` options of the full path (io.ts `yamlOptions`). */
const YAML_OPTIONS = { merge: true, uniqueKeys: true, strict: true } as const;

/** The end of the line holding the first content character at or after `p` (comments skipped); the input's end when none. */
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

/** `verifyBlockScalars` for one stream document (its root frame, value not released yet). */
function verifyStreamDocument(text: string, root: Frame): boolean {
  if (root.k !== MAP || root.st !== 0) return false;
  const start = lineStartOf(text, root.cs);
  if (!/^ *$/.test(text.slice(start, root.cs))) return false;
  const got = yamlFirstValue(text.slice(start, nextContentLineEnd(text, root.e)));
  return got !== undefined && isDeepStrictEqual(got.value, root.r);
}

/**
 * The check of the block scalars `indexDocuments` let through (js-yaml's reading of them is not
 * trusted): every stream document holding one, or every ResourceList item holding one, is read
 * again by `yaml` (the full path's parser and options) from its exact source, in the same
 * indentation context, and must give a value deeply and strictly equal (`Object.is` on primitives)
 * to js-yaml's. The source runs from the start of the node's first line through the whole line of
 * the next content after it (the `---` of the next document, the next item's `- ` line, the next
 * root key), so where `yaml` ends a block scalar (and the node) is decided by the same text as in
 * the whole input. An item is read as `items:` (at the column of the ResourceList's `items` key)
 * followed by its lines: the column of every line is kept, so indentation indicators mean the same.
 * Block scalars anywhere else in a ResourceList (functionConfig, results, ...) are not checked:
 * false (the full path). A document (or item) is read once, whatever number of block scalars it holds.
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
  if (!isMapFrame(rl) || rl.st !== 0) return false;
  const k = rl.keys.indexOf('items');
  const itemsFrame = rl.vals[k];
  const itemsKey = rl.keyFrames[k];
  if (k < 0 || itemsKey === undefined || !isSeqFrame(itemsFrame) || itemsFrame.st !== 0) return false;
  const prefix = `${' '.repeat(columnOf(text, itemsKey.cs))}items:\n`;
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
      if ((items[mid] as Frame).cs <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const item = items[found];
    if (item === undefined || at >= item.e || item.k !== MAP || item.st !== 0) return false;
    if (found === last) continue;
    last = found;
    const start = lineStartOf(text, item.cs);
    if (!/^ *- +$/.test(text.slice(start, item.cs))) return false;
    const got = yamlFirstValue(prefix + text.slice(start, nextContentLineEnd(text, item.e)));
    const list = got !== undefined && got.value !== null && typeof got.value === 'object' ? (got.value as Record<string, unknown>).items : undefined;
    if (!Array.isArray(list) || list.length === 0 || !isDeepStrictEqual(list[0], item.r)) return false;
  }
  return true;
}

/** Parameters of `buildFast` supplied by io.ts (its validation helpers). */
export interface FastBuild {
  text: string;
  eol: '\n' | '\r\n';
  resourceListApiVersions: readonly string[];
  refOf: (obj: unknown) => ResourceRef;
  full: () => Manifest;
  /**
   * Called with every resource, in order, as soon as it has been read and checked (io.ts
   * `ParseOptions.onResource`). When given, the documents of a stream are not kept: each is
   * released once visited, and `item.object` reads the document's source again on first use.
   */
  visit?: (object: Record<string, unknown>, index: number) => void;
}

const isResource = (o: unknown): o is Record<string, unknown> =>
  o !== null && typeof o === 'object' && !Array.isArray(o) && typeof (o as Record<string, unknown>).apiVersion === 'string' && (o as Record<string, unknown>).apiVersion !== '' && typeof (o as Record<string, unknown>).kind === 'string' && (o as Record<string, unknown>).kind !== '';

/**
 * The fast model of `b.text`, or undefined when the input is not plain enough (the caller then
 * runs the full path, which also reports every input error).
 */
export function buildFast(b: FastBuild): Manifest | undefined {
  const visit = b.visit;
  // With a visitor, each stream document is checked, visited and released as its root closes.
  const refs: ResourceRef[] = [];
  const strings = new Interner();
  let resourceList = false;
  const onRoot = (f: Frame, n: number, hasBlocks: boolean): boolean => {
    const o = f.r as Record<string, unknown>;
    if (f.k !== MAP) throw ABORT; // null documents, scalars, lists: full path
    if (o.kind === 'ResourceList') {
      if (n > 0) throw ABORT;
      resourceList = true;
      return false;
    }
    if (resourceList || !isResource(o) || (hasBlocks && !verifyStreamDocument(b.text, f))) throw ABORT;
    refs.push(compactRef(b.refOf(o), strings));
    (visit as NonNullable<typeof visit>)(o, n);
    return true;
  };
  const idx = indexDocuments(b.text, { compactRoots: true, blockScalars: true, ...(visit !== undefined && { onRoot }) });
  if (idx === undefined) return undefined;
  const { docs, roots } = idx;
  if (docs.length === 0) return undefined;
  for (const r of roots) if (r.k !== MAP) return undefined; // null documents, scalars, lists: full path
  const streamVisited = visit !== undefined && !resourceList; // its block scalars were checked in onRoot
  if (!streamVisited && !verifyBlockScalars(b.text, idx)) return undefined;
  const st: FastState = { text: b.text, eol: b.eol, edits: new Map(), calls: [], lastContent: idx.lastContent, lastIsBlock: idx.lastIsBlock, full: b.full };
  const objs = docs as (Record<string, unknown> | undefined)[];
  if (streamVisited) {
    if (refs.length !== roots.length) return undefined;
    const items: Item[] = roots.map((root, i) => new FastItem(st, root, i, i, undefined, refs[i] as ResourceRef));
    const model: Manifest = { form: 'stream', items, documentCount: docs.length, source: b.text };
    FAST.set(model, st);
    return model;
  }
  if (objs.some((o) => o?.kind === 'ResourceList')) {
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
      if (f.k !== MAP || !isResource(f.r)) return undefined;
      items.push(new FastItem(state, f, i, 0, f.r, b.refOf(f.r)));
    }
    if (visit !== undefined) for (const item of items) visit(item.object, item.index);
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
    if (o === undefined || !isResource(o)) return undefined;
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
export function fastResultsEdit(st: FastState, results: unknown[] | ResultSource): TextEdit | undefined {
  const root = st.resourceList;
  if (!isMapFrame(root) || root.st !== 0 || root.keys.includes('results') || st.lastIsBlock === true) return undefined;
  const text = st.text;
  const first = root.keyFrames[0];
  if (first === undefined) return undefined;
  const col = columnOf(text, first.cs);
  let indentSeq = false;
  for (let i = 0; i < root.keys.length; i++) {
    const v = root.vals[i];
    if (v !== null && v !== undefined && v.k === SEQ && v.st === 0) {
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
  const needsBreak = at > 0 && text[at - 1] !== '\n';
  return { start: at, end: at, text: (needsBreak ? st.eol : '') + renderResults(results, indentSeq, ' '.repeat(col), st.eol) };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A list of results produced one entry at a time (io.ts validates and JSON-normalises each result
 * only when it is written), so tens of thousands of results are never all held in written form.
 */
export interface ResultSource {
  readonly length: number;
  /** Entry `i` (0 <= i < length), JSON-normalised; may throw (an invalid result). */
  entry(i: number): unknown;
  /** True when every entry is a mapping (then they are written one by one). */
  readonly mappings: boolean;
}

/** All entries of `src`, in order. */
export function resultList(src: unknown[] | ResultSource): unknown[] {
  return Array.isArray(src) ? src : Array.from({ length: src.length }, (_, i) => src.entry(i));
}

/**
 * `renderBlock('results', results, indentSeq)`, each line indented by `indent` and ended by `eol`,
 * as one string. A non-empty list of mappings is rendered one entry at a time (`renderBlock` writes
 * each entry of such a list on its own, so the text is the same): no array of all lines, nor of
 * all entries, is ever held.
 */
export function renderResults(results: unknown[] | ResultSource, indentSeq: boolean, indent: string, eol: string): string {
  const mappings = Array.isArray(results) ? results.every(isPlainObject) : results.mappings;
  if (results.length === 0 || !mappings) return renderBlock('results', resultList(results), indentSeq).map((l) => indent + l + eol).join('');
  const entry = Array.isArray(results) ? (i: number): unknown => results[i] : (i: number): unknown => results.entry(i);
  let out = '';
  for (let n = 0; n < results.length; n++) {
    // line 0 is the `results:` line, written once
    const lines = renderBlock('results', [entry(n)], indentSeq);
    out += (n === 0 ? lines : lines.slice(1)).map((l) => indent + l + eol).join('');
  }
  return out;
}
