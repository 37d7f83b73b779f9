/**
 * Comment-preserving rewriting of one scalar: the new value replaces exactly the scalar's source
 * range (`node.range[0]..node.range[1]`, which excludes its anchor, tag and trailing comment), so
 * everything else in the input stays byte-identical. The scalar keeps its quoting style where the
 * new value can be written in it (plain / 'single' / "double"); block scalars (`|-`, `>-`) become a
 * double-quoted scalar.
 *
 * Aliases: a path that runs through an alias (`image: *img`, or `containers: *ctrs`) edits the
 * anchored node, so every alias of it changes too and the YAML stays consistent. The walker reports
 * each location separately (anchor and aliases); setting them all to the same value is a no-op after
 * the first, setting them to different values is an INPUT_INVALID error. Note that an anchored
 * scalar also used outside an image field changes with it.
 */
import { parse as parseYaml, isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { PinError } from '../errors/errors.js';
import { boundedMemo } from '../util/memo.js';
import type { FieldPath, Item } from './manifest.js';
import { formatField } from '../workload/path.js';
import type { InsertMap } from './annotate.js';

/** One recorded scalar replacement. */
export interface ScalarEdit {
  /** Source offsets of the scalar (end exclusive) in the whole input text. */
  readonly start: number;
  readonly end: number;
  /** Replacement source text. */
  readonly text: string;
  /** The new value. */
  readonly value: string;
  /** Path from the document root to the location that was set (used by the re-stringify fallback). */
  readonly docPath: (string | number)[];
}

/** What the rewriter needs to know about the resource it edits. */
export interface EditTarget {
  readonly source: string;
  readonly doc: Document.Parsed;
  /** The resource's mapping node. */
  readonly root: YAMLMap;
  /** Path from the document root to `root` (`[]` for a stream document, `['items', i]` in a ResourceList). */
  readonly rootPath: readonly (string | number)[];
  /** Edits of this document, keyed by scalar start offset. */
  readonly edits: Map<number, ScalarEdit>;
  /** Inserted mapping entries of this document (annotate.ts). */
  readonly inserts: InsertMap;
}

/**
 * Replace the image scalar at `path` of `item` with `newValue` (a surgical text edit, see the module
 * comment). Throws PinError INPUT_INVALID when the path does not lead to a scalar.
 */
export function setImage(item: Item, path: FieldPath, newValue: string): void {
  item.setImage(path, newValue);
}

/** Resolve an alias to its anchored node (within the same document). */
function deref(doc: Document.Parsed, node: unknown): unknown {
  let n = node;
  // Bounded: an alias always points at a non-alias node, but stay safe on hostile input.
  for (let i = 0; i < 8 && isAlias(n); i++) n = n.resolve(doc);
  return n;
}

/** Find the value node for `key` in a map, honouring `<<` merge keys (explicit keys win). */
function mapGet(doc: Document.Parsed, map: YAMLMap, key: string, depth = 0): unknown {
  const merges: unknown[] = [];
  for (const pair of map.items) {
    const k = pair.key;
    if (isScalar(k)) {
      if (typeof k.value === 'symbol' && k.value.description === '<<') {
        merges.push(pair.value);
        continue;
      }
      if (k.value !== null && k.value !== undefined && String(k.value) === key) return pair.value ?? null;
    }
  }
  if (depth > 16) return undefined;
  for (const m of merges) {
    const target = deref(doc, m);
    const sources = isSeq(target) ? target.items.map((x) => deref(doc, x)) : [target];
    for (const s of sources) {
      if (isMap(s)) {
        const v = mapGet(doc, s, key, depth + 1);
        if (v !== undefined) return v;
      }
    }
  }
  return undefined;
}

/** Navigate from `root` along `path`, following aliases and merge keys. Undefined when absent. */
export function nodeAt(doc: Document.Parsed, root: Node, path: FieldPath): unknown {
  let node: unknown = root;
  for (const seg of path) {
    node = deref(doc, node);
    if (typeof seg === 'number') {
      if (!isSeq(node)) return undefined;
      node = node.items[seg];
    } else {
      if (!isMap(node)) return undefined;
      node = mapGet(doc, node, seg);
    }
    if (node === undefined) return undefined;
  }
  return deref(doc, node);
}

const SAFE_PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_./:@+-]*$/;

const safePlainMemo = boundedMemo<boolean>(10_000);

/**
 * A digest-pinned reference written plain, e.g. `registry:5000/team/app:v1@sha256:<64 hex>`, is
 * proven to read back as itself without a parse: it starts with a letter or digit (no indicator),
 * holds no space, quote, `#`, `,`, `[ ] { }` or line break (so no comment, flow indicator or `: `
 * mapping separator), ends in a hex digit (no trailing `:`), and its `@` rules out every non-string
 * YAML 1.1 / 1.2 type (null, bool, int incl. sexagesimal, float, timestamp, `<<`, `=`). Anything
 * else takes a parse check (`isSafePlain`, write.ts `scalarReadsBack`); a test compares both on generated values.
 */
const PLAIN_PINNED = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]*@sha256:[0-9a-f]{64}$/;
export const isProvablyPlainPinned = (value: string): boolean => PLAIN_PINNED.test(value);

/**
 * True when `value` can be written as a plain scalar and still reads back as that exact string.
 * Memoised: a bundle writes the same few hundred pinned references thousands of times.
 */
export function isSafePlain(value: string): boolean {
  if (!SAFE_PLAIN.test(value) || value.endsWith(':')) return false;
  if (isProvablyPlainPinned(value)) return true;
  return safePlainMemo(value, () => {
    try {
      return parseYaml(value) === value && parseYaml(value, { version: '1.1' }) === value;
    } catch {
      return false;
    }
  });
}

const doubleQuoted = (value: string): string => JSON.stringify(value);

/** Source text for `value`, in the style of `node` (its original source is `original`). */
export function renderScalar(node: Scalar, value: string, original: string): string {
  switch (node.type) {
    case Scalar.PLAIN:
      return isSafePlain(value) ? value : doubleQuoted(value);
    case Scalar.QUOTE_SINGLE:
      // Line breaks and other control characters fold or need escapes: use double quotes then.
      return /[\u0000-\u001f\u007f]/.test(value) ? doubleQuoted(value) : `'${value.replace(/'/g, "''")}'`;
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // A block scalar's range ends after its content lines; keep that trailing whitespace.
      const tail = /(?:\r?\n|[ \t])*$/.exec(original)?.[0] ?? '';
      return doubleQuoted(value) + tail;
    }
    default:
      return doubleQuoted(value);
  }
}

/** Set a plain-JS value at `path` when its parent exists (keeps `Item.object` in step with the text). */
export function setInObject(obj: unknown, path: FieldPath, value: unknown): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as string | number;
    if (cur === null || typeof cur !== 'object') return;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  const last = path[path.length - 1];
  if (last === undefined || cur === null || typeof cur !== 'object') return;
  if (Array.isArray(cur) ? typeof last === 'number' && last < cur.length : Object.prototype.hasOwnProperty.call(cur, last)) {
    (cur as Record<string | number, unknown>)[last] = value;
  }
}

/**
 * Record the replacement of the scalar at `path` (relative to `target.root`) by `value`.
 * Returns false when the scalar already had that value and nothing was recorded.
 */
export function recordScalarEdit(target: EditTarget, path: FieldPath, value: string): boolean {
  if (typeof value !== 'string') {
    throw new PinError({ code: 'INTERNAL', message: `setImage needs a string, got ${typeof value}` });
  }
  const field = formatField([...path]);
  const node = nodeAt(target.doc, target.root, path);
  if (!isScalar(node) || !node.range) {
    throw new PinError({
      code: 'INPUT_INVALID',
      message: `cannot set ${field}: it is ${node === undefined ? 'missing' : 'not a scalar'}`,
      hint: 'image fields must be plain strings such as "nginx:1.25"',
      field,
    });
  }
  if (typeof node.value !== 'string') {
    throw new PinError({
      code: 'INPUT_INVALID',
      message: `cannot set ${field}: it is ${node.value === null ? 'empty' : `a ${typeof node.value}`}, not a string`,
      hint: 'image fields must be plain strings such as "nginx:1.25"',
      field,
    });
  }
  if (node.tag !== undefined && node.tag !== 'tag:yaml.org,2002:str' && node.tag !== '!!str') {
    throw new PinError({
      code: 'INPUT_INVALID',
      message: `cannot set ${field}: it has the tag ${node.tag}`,
      hint: 'remove the YAML tag from the image field',
      field,
    });
  }
  const [start, end] = node.range;
  const previous = target.edits.get(start);
  if (previous !== undefined) {
    if (previous.value === value) return false;
    throw new PinError({
      code: 'INPUT_INVALID',
      message: `${field} is an alias of a scalar already set to "${previous.value}"; cannot also set it to "${value}"`,
      hint: 'do not share image values through YAML anchors/aliases between images that resolve differently',
      field,
    });
  }
  if (node.value === value) return false;
  const original = target.source.slice(start, end);
  target.edits.set(start, {
    start,
    end,
    text: renderScalar(node, value, original),
    value,
    docPath: [...target.rootPath, ...path],
  });
  return true;
}
