import type { ResourceRef } from '../errors/errors.js';

/**
 * Strings kept for the whole run, made small: V8 makes substrings of 13+ characters slices that keep the
 * whole parent (the YAML input) alive. Returns owned copies, one instance per value.
 */
export class Interner {
  readonly #pool = new Map<string, string>();

  intern(s: string): string {
    const known = this.#pool.get(s);
    if (known !== undefined) return known;
    const own = ownString(s);
    this.#pool.set(own, own);
    return own;
  }

  get size(): number {
    return this.#pool.size;
  }
}

/** A copy of `s` that owns its characters (V8 already copies strings under 13 characters). */
export function ownString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** `ref` with owned strings: the name copied, apiVersion, kind and namespace pooled. */
export function compactRef(ref: ResourceRef, strings: Interner): ResourceRef {
  const out: ResourceRef = {};
  if (ref.apiVersion !== undefined) out.apiVersion = strings.intern(ref.apiVersion);
  if (ref.kind !== undefined) out.kind = strings.intern(ref.kind);
  if (ref.name !== undefined) out.name = ownString(ref.name);
  if (ref.namespace !== undefined) out.namespace = strings.intern(ref.namespace);
  return out;
}
