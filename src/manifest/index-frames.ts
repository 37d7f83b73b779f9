/** The position index's data (built by position-index.ts): one `Frame` per node, and `frameAt` to read it. */
import { decodeScalar, pathKey, type ScalarTable } from './scalar-table.js';
import type { FieldPath } from './manifest.js';

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

export interface Frame {
  /** Where js-yaml opened the node (may be before separation space). */
  openedAt: number;
  closedAt: number;
  kind: Kind;
  value: unknown;
  contentFrom: number;
  /** Scalars and flow collections: content end (exclusive). Block collections: -1. */
  contentTo: number;
  /** Scalars: 0 plain, 1 'single', 2 "double", `BLOCK`, `WRAPPED`. Collections: 1 when flow. */
  style: number;
  children?: Frame[] | undefined;
  /** Mapping: keys and value frames (null: no value node). */
  keys?: string[];
  keyFrames?: Frame[];
  vals?: (Frame | null)[];
  items?: Frame[];
  /** Compacted: descendants' frames dropped; its string scalars are entries `[from, to)` of `table`. */
  packed?: { table: ScalarTable; from: number; to: number };
}

export interface DocumentIndex {
  docs: unknown[];
  roots: Frame[];
  lastContent: number;
  table: ScalarTable;
  /** Block scalars (only with `blockScalars`): their document and content start. */
  blocks: { doc: number; at: number }[];
  lastIsBlock: boolean;
}

export interface IndexOptions {
  /** Also compact every root mapping that is not a `kind: ResourceList` (a stream's resources). */
  compactRoots?: boolean;
  /** Accept block scalars (`|`, `>`) as values, listed in `blocks`: the caller must verify them. */
  blockScalars?: boolean;
  /**
   * Called as each root closes (checked, compacted); may throw (not plain). True releases the document's
   * value (`docs[i]` and `Frame.value` undefined), so a stream's documents are not all held at once.
   */
  onRoot?: (root: Frame, doc: number, hasBlocks: boolean) => boolean;
}

/** The value frame at `path` (undefined when unknown); below a compacted collection only string scalars. */
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
