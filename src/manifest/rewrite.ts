/**
 * Comment-preserving rewrite of one scalar: the new value replaces exactly its source range (without
 * anchor, tag or comment), keeping its quoting style where possible; block scalars become "double".
 * A path through an alias edits the anchored node (all its aliases change alike); setting one node to
 * two different values is INPUT_INVALID.
 */
import { parse as parseYaml, isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { PinError } from '../errors/errors.js';
import { boundedMemo } from '../util/memo.js';
import type { FieldPath, Item } from './manifest.js';
import { formatField } from '../workload/path.js';
import type { InsertMap } from './annotate.js';

export interface ScalarEdit {
  /** Offsets in the whole input (end exclusive). */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly value: string;
  /** From the document root (for the re-stringify fallback). */
  readonly docPath: (string | number)[];
}

export interface EditTarget {
  readonly source: string;
  readonly doc: Document.Parsed;
  readonly root: YAMLMap;
  /** Path from the document root to `root` (`[]` for a stream document, `['items', i]` in a ResourceList). */
  readonly rootPath: readonly (string | number)[];
  /** Keyed by scalar start offset. */
  readonly edits: Map<number, ScalarEdit>;
  readonly inserts: InsertMap;
}

/** Throws INPUT_INVALID when `path` does not lead to a string scalar. */
export function setImage(item: Item, path: FieldPath, newValue: string): void {
  item.setImage(path, newValue);
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  let n = node;
  // bounded: hostile input
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

/** Follows aliases and merge keys; undefined when absent. */
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
 * A plain digest-pinned reference reads back as itself without a parse: no leading indicator, no space,
 * quote, `#`, `,`, brackets or line break, a final hex digit, and `@` excludes every non-string YAML type.
 */
const PLAIN_PINNED = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]*@sha256:[0-9a-f]{64}$/;
export const isProvablyPlainPinned = (value: string): boolean => PLAIN_PINNED.test(value);

/** `value` written plain reads back as that exact string (YAML 1.2 and 1.1). Memoised. */
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

/** False when the scalar already had that value (nothing recorded). */
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
