/**
 * Self-check of a rewritten text: the output is parsed again and every document must have the same
 * structure and values as the input, except the scalars that were deliberately set (and the
 * ResourceList's `results`). Nothing leaves `serialize` unchecked: notary-pin fails closed.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, isDocument } from 'yaml';
import type { Document } from 'yaml';

/** Options for `fingerprint`. */
export interface FingerprintOptions {
  /** Leave out this key of the root mapping (the ResourceList's `results`). */
  skipRootKey?: string;
  /** New values for scalars, keyed by their start offset. */
  substitute?: ReadonlyMap<number, { value: string }>;
}

function scalarToken(value: unknown): string {
  if (typeof value === 'symbol') return `sym:${value.description ?? ''}`;
  if (typeof value === 'bigint') return `big:${value}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `num:${value}`;
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * A flat description of a document's node tree (kinds, anchors, tags, scalar values, alias names)
 * in document order. Styles and comments are not part of it.
 */
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

/** True when both fingerprints are equal. */
export function sameFingerprint(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
