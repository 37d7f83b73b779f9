/**
 * Field paths inside a resource: the KRM result form (`spec.containers[0].image`), the declared
 * form of `imageFields` / presets (`spec.containers[].image`) and how a declared path is followed.
 */

/** A path inside a resource: map keys are strings, list indexes are numbers. */
export type Path = (string | number)[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const DECLARABLE_KEY = /^[A-Za-z0-9_-]+$/;

export const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Own properties only: a hostile prototype key (`__proto__`, `constructor`) never counts. */
export const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
export const get = (o: unknown, k: string): unknown => (isRecord(o) && has(o, k) ? o[k] : undefined);

/**
 * A KRM result field path: `['spec','containers',0,'image']` → `spec.containers[0].image`.
 * Keys that are not simple identifiers are written as `["key"]`.
 */
export function formatField(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * The declared form of a concrete path (`spec.steps[0].image` → `spec.steps[].image`), as
 * `imageFields` and `ignoreImageFields` take it; undefined when a key cannot be written there.
 */
export function declaredPath(path: readonly (string | number)[]): string | undefined {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (out === '' || out.endsWith('[]')) return undefined;
      out += '[]';
    } else if (DECLARABLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else return undefined;
  }
  return out === '' ? undefined : out;
}

/** One step of a declared path: a key, optionally followed by `[]` (every element). */
export interface Step {
  key: string;
  each: boolean;
}

/** Parse `spec.components[].image` into steps (the config schema validated the syntax). */
export function parseFieldPath(path: string): Step[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

/** A value found at a declared path, with its concrete path. */
export interface Found {
  value: unknown;
  path: Path;
}

/**
 * Every value a declared path reaches in `obj` (prefix `prefix`), in document order. A missing key
 * yields nothing; the last step yields whatever value is there (the caller validates it).
 */
export function follow(obj: unknown, steps: readonly Step[], prefix: Path): Found[] {
  let frontier: Found[] = [{ value: obj, path: prefix }];
  steps.forEach((step, n) => {
    const next: Found[] = [];
    for (const { value, path } of frontier) {
      if (!isRecord(value) || !has(value, step.key)) continue;
      const child = value[step.key];
      const childPath = [...path, step.key];
      if (!step.each) next.push({ value: child, path: childPath });
      else if (Array.isArray(child)) child.forEach((el: unknown, i) => next.push({ value: el, path: [...childPath, i] }));
    }
    frontier = n === steps.length - 1 ? next : next.filter((f) => f.value !== null && typeof f.value === 'object');
  });
  return frontier;
}
