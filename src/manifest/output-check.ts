/**
 * Self-check of a rewritten text: re-parsed, each document must equal the input in structure and values
 * except the scalars deliberately set (and `results`). Nothing leaves `serialize` unchecked.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, isDocument } from 'yaml';
import type { Document } from 'yaml';

export interface FingerprintOptions {
  /** Leave out this key of the root mapping (the ResourceList's `results`). */
  skipRootKey?: string;
  substitute?: ReadonlyMap<number, { value: string }>;
  /** Tokens of entries inserted at a mapping's start, keyed by its start offset. */
  prepend?: ReadonlyMap<number, { tokens: readonly string[] }>;
}

function scalarToken(value: unknown): string {
  if (typeof value === 'symbol') return `sym:${value.description ?? ''}`;
  if (typeof value === 'bigint') return `big:${value}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `num:${value}`;
  return JSON.stringify(value) ?? 'undefined';
}

/** A document's node tree as flat tokens (kinds, anchors, tags, values, aliases); no styles or comments. */
export function fingerprint(doc: Document, opts: FingerprintOptions = {}): string[] {
  const out: string[] = [];
  const walk = (node: unknown, isRoot: boolean): void => {
    if (node === null || node === undefined) {
      out.push('~');
      return;
    }
    if (isAlias(node)) {
      out.push(`*${node.source}`);
      return;
    }
    if (isPair(node)) {
      out.push('P');
      walk(node.key, false);
      walk(node.value, false);
      return;
    }
    const props = (n: { anchor?: string | undefined; tag?: string | undefined }): string => `${n.anchor ?? ''}|${n.tag ?? ''}`;
    if (isScalar(node)) {
      const sub = node.range ? opts.substitute?.get(node.range[0]) : undefined;
      out.push(`S${props(node)}|${scalarToken(sub !== undefined ? sub.value : node.value)}`);
      return;
    }
    if (isMap(node)) {
      out.push(`M${props(node)}`);
      const added = node.range ? opts.prepend?.get(node.range[0]) : undefined;
      if (added !== undefined) out.push(...added.tokens);
      for (const pair of node.items) {
        if (isRoot && opts.skipRootKey !== undefined && isScalar(pair.key) && pair.key.value === opts.skipRootKey) continue;
        walk(pair, false);
      }
      out.push('/M');
      return;
    }
    if (isSeq(node)) {
      out.push(`Q${props(node)}`);
      for (const it of node.items) walk(it, false);
      out.push('/Q');
      return;
    }
    out.push('?');
  };
  walk(isDocument(doc) ? doc.contents : doc, true);
  return out;
}

export function sameFingerprint(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
