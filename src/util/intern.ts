import type { ResourceRef } from '../errors/errors.js';

/**
 * Strings kept for the whole run, made small: V8 makes substrings of 13+ characters slices that keep the
 * whole parent (the YAML input) alive. Returns owned copies, one instance per value.
 */
export class Interner {
  readonly #pool = new Map<string, string>();

  /** `false`: strings are returned as they are (input parsed by JSON.parse, whose strings are no slices). */
  constructor(private readonly copy = true) {}

  intern(s: string): string {
    if (!this.copy) return s;
    const known = this.#pool.get(s);
    if (known !== undefined) return known;
    const own = ownString(s);
    this.#pool.set(own, own);
    return own;
  }

  /** An owned copy of a string that is not pooled (e.g. a resource name). */
  own(s: string): string {
    return this.copy ? ownString(s) : s;
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
  if (ref.name !== undefined) out.name = strings.own(ref.name);
  if (ref.namespace !== undefined) out.namespace = strings.intern(ref.namespace);
  return out;
}
