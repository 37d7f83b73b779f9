import type { ResourceRef } from '../errors/errors.js';

/**
 * Strings kept for the whole run, made small. V8 makes a substring of 13 or more characters a
 * *slice* of its parent string, and a slice keeps the whole parent alive: one image reference read
 * by the YAML parser keeps the parser's copy of the entire input in memory. `Interner` gives such
 * strings back as strings that own their characters, and equal values as one instance (a bundle
 * repeats the same few images, kinds, namespaces and field paths thousands of times).
 */
export class Interner {
  readonly #pool = new Map<string, string>();

  /** `s` as the one pooled instance of its value, owning its characters. */
  intern(s: string): string {
    const known = this.#pool.get(s);
    if (known !== undefined) return known;
    const own = ownString(s);
    this.#pool.set(own, own);
    return own;
  }

  /** Number of distinct values pooled. */
  get size(): number {
    return this.#pool.size;
  }
}

/**
 * A copy of `s` that owns its characters (not a slice or concatenation of other strings). Shorter
 * strings than 13 characters are always copied by V8 already and are returned as they are.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** `ref` with owned strings: the name (nearly unique) copied, apiVersion, kind and namespace pooled. */
export function compactRef(ref: ResourceRef, strings: Interner): ResourceRef {
  const out: ResourceRef = {};
  if (ref.apiVersion !== undefined) out.apiVersion = strings.intern(ref.apiVersion);
  if (ref.kind !== undefined) out.kind = strings.intern(ref.kind);
  if (ref.name !== undefined) out.name = ownString(ref.name);
  if (ref.namespace !== undefined) out.namespace = strings.intern(ref.namespace);
  return out;
}
