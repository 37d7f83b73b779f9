/** OCI digests (image-spec descriptor.md): only lower-case `sha256:<64 hex>` or `sha512:<128 hex>`. */
import { createHash } from 'node:crypto';

const FORMS: Record<string, number> = { sha256: 64, sha512: 128 };

export function parseDigest(digest: string): { algorithm: 'sha256' | 'sha512'; hex: string } | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m || m[2]!.length !== FORMS[m[1]!]) return undefined;
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2]! };
}

export function isDigest(s: string): boolean {
  return parseDigest(s) !== undefined;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** `bytes` hash to `digest` (which must be verifiable). */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  const d = parseDigest(digest);
  return d !== undefined && digestOf(bytes, d.algorithm) === digest;
}

/** Referrers tag schema: `sha256:<hex>` → `sha256-<hex>`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}
