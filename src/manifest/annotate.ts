/**
 * Sets `metadata.annotations[key]` with a surgical text edit: an existing value is replaced in its style,
 * a missing entry is inserted first in the innermost existing mapping (JSON in flow mappings). `serialize`
 * checks the output equals the input plus exactly these entries. Mappings shared through anchors, aliases
 * or `<<` are refused (INPUT_INVALID): an edit there would change other resources or hide behind the merge.
 */
import { isAlias, isMap, isScalar, type YAMLMap } from 'yaml';
import { PinError } from '../errors/errors.js';
import { recordScalarEdit, setInObject, type EditTarget } from './rewrite.js';
import type { TextEdit } from './results.js';
import { yamlScalar } from './results.js';

/** An inserted mapping entry, with the fingerprint tokens it adds (output-check.ts). */
export interface InsertEdit extends TextEdit {
  readonly map: number;
  readonly tokens: readonly string[];
}

/** Keyed by the start offset of the mapping the entry is prepended to. */
export type InsertMap = Map<number, InsertEdit>;

const refuse = (message: string): PinError =>
  new PinError({
    code: 'INPUT_INVALID',
    message: `cannot add the provenance annotation: ${message}`,
    hint: 'write metadata and metadata.annotations out as plain mappings (no YAML anchors, aliases, tags or << merge keys), or turn spec.provenance off',
  });

const columnOf = (text: string, offset: number): number => offset - (text.lastIndexOf('\n', offset - 1) + 1);

/** A `<<` merge key is refused. */
function entryOf(map: YAMLMap, key: string, where: string): { found: boolean; value: unknown } {
  for (const pair of map.items) {
    if (!isScalar(pair.key)) throw refuse(`${where} has a non-scalar key`);
    const k = pair.key.value;
    if (typeof k === 'symbol' || k === '<<') throw refuse(`${where} uses a << merge key`);
    if (String(k) === key) return { found: true, value: pair.value };
  }
  return { found: false, value: undefined };
}

/** A mapping notary-pin may edit in place: a plain, unshared one. */
function ownMap(node: unknown, where: string): YAMLMap {
  if (isAlias(node)) throw refuse(`${where} is a YAML alias`);
  if (!isMap(node)) throw refuse(`${where} is not a mapping`);
  if (node.anchor !== undefined || node.tag !== undefined) throw refuse(`${where} has a YAML anchor or tag`);
  if (!node.range) throw refuse(`${where} has no source position`);
  return node;
}

/** For printable ASCII (`asciiJson`), only `'` needs doubling. */
const singleQuoted = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** `keys[0]: {keys[1]: ... value}` as text for `map`, and its fingerprint tokens. */
function renderInsert(text: string, map: YAMLMap, keys: readonly string[], value: string, eol: string): InsertEdit {
  const tokens: string[] = [];
  keys.forEach((k, i) => tokens.push('P', `S||${JSON.stringify(k)}`, ...(i < keys.length - 1 ? ['M|'] : [])));
  tokens.push(`S||${JSON.stringify(value)}`);
  for (let i = 1; i < keys.length; i++) tokens.push('/M');
  const start = map.range![0];
  if (map.flow) {
    if (text[start] !== '{') throw refuse('a flow mapping does not start with {');
    let body = `${JSON.stringify(keys[keys.length - 1])}: ${JSON.stringify(value)}`;
    for (let i = keys.length - 2; i >= 0; i--) body = `${JSON.stringify(keys[i])}: {${body}}`;
    const sep = map.items.length > 0 ? ', ' : '';
    return { start: start + 1, end: start + 1, text: body + sep, map: start, tokens };
  }
  const first = map.items[0]?.key;
  if (!isScalar(first) || !first.range || first.range[0] !== start || first.anchor !== undefined || first.tag !== undefined) {
    throw refuse('a block mapping starts with something other than a plain key');
  }
  const col = columnOf(text, start);
  const lines = keys.map((k, i) => `${' '.repeat(col + 2 * i)}${yamlScalar(k)}:${i === keys.length - 1 ? ` ${singleQuoted(value)}` : ''}`);
  // the first line starts where the mapping's first key did (its indentation is already there)
  return { start, end: start, text: lines.join(eol).slice(col) + eol + ' '.repeat(col), map: start, tokens };
}

/** `value` must be printable ASCII; false when already set. `object` is updated to match. */
export function recordAnnotation(target: EditTarget, inserts: InsertMap, object: Record<string, unknown>, key: string, value: string): boolean {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new PinError({ code: 'INTERNAL', message: 'an annotation value must be printable ASCII' });
  // the input's line break, read from its first line (as the reader does): O(1) per resource
  const nl = target.source.indexOf('\n');
  const eol = nl > 0 && target.source[nl - 1] === '\r' ? '\r\n' : '\n';
  const root = ownMap(target.root, 'the resource');
  const md = entryOf(root, 'metadata', 'the resource');
  let changed: boolean;
  if (!md.found) {
    changed = record(inserts, renderInsert(target.source, root, ['metadata', 'annotations', key], value, eol));
  } else {
    const mdMap = ownMap(md.value, 'metadata');
    const ann = entryOf(mdMap, 'annotations', 'metadata');
    if (!ann.found) changed = record(inserts, renderInsert(target.source, mdMap, ['annotations', key], value, eol));
    else {
      const annMap = ownMap(ann.value, 'metadata.annotations');
      changed = entryOf(annMap, key, 'metadata.annotations').found
        ? recordScalarEdit(target, ['metadata', 'annotations', key], value)
        : record(inserts, renderInsert(target.source, annMap, [key], value, eol));
    }
  }
  setAnnotationInObject(object, key, value);
  return changed;
}

function record(inserts: InsertMap, edit: InsertEdit): boolean {
  if (inserts.has(edit.map)) throw refuse('the same mapping was given two new entries');
  inserts.set(edit.map, edit);
  return true;
}

function setAnnotationInObject(object: Record<string, unknown>, key: string, value: string): void {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(object.metadata)) object.metadata = {};
  const md = object.metadata as Record<string, unknown>;
  if (!isObj(md.annotations)) md.annotations = {};
  const ann = md.annotations as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(ann, key)) setInObject(object, ['metadata', 'annotations', key], value);
  else ann[key] = value;
}
