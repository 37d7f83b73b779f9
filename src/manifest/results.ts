/**
 * Writes `results:` into a ResourceList as a text edit (replaced, or appended after the last entry):
 * a block sequence at the mapping's indentation, or a JSON array in a flow mapping.
 */
import { isScalar, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Whether block sequences are indented under their key (`items:\n  - a`); default not (kyaml). */
function indentsSequences(text: string, root: YAMLMap): boolean {
  for (const p of root.items) {
    const k = p.key as { range?: [number, number, number] } | null;
    const v = p.value as { range?: [number, number, number]; flow?: boolean } | null;
    if (isScalar(p.key) && k?.range && isSeq(v) && !v.flow && v.range) return columnOf(text, v.range[0]) > columnOf(text, k.range[0]);
  }
  return false;
}

/** `results` are JSON-normalised; undefined when the layout is too unusual (the caller re-stringifies). */
export function resultsEdit(text: string, root: YAMLMap, results: unknown[], eol: string): TextEdit | undefined {
  if (!root.range) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'results');
  const first = root.items[0];
  if (first === undefined || !isScalar(first.key) || !first.key.range) return undefined;
  const col = columnOf(text, first.key.range[0]);

  if (root.flow) {
    const json = JSON.stringify(results);
    if (pair !== undefined) {
      const v = pair.value as { range?: [number, number, number] } | null;
      if (!v || !v.range) return undefined;
      return { start: v.range[0], end: v.range[1], text: json };
    }
    const last = root.items[root.items.length - 1];
    const lastNode = (last?.value ?? last?.key) as { range?: [number, number, number] } | null | undefined;
    if (!lastNode || !lastNode.range) return undefined;
    const multiline = text.slice(root.range[0], root.range[1]).includes('\n');
    const sep = multiline ? `,${eol}${' '.repeat(col)}` : ', ';
    return { start: lastNode.range[1], end: lastNode.range[1], text: `${sep}"results": ${json}` };
  }

  const rendered = renderBlock('results', results, indentsSequences(text, root)).map((l) => ' '.repeat(col) + l);
  if (pair !== undefined) {
    const key = pair.key as { range?: [number, number, number] };
    const endNode = (pair.value ?? pair.key) as { range?: [number, number, number] } | null;
    if (!key.range || !endNode || !endNode.range) return undefined;
    if (columnOf(text, key.range[0]) !== col) return undefined;
    const end = endNode.range[2];
    const body = rendered.join(eol).slice(col);
    return { start: key.range[0], end, text: text[end - 1] === '\n' ? body + eol : body };
  }
  const at = root.range[2];
  const needsBreak = at > 0 && text[at - 1] !== '\n';
  return { start: at, end: at, text: (needsBreak ? eol : '') + rendered.join(eol) + eol };
}

/** Words YAML 1.1 or 1.2 would read as something other than a string when written plain. */
const KEYWORDS = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n', 'null', '~']);
/** Starts with a letter (never a number, date or indicator); no control or line-break characters. */
const PLAIN = /^[A-Za-z_][^\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]*$/;

/** A plain block scalar must not hold `: ` or ` #`, nor end in `:` or a space (YAML 1.2 §7.3.3). */
const isPlainSafe = (s: string): boolean =>
  PLAIN.test(s) && !s.includes(': ') && !s.includes(' #') && !s.endsWith(':') && !s.endsWith(' ') && !KEYWORDS.has(s.toLowerCase());

/** Block context: plain when it reads back in YAML 1.1 and 1.2, else JSON (U+2028/U+2029 escaped too). */
export function yamlScalar(value: unknown): string {
  if (typeof value === 'string') {
    if (isPlainSafe(value)) return value;
    return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (typeof value === 'boolean' || value === null) return JSON.stringify(value);
  return JSON.stringify(value ?? null);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `key: value` in block style, as lines without line ends; only for JSON-normalised data notary-pin
 * generates (`results`). Arrays of scalars are written as JSON flow sequences.
 */
export function renderBlock(key: string, value: unknown, indentSeq: boolean): string[] {
  const lines: string[] = [];
  const emit = (k: string, v: unknown, indent: string, first: string | undefined): void => {
    // `first`: the indent of a sequence item's first key (`- key:`)
    const head = (first ?? indent) + `${yamlScalar(k)}:`;
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      lines.push(head);
      for (const [ck, cv] of Object.entries(v)) emit(ck, cv, `${indent}  `, undefined);
    } else if (Array.isArray(v) && v.length > 0 && v.every(isPlainObject)) {
      lines.push(head);
      const seqIndent = indentSeq ? `${indent}  ` : indent;
      for (const item of v) {
        const entries = Object.entries(item);
        if (entries.length === 0) {
          lines.push(`${seqIndent}- {}`);
          continue;
        }
        entries.forEach(([ck, cv], i) => emit(ck, cv, `${seqIndent}  `, i === 0 ? `${seqIndent}- ` : undefined));
      }
    } else if (Array.isArray(v)) {
      lines.push(`${head} [${v.map((x) => (isPlainObject(x) || Array.isArray(x) ? JSON.stringify(x) : yamlScalar(x))).join(', ')}]`);
    } else if (isPlainObject(v)) {
      lines.push(`${head} {}`);
    } else {
      lines.push(`${head} ${yamlScalar(v)}`);
    }
  };
  emit(key, value, '', undefined);
  return lines;
}
