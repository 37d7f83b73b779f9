/** How the indexed reader re-reads plain scalars: as the `yaml` package reads them (YAML 1.2 core schema). */

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
export const STRING = Symbol('string');

/** What the `yaml` package's core schema (YAML 1.2) makes of a plain scalar; STRING when a string. */
export function yamlCoreValue(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only these first characters can resolve to a non-string: ~ n N t T f F digits + - .
  if (!(s === '' || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46 || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return STRING;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return s[0] === 't' || s[0] === 'T';
  if (OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (NAN_RE.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return STRING;
}

/** A continuation line's first character that the fast path leaves to the full path (indicators). */
const WRAP_LINE_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

/**
 * A plain scalar wrapped over lines, folded (YAML 1.2 §7.3.3); undefined on a comment, `: `, or a
 * continuation line starting with an indicator or not indented deeper than `indent` (the first line's).
 */
export function foldWrappedPlain(raw: string, indent: number): string | undefined {
  if (raw.includes(' #') || /:(?: |\r?\n|$)/.test(raw)) return undefined;
  const lines = raw.split('\n');
  let out = (lines[0] as string).replace(/ +$/, '').replace(/\r$/, '');
  if (out === '' || /[ \r]$/.test(out)) return undefined;
  let breaks = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const body = line.trim();
    if (body === '') {
      breaks++;
      continue;
    }
    const lead = line.length - line.trimStart().length;
    if (lead <= indent || WRAP_LINE_START.test(body) || body.startsWith('---') || body.startsWith('...')) return undefined;
    out += breaks === 0 ? ` ${body}` : '\n'.repeat(breaks) + body;
    breaks = 0;
  }
  return breaks === 0 ? out : undefined;
}
