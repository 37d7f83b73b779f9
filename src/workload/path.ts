/** Field paths: KRM result form (`spec.containers[0].image`), declared form (`spec.containers[].image`). */

export type Path = (string | number)[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const DECLARABLE_KEY = /^[A-Za-z0-9_-]+$/;

export const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Own properties only: a hostile prototype key (`__proto__`, `constructor`) never counts. */
export const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
export const get = (o: unknown, k: string): unknown => (isRecord(o) && has(o, k) ? o[k] : undefined);

/** `['spec','containers',0,'image']` → `spec.containers[0].image`; odd keys as `["key"]`. */
export function formatField(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `spec.steps[0].image` → `spec.steps[].image`; undefined when a key cannot be written that way. */
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

export interface Step {
  key: string;
  each: boolean;
}

/** The config schema already validated the syntax. */
export function parseFieldPath(path: string): Step[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

export interface Found {
  value: unknown;
  path: Path;
}

/** Every value a declared path reaches, in document order; the caller validates the values. */
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
