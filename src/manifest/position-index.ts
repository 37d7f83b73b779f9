/**
 * The indexed reader's position index: js-yaml's parse listener gives each node's source range and
 * children; closed resources keep only their string scalars' ranges (`ScalarTable`). Undefined unless
 * it proves: no BOM, tabs, lone CR, control characters, `%` directives, `...`, content after `---`,
 * js-yaml errors/warnings or duplicate keys; no anchor, tag, alias or `<<` key; every flow scalar re-read
 * here (plain: `yaml` core schema and YAML 1.2 folding; quoted: `''` / JSON) equals js-yaml's value, so
 * objects equal `yaml`'s `toJS`; block scalars only with `blockScalars` (the caller re-reads them);
 * mapping pairs and sequence entries match js-yaml's result one to one.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { foldWrappedPlain, STRING, yamlCoreValue } from './plain-scalar.js';
import { readDoubleQuoted, readSingleQuoted } from './quoted-scalar.js';
import { BLOCK, MAP, NONE, notDecodable, SCALAR, SEQ, WRAPPED, type DocumentIndex, type Frame, type IndexOptions, type Kind } from './index-frames.js';
import { NUMBER, ScalarTable, SEP } from './scalar-table.js';

export { BLOCK, frameAt, isMapFrame, isScalarFrame, isSeqFrame, MAP, NONE, notDecodable, SCALAR, SEQ, type DocumentIndex, type Frame, type IndexOptions, type Kind } from './index-frames.js';

export const ABORT = new Error('not plain');

/** Anywhere in the input, these make the fast path give up. */
const UNPLAIN_TEXT = /[\t\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|\r(?!\n)|^%|^\.\.\.|^---[^\r\n]*\S|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/m;

const isKindName = (k: unknown): Kind => (k === 'scalar' ? SCALAR : k === 'mapping' ? MAP : k === 'sequence' ? SEQ : NONE);

/** Undefined when not plain; depth-2 collections (`compactRoots`: stream resources) are compacted as they close. */
export function indexDocuments(text: string, opts: IndexOptions = {}): DocumentIndex | undefined {
  return new PositionIndexer(text, opts).index();
}

interface ListenerState {
  position: number;
  kind: unknown;
  result: unknown;
  tag?: unknown;
  anchor?: unknown;
}

class PositionIndexer {
  private readonly size: number;
  /** Frames js-yaml has opened and not yet closed. */
  private readonly stack: Frame[] = [];
  private readonly roots: Frame[] = [];
  private readonly table: ScalarTable;
  private lastContent = 0;
  private readonly blocks: { doc: number; at: number }[] = [];
  private blockEnd = -1;
  /** Released by `onRoot`; removed from js-yaml's `state.documents` at the next root (if it is that value). */
  private readonly released = new Set<number>();
  private lastResult: unknown;

  constructor(
    private readonly text: string,
    private readonly opts: IndexOptions,
  ) {
    this.size = text.length;
    this.table = new ScalarTable(text);
  }

  index(): DocumentIndex | undefined {
    if (UNPLAIN_TEXT.test(this.text)) return undefined;
    let docs: unknown[];
    try {
      docs = loadAll(this.text, null, {
        schema: CORE_SCHEMA,
        listener: ((ev: string, state: ListenerState) => this.listener(ev, state)) as never,
        onWarning: () => {
          throw ABORT;
        },
      });
    } catch {
      return undefined;
    }
    if (this.stack.length !== 0 || this.roots.length !== docs.length) return undefined;
    const last = this.roots.length - 1;
    if (this.released.has(last)) {
      if (!Object.is(docs[last], this.lastResult)) return undefined;
      docs[last] = undefined;
    }
    for (let i = 0; i < docs.length; i++) if (!Object.is((this.roots[i] as Frame).value, docs[i])) return undefined;
    return { docs, roots: this.roots, lastContent: this.lastContent, table: this.table, blocks: this.blocks, lastIsBlock: this.blockEnd >= this.lastContent };
  }

  private contentStart(p: number): number {
    while (p < this.size) {
      const c = this.text.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d) p++;
      else if (c === 0x23) {
        const nl = this.text.indexOf('\n', p);
        p = nl < 0 ? this.size : nl;
      } else break;
    }
    return p;
  }
  private trimBack(p: number, min: number): number {
    while (p > min) {
      const c = this.text.charCodeAt(p - 1);
      if (c === 0x20 || c === 0x0a || c === 0x0d) p--;
      else break;
    }
    return p;
  }
  /** The next non-space character after `p` is `:` (the frame is a mapping key). */
  private colonAfter(p: number): boolean {
    while (p < this.size && this.text.charCodeAt(p) === 0x20) p++;
    return this.text.charCodeAt(p) === 0x3a;
  }

  private scalar(f: Frame, tag: unknown): void {
    const q = this.text.charCodeAt(f.contentFrom);
    let end: number;
    if (q === 0x27 || q === 0x22) {
      const r = q === 0x27 ? readSingleQuoted(this.text, f.contentFrom) : readDoubleQuoted(this.text, f.contentFrom);
      f.style = q === 0x27 ? 1 : 2;
      if (r === undefined || f.value !== r.value || f.closedAt !== r.end) throw ABORT;
      end = r.end;
    } else {
      end = this.trimBack(f.closedAt, f.contentFrom);
      f.style = 0;
      const raw = this.text.slice(f.contentFrom, end);
      if (raw === '') throw ABORT;
      if (raw.includes('\n')) {
        if (tag !== '?' || typeof f.value !== 'string' || this.inFlow() || f.value !== foldWrappedPlain(raw, this.lineIndentAt(f.contentFrom))) throw ABORT;
        f.style = WRAPPED;
        f.contentTo = end;
        if (end > this.lastContent) this.lastContent = end;
        return;
      }
      const core = yamlCoreValue(raw);
      if (tag === '?') {
        if (core !== STRING || f.value !== raw) throw ABORT;
      } else if (core === STRING || !Object.is(core, f.value)) throw ABORT;
    }
    f.contentTo = end;
    if (end > this.lastContent) this.lastContent = end;
  }

  /** An open ancestor is a flow collection (wrapped plain scalars are read in block context only). */
  private inFlow(): boolean {
    for (const g of this.stack) {
      const c = this.text.charCodeAt(g.contentFrom);
      if (c === 0x7b || c === 0x5b) return true;
    }
    return false;
  }
  private lineIndentAt(p: number): number {
    const start = this.text.lastIndexOf('\n', p - 1) + 1;
    let i = start;
    while (this.text.charCodeAt(i) === 0x20) i++;
    return i - start;
  }

  private mapping(f: Frame): void {
    const ch = f.children ?? [];
    f.style = this.text.charCodeAt(f.contentFrom) === 0x7b ? 1 : 0;
    const keys: string[] = [];
    const keyFrames: Frame[] = [];
    const vals: (Frame | null)[] = [];
    for (let i = 0; i < ch.length; ) {
      const k = ch[i] as Frame;
      if (k.kind === SCALAR && this.colonAfter(k.closedAt)) {
        if (typeof k.value !== 'string' || notDecodable(k.style) || k.value === '<<' || k.contentTo - k.contentFrom > 1000) throw ABORT;
        const next = ch[i + 1];
        const hasValue = next !== undefined && !(next.kind === SCALAR && this.colonAfter(next.closedAt));
        keys.push(k.value);
        keyFrames.push(k);
        vals.push(hasValue ? (next as Frame) : null);
        i += hasValue ? 2 : 1;
      } else if (k.kind === NONE && i === ch.length - 1) {
        i++; // js-yaml's attempt to read one more key at the end of a block mapping
      } else throw ABORT;
    }
    const r = f.value as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r) || Object.keys(r).length !== keys.length) throw ABORT;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = vals[i];
      if (!Object.prototype.hasOwnProperty.call(r, key) || !Object.is(r[key], v ? v.value : null)) throw ABORT;
    }
    f.keys = keys;
    f.keyFrames = keyFrames;
    f.vals = vals;
    if (f.style === 1) {
      f.contentTo = f.closedAt;
      if (this.text.charCodeAt(f.closedAt - 1) !== 0x7d) throw ABORT;
      if (f.closedAt > this.lastContent) this.lastContent = f.closedAt;
    }
  }

  private sequence(f: Frame): void {
    const ch = f.children ?? [];
    f.style = this.text.charCodeAt(f.contentFrom) === 0x5b ? 1 : 0;
    const r = f.value as unknown[];
    if (!Array.isArray(r) || r.length !== ch.length) throw ABORT;
    for (let i = 0; i < ch.length; i++) {
      const it = ch[i] as Frame;
      if (it.kind === NONE || !Object.is(it.value, r[i]) || (f.style === 1 && it.kind === SCALAR && this.colonAfter(it.closedAt))) throw ABORT;
    }
    f.items = ch;
    if (f.style === 1) {
      f.contentTo = f.closedAt;
      if (this.text.charCodeAt(f.closedAt - 1) !== 0x5d) throw ABORT;
      if (f.closedAt > this.lastContent) this.lastContent = f.closedAt;
    }
  }

  /**
   * Ancestors of closing `f`, less js-yaml's wrapper around a flow collection in block context (a candidate
   * key, at most one per path, starting where the collection does).
   */
  private depthOf(f: Frame): number {
    const k = this.stack.length;
    for (let i = 0; i < k; i++) {
      const g = this.stack[i] as Frame;
      const c = this.text.charCodeAt(g.contentFrom);
      if (c === 0x7b || c === 0x5b) return (i + 1 < k ? (this.stack[i + 1] as Frame) : f).contentFrom === g.contentFrom ? k - 1 : k;
    }
    return k;
  }

  /**
   * `f` looks like a sequence entry (parent starts with `[` or `- `). With `compactRoots` only those are
   * compacted at depth 2, else scalars would be packed twice; a wrong guess costs only time or memory.
   */
  private inSequence(f: Frame): boolean {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const g = this.stack[i] as Frame;
      if (g.contentFrom === f.contentFrom) continue;
      const c = this.text.charCodeAt(g.contentFrom);
      if (c === 0x5b) return true;
      if (c !== 0x2d) return false;
      const d = this.text.charCodeAt(g.contentFrom + 1);
      return d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09 || Number.isNaN(d);
    }
    return false;
  }

  /** Replace `f`'s subtree by its string scalars; compacted descendants are the table's last entries, replaced. */
  private compact(f: Frame): void {
    const keys: string[] = [];
    const cs: number[] = [];
    const ce: number[] = [];
    const st: number[] = [];
    let reuse = this.table.length;
    const join = (prefix: string | undefined, part: string): string => (prefix === undefined ? part : prefix + SEP + part);
    const collect = (g: Frame | null | undefined, prefix: string | undefined): void => {
      if (g === null || g === undefined) return;
      if (g.kind === SCALAR) {
        if (typeof g.value === 'string' && prefix !== undefined) {
          keys.push(prefix);
          cs.push(g.contentFrom);
          ce.push(g.contentTo);
          st.push(g.style);
        }
      } else if (g.packed !== undefined) {
        const { from, to } = g.packed;
        if (from < reuse) reuse = from;
        for (let i = from; i < to; i++) {
          keys.push(join(prefix, this.table.paths[this.table.ids[i] as number] as string));
          cs.push(this.table.starts[i] as number);
          ce.push(this.table.ends[i] as number);
          st.push(this.table.styles[i] as number);
        }
      } else if (g.kind === MAP && g.keys !== undefined && g.vals !== undefined) {
        for (let i = 0; i < g.keys.length; i++) {
          const key = g.keys[i] as string;
          if (key.includes(SEP) || key.includes(NUMBER)) continue; // never found: setImage escalates
          collect(g.vals[i], join(prefix, key));
        }
      } else if (g.kind === SEQ && g.items !== undefined) {
        for (let i = 0; i < g.items.length; i++) collect(g.items[i], join(prefix, NUMBER + String(i)));
      }
    };
    collect(f, undefined);
    this.table.truncate(reuse);
    f.packed = { table: this.table, ...this.table.append(keys, cs, ce, st) };
    f.keys = undefined;
    f.keyFrames = undefined;
    f.vals = undefined;
    f.items = undefined;
  }

  private listener(ev: string, state: ListenerState): void {
    if (ev === 'open') {
      this.stack.push({ openedAt: state.position, closedAt: 0, kind: NONE, value: null, contentFrom: this.contentStart(state.position), contentTo: -1, style: 0 });
      return;
    }
    let f = this.stack.pop() as Frame;
    if (state.anchor !== null && state.anchor !== undefined) throw ABORT;
    const kind = isKindName(state.kind);
    const only = f.children !== undefined && f.children.length === 1 ? f.children[0] : undefined;
    if (only !== undefined && only.kind === kind && Object.is(only.value, state.result)) {
      f = only; // js-yaml read the node as a candidate key, then kept it as the whole node
    } else {
      // A block scalar sequence entry: js-yaml first tried (and failed) to read a node where it starts.
      const tried = f.children !== undefined && f.children.length === 1 ? f.children[0] : undefined;
      if (kind === SCALAR && this.opts.blockScalars === true && tried !== undefined && tried.kind === NONE && tried.closedAt <= f.contentFrom && (this.text.charCodeAt(f.contentFrom) === 0x7c || this.text.charCodeAt(f.contentFrom) === 0x3e)) f.children = undefined;
      if (f.children !== undefined && kind === SCALAR) throw ABORT;
      f.closedAt = Math.min(state.position, this.size);
      f.kind = kind;
      f.value = state.result;
      if (kind !== NONE) {
        const c = this.text.charCodeAt(f.contentFrom);
        // anchors, tags, aliases, reserved indicators; block scalars unless asked for
        if (c === 0x26 || c === 0x21 || c === 0x2a || c === 0x25 || c === 0x40 || c === 0x60 || f.contentFrom >= f.closedAt) throw ABORT;
        if (c === 0x7c || c === 0x3e) {
          if (kind !== SCALAR || this.opts.blockScalars !== true || typeof f.value !== 'string') throw ABORT;
          // not re-read here: `buildFast` verifies the document / item around it with `yaml`
          f.style = BLOCK;
          f.contentTo = this.trimBack(f.closedAt, f.contentFrom);
          if (f.contentTo > this.lastContent) this.lastContent = f.contentTo;
          if (f.contentTo > this.blockEnd) this.blockEnd = f.contentTo;
          this.blocks.push({ doc: this.roots.length, at: f.contentFrom });
        } else if (kind === SCALAR) this.scalar(f, state.tag);
        else if (kind === MAP) this.mapping(f);
        else this.sequence(f);
      } else if (f.children !== undefined) throw ABORT;
      f.children = undefined;
    }
    if ((f.kind === MAP || f.kind === SEQ) && f.packed === undefined && this.stack.length <= 3) {
      const depth = this.depthOf(f);
      if ((depth === 2 && (this.opts.compactRoots !== true || this.inSequence(f))) || (depth === 0 && this.opts.compactRoots === true && f.kind === MAP && (f.value as Record<string, unknown>).kind !== 'ResourceList')) this.compact(f);
    }
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      if (this.opts.onRoot !== undefined) this.root(f, state as unknown as { documents?: unknown });
      this.roots.push(f);
    } else (parent.children ??= []).push(f);
  }

  private root(f: Frame, state: { documents?: unknown }): void {
    const doc = this.roots.length;
    const docs = state.documents;
    if (doc > 0 && this.released.has(doc - 1) && Array.isArray(docs)) {
      if (docs.length !== doc || !Object.is(docs[doc - 1], this.lastResult)) throw ABORT;
      docs[docs.length - 1] = undefined;
      this.lastResult = undefined;
    }
    const result = f.value;
    const hasBlocks = this.blocks.length > 0 && (this.blocks[this.blocks.length - 1] as { doc: number }).doc === doc;
    if ((this.opts.onRoot as NonNullable<IndexOptions['onRoot']>)(f, doc, hasBlocks) && Array.isArray(docs)) {
      this.released.add(doc);
      this.lastResult = result;
      f.value = undefined;
    }
  }
}
