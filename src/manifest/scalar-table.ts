/** The position index's packed store of the string scalars of compacted collections (position-index.ts). */
import type { FieldPath } from './manifest.js';

/** Path segment separator of a `ScalarTable` path key; keys holding it (or NUMBER) are not recorded. */
export const SEP = '\u0000';
export const NUMBER = '\u0001';

/**
 * Entries (path id, content start, content end, style): the only nodes `setImage` edits without escalating.
 * Paths (keys and `NUMBER`-prefixed indexes joined by `SEP`) are interned; each block is sorted by path id.
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
    // usually sorted already: resources of one shape list their paths in first-seen order
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
export function decodeScalar(text: string, cs: number, ce: number, st: number): string {
  const raw = text.slice(cs, ce);
  if (st === 0) return raw;
  if (st === 1) return raw.slice(1, -1).replace(/''/g, "'");
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/** The path key of `path[from..]` in a `ScalarTable`; undefined when no entry can have it. */
export function pathKey(path: FieldPath, from: number): string | undefined {
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
