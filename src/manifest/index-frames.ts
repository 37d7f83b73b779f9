/**
 * The position index's data: one `Frame` per indexed node, the result and options of
 * `indexDocuments` (position-index.ts, which builds it), and `frameAt`, which reads it.
 */
import { decodeScalar, pathKey, type ScalarTable } from './scalar-table.js';
import type { FieldPath } from './manifest.js';

/** Kinds of an indexed node. */
export const NONE = 0;
export const SCALAR = 1;
export const MAP = 2;
export const SEQ = 3;
export type Kind = typeof NONE | typeof SCALAR | typeof MAP | typeof SEQ;
/** Scalar style of a block scalar (`|` / `>`): its value is not re-read from the index, never edited fast. */
export const BLOCK = 3;
/** Scalar style of a plain scalar wrapped over several lines: checked when read, never edited fast. */
export const WRAPPED = 4;
/** Styles whose value `decodeScalar` cannot give back from the source range alone. */
export const notDecodable = (style: number): boolean => style === BLOCK || style === WRAPPED;

/** One node of the position index. */
export interface Frame {
  /** Where js-yaml opened the node (may be before separation space). */
  openedAt: number;
  /** Where js-yaml closed it. */
  closedAt: number;
  kind: Kind;
  /** The js-yaml value. */
  value: unknown;
  /** Content start (first character of the node's own text). */
  contentFrom: number;
  /** Scalars and flow collections: content end (exclusive). Block collections: -1. */
  contentTo: number;
  /** Scalar style: 0 plain, 1 'single', 2 "double", 3 block (`BLOCK`), 4 wrapped plain (`WRAPPED`). Collections: 1 when flow. */
  style: number;
  /** Children while building; dropped once resolved. */
  children?: Frame[] | undefined;
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
  packed?: { table: ScalarTable; from: number; to: number };
}

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
   * it (`DocumentIndex.docs` holds undefined for it, the root's `Frame.value` is cleared), so the
   * documents of a stream are not all held at once.
   */
  onRoot?: (root: Frame, doc: number, hasBlocks: boolean) => boolean;
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
    if (f.packed !== undefined) {
      const { table, from, to } = f.packed;
      const key = pathKey(path, p);
      const i = key === undefined ? -1 : table.find(from, to, key);
      if (i < 0) return undefined;
      const contentFrom = table.starts[i] as number;
      const contentTo = table.ends[i] as number;
      const style = table.styles[i] as number;
      // a block scalar's value is not kept: undefined makes `setImage` escalate
      const value = notDecodable(style) ? undefined : decodeScalar(table.text, contentFrom, contentTo, style);
      return { openedAt: contentFrom, closedAt: contentTo, kind: SCALAR, value, contentFrom, contentTo, style };
    }
    if (typeof seg === 'number') {
      if (f.kind !== SEQ || f.items === undefined) return undefined;
      f = f.items[seg];
    } else {
      if (f.kind !== MAP || f.keys === undefined || f.vals === undefined) return undefined;
      const i = f.keys.indexOf(seg as string);
      if (i < 0) return undefined;
      f = f.vals[i] ?? undefined;
    }
  }
  return f;
}

export const isMapFrame = (f: Frame | null | undefined): f is Frame & { keys: string[]; vals: (Frame | null)[]; keyFrames: Frame[] } =>
  f !== null && f !== undefined && f.kind === MAP && f.keys !== undefined;
export const isSeqFrame = (f: Frame | null | undefined): f is Frame & { items: Frame[] } => f !== null && f !== undefined && f.kind === SEQ && f.items !== undefined;
export const isScalarFrame = (f: Frame | null | undefined): f is Frame => f !== null && f !== undefined && f.kind === SCALAR;
