/**
 * Checks every Notary v1 role file goes through (notary `repoBuilder`, TUF §5 "Detailed client
 * workflow"): expiry, version, `_type`, hash structure, and bytes against the hashes a parent lists.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { PinError } from '../../../errors/errors.js';
import type { ExpectedFile } from './verifier-contract.js';
import { humanDuration } from './humanize.js';
import { expectedType } from './roles.js';
import type { FileMeta } from './schema.js';

export function trustError(gun: string, code: PinError['code'], role: string, message: string, hint: string): PinError {
  return new PinError({ code, role, message: `${gun}: ${message}`, hint });
}

/** Who must act when a role expires (message) and how (hint). */
const EXPIRY_ADVICE: Record<'root' | 'timestamp' | 'snapshot' | 'targets', { who: string; hint: string }> = {
  root: {
    who: 'the repository owner must re-sign root with the root key',
    hint: 'the owner must publish a new root (for example via notary key rotate <GUN> root); check this machine\'s clock if the date looks wrong',
  },
  timestamp: {
    who: "the server's timestamp key must re-sign",
    hint: 'check that notary-server (and notary-signer) are running and can sign timestamps; check this machine\'s clock',
  },
  snapshot: {
    who: 'the snapshot key must re-sign',
    hint: 'the server re-signs snapshot if it holds the snapshot key; otherwise the publisher must run notary publish',
  },
  targets: {
    who: 'the publisher must re-sign',
    hint: 'the role\'s key holder must re-sign it (notary publish after a change, or notary witness <GUN> <role>)',
  },
};

/** TUF 5.x "check for a freeze attack": expires must not be before now (notary `IsExpired`). */
export function checkExpiry(gun: string, now: Date, role: string, expires: Date): void {
  if (expires.getTime() >= now.getTime()) return;
  const base = role === 'root' || role === 'timestamp' || role === 'snapshot' ? role : 'targets';
  const { who, hint } = EXPIRY_ADVICE[base];
  throw trustError(
    gun,
    'TRUST_EXPIRED',
    role,
    `${role} expired ${humanDuration(now.getTime() - expires.getTime())} ago (${expires.toISOString()}): ${who}`,
    hint,
  );
}

/** TUF 5.x "check for a rollback attack" (notary `VerifyVersion`: version >= the trusted one). */
export function checkVersion(gun: string, role: string, version: number, min: number | undefined): void {
  if (version < 1) {
    throw trustError(gun, 'TRUST_MALFORMED', role, `${role} version ${version} is below 1`, 'the trust data is corrupt');
  }
  if (min !== undefined && version < min) {
    throw trustError(
      gun,
      'TRUST_ROLLBACK',
      role,
      `${role} version ${version} is older than version ${min} trusted before (rollback)`,
      'the trust server is serving old trust data: it may be under attack or restored from an old backup; do not trust it until it serves a current version',
    );
  }
}

/** notary `ValidTUFType`: `_type` must match the role. */
export function checkType(gun: string, role: string, type: string, what: string): void {
  const want = expectedType(role);
  if (type !== want) {
    throw trustError(
      gun,
      'TRUST_MISMATCH',
      role,
      `${what} has _type "${type}", expected "${want}"`,
      'the trust server returned another role\'s metadata in its place; it is misconfigured or under attack',
    );
  }
}

/** notary `CheckValidHashStructures`: a 32-byte sha256 is required; a sha512, if present, must be 64 bytes. */
export function checkHashStructure(gun: string, role: string, listed: string, meta: FileMeta | undefined): void {
  const h = meta?.hashes ?? {};
  const sha256 = Object.hasOwn(h, 'sha256') ? h['sha256'] : undefined;
  const sha512 = Object.hasOwn(h, 'sha512') ? h['sha512'] : undefined;
  if (!sha256 || sha256.length !== 32 || (sha512 !== undefined && sha512.length !== 64)) {
    throw trustError(
      gun,
      'TRUST_MALFORMED',
      role,
      `${role} has no valid sha256 checksum for ${listed}`,
      'the trust data is not what notary writes; it is corrupt or tampered with',
    );
  }
}

/** TUF 5.5.2 / 5.6.2 (notary `data.CheckHashes`): length and every sha256/sha512 the listing role states. */
export function checkFile(gun: string, role: string, bytes: Uint8Array, meta: FileMeta, listedBy: string): void {
  const mismatch = (what: string): PinError =>
    trustError(
      gun,
      'TRUST_MISMATCH',
      role,
      `${role}.json does not match the ${what} ${listedBy} lists for it`,
      `the files come from different versions (mix-and-match) or were tampered with; if the server was just updated, retry`,
    );
  if (meta.length !== undefined && meta.length > 0 && bytes.length !== meta.length) {
    throw mismatch(`length (${meta.length} bytes, got ${bytes.length})`);
  }
  let checked = 0;
  for (const [alg, want] of Object.entries(meta.hashes)) {
    const algo = alg === 'sha256' ? 'sha256' : alg === 'sha512' ? 'sha512' : undefined;
    if (!algo) continue;
    const got = createHash(algo).update(bytes).digest();
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw mismatch(`${alg} hash`);
    checked++;
  }
  if (checked === 0) {
    throw trustError(
      gun,
      'TRUST_MISMATCH',
      role,
      `${listedBy} lists no sha256/sha512 hash for ${role}`,
      'the trust data is not what notary writes; it is corrupt or tampered with',
    );
  }
}

/** The listed sha256 when it is a well-formed one (32 bytes), else undefined. */
export function listedSha256(meta: FileMeta): Uint8Array | undefined {
  const sha = Object.hasOwn(meta.hashes, 'sha256') ? meta.hashes['sha256'] : undefined;
  return sha && sha.length === 32 ? sha : undefined;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** What a parent's listing says a file must be; length and sha256 only when stated and usable. */
export function expectedFile(role: string, meta: FileMeta): ExpectedFile {
  const out: { role: string; length?: number; sha256?: string } = { role };
  if (meta.length !== undefined && meta.length > 0) out.length = meta.length;
  const sha = listedSha256(meta);
  if (sha) out.sha256 = hex(sha);
  return out;
}
