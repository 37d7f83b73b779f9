/**
 * Threshold signature verification of one metadata file: notary `signed.VerifySignatures`, TUF 5.3.4 /
 * 5.4.1 / 5.5.3 / 5.6.3 ("signed by a threshold of unique keys").
 */
import { PinError } from '../../../errors/errors.js';
import { canonicalBytes, parseJsonBytes } from './canonical.js';
import { verifySignature, type TufKey } from './keys.js';
import { parseOrThrow, SignedEnvelopeSchema, type SignedEnvelope } from './schema.js';

/** Bounds checked before any crypto (notary writes one signature per key); over a bound is TRUST_TOO_LARGE. */
export const MAX_SIGNATURES = 64;
export const MAX_ROLE_KEYS = 32;
export const MAX_DECLARED_KEYS = 1024;

export function tooMany(ctx: { gun: string; role: string }, what: string, count: number, max: number): PinError {
  return new PinError({
    code: 'TRUST_TOO_LARGE',
    role: ctx.role,
    message: `${ctx.gun}: ${what} has ${count}, more than the limit of ${max}; refused before verifying any signature`,
    hint: 'notary writes far fewer; the trust data is hostile (a signature or key flood) or corrupt',
  });
}

/** A role's keys (by the key ID the metadata declares) and threshold (notary `data.BaseRole`). */
export interface RoleKeys {
  readonly name: string;
  readonly keys: ReadonlyMap<string, TufKey>;
  readonly threshold: number;
}

/** A parsed `{signed, signatures}` file with the canonical bytes its signatures cover. */
export interface Envelope {
  readonly bytes: Uint8Array;
  readonly envelope: SignedEnvelope;
  /** docker/go `MarshalCanonical` of the decoded `signed` object. */
  readonly message: Uint8Array;
}

export function readEnvelope(bytes: Uint8Array, ctx: { gun: string; role: string; what?: string }): Envelope {
  const what = ctx.what ?? `${ctx.role}.json`;
  let json: unknown;
  let message: Uint8Array;
  try {
    json = parseJsonBytes(bytes, what);
    const sigs = (json as { signatures?: unknown } | null)?.signatures;
    if (Array.isArray(sigs) && sigs.length > MAX_SIGNATURES) throw tooMany(ctx, `${what}: signatures`, sigs.length, MAX_SIGNATURES);
    const envelope = parseOrThrow(SignedEnvelopeSchema, json, ctx);
    // Canonicalise the `signed` object exactly as parsed (not zod's copy of it).
    message = canonicalBytes((json as { signed: unknown }).signed);
    return { bytes, envelope, message };
  } catch (e) {
    if (e instanceof PinError && e.role === undefined) {
      throw new PinError({
        code: e.code,
        role: ctx.role,
        message: `${ctx.gun}: ${e.message.startsWith(what) ? '' : what + ': '}${e.message}`,
        hint: e.hint,
        cause: e,
      });
    }
    throw e;
  }
}

export interface SignatureCount {
  readonly valid: ReadonlySet<string>;
  readonly unknownKey: number;
  readonly invalid: number;
  /** Further signatures by a key already counted: skipped without crypto. */
  readonly duplicate: number;
}

/**
 * Counts valid signatures as notary does: keys not in the role skipped, a key whose content ID differs
 * from its declared ID is an error (`ErrInvalidKeyID`), each key counts once. Unlike notary only a key's
 * first signature is verified, bounding the crypto by the role's keys.
 */
export function countSignatures(env: Envelope, role: RoleKeys): SignatureCount {
  const valid = new Set<string>();
  const tried = new Set<string>();
  let unknownKey = 0;
  let invalid = 0;
  let duplicate = 0;
  for (const sig of env.envelope.signatures) {
    const key = role.keys.get(sig.keyid);
    if (!key) {
      unknownKey++;
      continue;
    }
    if (tried.has(sig.keyid)) {
      duplicate++;
      continue;
    }
    tried.add(sig.keyid);
    if (key.id !== sig.keyid) {
      throw new PinError({
        code: 'TRUST_SIGNATURE',
        role: role.name,
        message: `key ${sig.keyid} of role ${role.name} does not match its content (its ID is ${key.id})`,
        hint: 'the trust data lists a key under a false ID; it is corrupt or tampered with',
      });
    }
    if (verifySignature(key, sig.method, sig.sig, env.message)) valid.add(sig.keyid);
    else invalid++;
  }
  return { valid, unknownKey, invalid, duplicate };
}

/** Throws TRUST_SIGNATURE unless `role.threshold` distinct keys of `role` signed validly (`label` names them). */
export function requireThreshold(
  env: Envelope,
  role: RoleKeys,
  ctx: { gun: string; role: string; label?: string; hint?: string },
): void {
  if (env.envelope.signatures.length === 0) {
    throw new PinError({
      code: 'TRUST_SIGNATURE',
      role: ctx.role,
      message: `${ctx.gun}: ${ctx.role} has no signatures`,
      hint: ctx.hint ?? 'the trust data is unsigned; it is corrupt or tampered with',
    });
  }
  if (role.threshold < 1) {
    throw new PinError({
      code: 'TRUST_SIGNATURE',
      role: ctx.role,
      message: `${ctx.gun}: ${ctx.role} has a signature threshold below 1`,
      hint: 'the trust data is corrupt or tampered with',
    });
  }
  let count: SignatureCount;
  try {
    count = countSignatures(env, role);
  } catch (e) {
    if (e instanceof PinError) throw new PinError({ code: e.code, role: ctx.role, message: `${ctx.gun}: ${e.message}`, hint: e.hint });
    throw e;
  }
  if (count.valid.size < role.threshold) {
    const details: string[] = [];
    if (count.invalid > 0) details.push(`${count.invalid} signature(s) by its keys did not verify`);
    if (count.unknownKey > 0) details.push(`${count.unknownKey} signature(s) by keys not in the role were ignored`);
    if (count.duplicate > 0) details.push(`${count.duplicate} further signature(s) by a key already checked were ignored`);
    throw new PinError({
      code: 'TRUST_SIGNATURE',
      role: ctx.role,
      message:
        `${ctx.gun}: ${ctx.role} is signed by ${count.valid.size} valid key(s) of ${ctx.label ?? `the ${role.name} role`}, ` +
        `needs ${role.threshold}` +
        (details.length > 0 ? ` (${details.join('; ')})` : ''),
      hint:
        ctx.hint ??
        `the ${ctx.role} metadata was not signed by the keys that are trusted for it: it was tampered with, or signed with a key that was rotated out`,
    });
  }
}
