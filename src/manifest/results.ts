/**
 * Writing `results:` into a ResourceList as a text edit: the existing `results` entry is replaced,
 * or a new one is appended after the last entry of the ResourceList mapping. Block mappings get a
 * block sequence at the mapping's indentation, flow mappings (JSON input) a JSON array.
 */
import { isScalar, isSeq, stringify } from 'yaml';
import type { YAMLMap } from 'yaml';

/** A replacement of `text.slice(start, end)`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/**
 * Whether the input indents block sequences under their key (`items:\n  - a`) or not
 * (`items:\n- a`, kyaml's style and the default).
 */
function indentsSequences(text: string, root: YAMLMap): boolean {
  for (const p of root.items) {
    const k = p.key as { range?: [number, number, number] } | null;
    const v = p.value as { range?: [number, number, number]; flow?: boolean } | null;
    if (isScalar(p.key) && k?.range && isSeq(v) && !v.flow && v.range) return columnOf(text, v.range[0]) > columnOf(text, k.range[0]);
  }
  return false;
}

/**
 * The edit that writes `results` (already JSON-normalised) into `root`, or undefined when the
 * mapping's layout is too unusual for a text edit (the caller then re-stringifies).
 */
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

  const rendered = stringify({ results }, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: indentsSequences(text, root) })
    .split('\n')
    .filter((l, i, all) => !(i === all.length - 1 && l === ''))
    .map((l) => (l === '' ? l : ' '.repeat(col) + l));
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
