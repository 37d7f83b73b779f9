/** The `results` edit of a fast ResourceList: appended after the root's last content line, entry by entry. */
import type { FastState } from './indexed-reader.js';
import { isMapFrame, SEQ, type Frame } from './position-index.js';
import { renderBlock, type TextEdit } from './results.js';

export const columnOf = (text: string, offset: number): number => offset - (text.lastIndexOf('\n', offset - 1) + 1);

/** Only for a block root mapping without a `results` key; undefined otherwise (the caller escalates). */
export function fastResultsEdit(st: FastState, results: unknown[] | ResultSource): TextEdit | undefined {
  const root = st.resourceList;
  if (!isMapFrame(root) || root.style !== 0 || root.keys.includes('results') || st.lastIsBlock === true) return undefined;
  const text = st.text;
  const first = root.keyFrames[0];
  if (first === undefined) return undefined;
  const col = columnOf(text, first.contentFrom);
  let indentSeq = false;
  for (let i = 0; i < root.keys.length; i++) {
    const v = root.vals[i];
    if (v !== null && v !== undefined && v.kind === SEQ && v.style === 0) {
      indentSeq = columnOf(text, v.contentFrom) > columnOf(text, (root.keyFrames[i] as Frame).contentFrom);
      break;
    }
  }
  // the mapping ends with its last content line; only blank lines and column-0 comments may follow
  // (where `yaml` puts an indented comment is not modelled)
  const nl = text.indexOf('\n', st.lastContent);
  const at = nl < 0 ? text.length : nl + 1;
  if (!/^(?:(?:#[^\n]*)?\n)*(?:#[^\n]*)?$/.test(text.slice(at).replace(/\r\n/g, '\n'))) return undefined;
  if (nl >= 0 && !/^[ \r]*(?:#[^\n]*)?$/.test(text.slice(st.lastContent, nl))) return undefined;
  const needsBreak = at > 0 && text[at - 1] !== '\n';
  return { start: at, end: at, text: (needsBreak ? st.eol : '') + renderResults(results, indentSeq, ' '.repeat(col), st.eol) };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Results produced one at a time (validated when written), so they are never all held in written form. */
export interface ResultSource {
  readonly length: number;
  /** JSON-normalised; may throw (an invalid result). */
  entry(i: number): unknown;
  readonly mappings: boolean;
}

export function resultList(src: unknown[] | ResultSource): unknown[] {
  return Array.isArray(src) ? src : Array.from({ length: src.length }, (_, i) => src.entry(i));
}

/** `renderBlock('results', …)` indented, one string; a list of mappings is rendered entry by entry (same text). */
export function renderResults(results: unknown[] | ResultSource, indentSeq: boolean, indent: string, eol: string): string {
  const mappings = Array.isArray(results) ? results.every(isPlainObject) : results.mappings;
  if (results.length === 0 || !mappings) return renderBlock('results', resultList(results), indentSeq).map((l) => indent + l + eol).join('');
  const entry = Array.isArray(results) ? (i: number): unknown => results[i] : (i: number): unknown => results.entry(i);
  let out = '';
  for (let n = 0; n < results.length; n++) {
    // line 0 is the `results:` line, written once
    const lines = renderBlock('results', [entry(n)], indentSeq);
    out += (n === 0 ? lines : lines.slice(1)).map((l) => indent + l + eol).join('');
  }
  return out;
}
