/** How the indexed reader re-reads one-line quoted scalars: 'single' (`''` unescaping), "double" (JSON). */

/** A quoted scalar's end (exclusive, after the closing quote) and value. */
export interface QuotedScalar {
  readonly end: number;
  readonly value: unknown;
}

/** The 'single'-quoted scalar opening at `from`; undefined when it is unterminated or spans lines. */
export function readSingleQuoted(text: string, from: number): QuotedScalar | undefined {
  let p = from + 1;
  for (;;) {
    const i = text.indexOf("'", p);
    if (i < 0) return undefined;
    if (text.charCodeAt(i + 1) === 0x27) p = i + 2;
    else {
      const raw = text.slice(from, i + 1);
      return /[\r\n]/.test(raw) ? undefined : { end: i + 1, value: raw.slice(1, -1).replace(/''/g, "'") };
    }
  }
}

/** The "double"-quoted scalar at `from`; undefined when unterminated, multi-line or not valid JSON. */
export function readDoubleQuoted(text: string, from: number): QuotedScalar | undefined {
  let p = from + 1;
  for (;;) {
    const c = text.charCodeAt(p);
    if (p >= text.length || c === 0x0a || c === 0x0d) return undefined;
    if (c === 0x5c) p += 2;
    else if (c === 0x22) break;
    else p++;
  }
  const raw = text.slice(from, p + 1);
  if (!raw.includes('\\')) return { end: p + 1, value: raw.slice(1, -1) };
  try {
    return { end: p + 1, value: JSON.parse(raw) as unknown };
  } catch {
    return undefined;
  }
}
