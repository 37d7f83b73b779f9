/**
 * The validations of Notary Project signature verification, one function per step, in the order of
 * trust-store-trust-policy §Signature Verification: integrity, authenticity, expiry, authentic
 * timestamp, revocation. Each throws a PinError naming the check and the certificate or time.
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import { PinError, type ErrorCode } from '../../errors/errors.js';
import {
  algorithmForKey,
  checkCodeSigningChain,
  parseChain,
  type ParsedCert,
  type SignatureAlg,
} from './cert-chain.js';
import type { HashName, SignatureToVerify, TrustStoreType, VerifyContext } from './contracts.js';
import {
  MAX_ENVELOPE_BYTES,
  MEDIA_TYPE_COSE,
  MEDIA_TYPE_JWS,
  checkSchemeAttributes,
  envelopeError,
  type DecodedEnvelope,
} from './envelope/decoded.js';
import { decodeCose } from './envelope/cose.js';
import { decodeJws } from './envelope/jws.js';
import { checkTarget, parsePayload } from './payload.js';
import { formatDn, isSubsetOf, nameToDn, parseTrustedIdentity } from './trusted-identity.js';

export interface VerifyState {
  readonly sig: SignatureToVerify;
  readonly ctx: VerifyContext;
  env?: DecodedEnvelope;
  chain?: ParsedCert[];
  /** The time-stamped signing time (TSA genTime), when the verdict relies on a timestamp. */
  timestamped?: Date;
  /** Earliest nextUpdate of the revocation data the verdict relied on (signing and TSA chains). */
  revocationUntil?: Date;
}

export const HASH_OF: Readonly<Record<SignatureAlg, HashName>> = {
  PS256: 'SHA-256', PS384: 'SHA-384', PS512: 'SHA-512', ES256: 'SHA-256', ES384: 'SHA-384', ES512: 'SHA-512',
};
const HASH_BYTES: Readonly<Record<HashName, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

export function fail(code: ErrorCode, message: string, hint: string): never {
  throw new PinError({ code, message, hint });
}

/** The decoded envelope and parsed chain, which integrity (always run first) establishes. */
function decoded(s: VerifyState): { env: DecodedEnvelope; chain: ParsedCert[] } {
  if (s.env === undefined || s.chain === undefined) throw new PinError({ code: 'INTERNAL', message: 'integrity did not run first' });
  return { env: s.env, chain: s.chain };
}

function decodeEnvelope(sig: SignatureToVerify): DecodedEnvelope {
  if (sig.envelope.length > MAX_ENVELOPE_BYTES) throw envelopeError(`is larger than ${MAX_ENVELOPE_BYTES} bytes`);
  if (sig.envelopeMediaType === MEDIA_TYPE_JWS) return decodeJws(sig.envelope);
  if (sig.envelopeMediaType === MEDIA_TYPE_COSE) return decodeCose(sig.envelope);
  throw envelopeError(`has the media type "${sig.envelopeMediaType}"; ${MEDIA_TYPE_JWS} or ${MEDIA_TYPE_COSE} is required`);
}

function signatureVerifies(env: DecodedEnvelope, leaf: ParsedCert): boolean {
  const hash = HASH_OF[env.alg];
  const name = hash.replace('-', '').toLowerCase();
  const key = leaf.node.publicKey;
  try {
    return env.alg.startsWith('PS')
      ? cryptoVerify(name, env.signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] }, env.signature)
      : cryptoVerify(name, env.signingInput, { key, dsaEncoding: 'ieee-p1363' }, env.signature);
  } catch {
    return false;
  }
}

/** trust-store-trust-policy §Signature Verification step 3: Validate Integrity. */
export async function integrity(s: VerifyState): Promise<void> {
  const env = decodeEnvelope(s.sig);
  checkSchemeAttributes(env);
  const chain = parseChain(env.certificates);
  if (typeof chain === 'string') throw envelopeError(`certificate chain: ${chain}`);
  const leaf = chain[0]!;
  const keyAlg = algorithmForKey(leaf);
  if (keyAlg !== env.alg)
    fail(
      'NOTATION_INTEGRITY',
      `alg ${env.alg} does not match the signing certificate's key (${leaf.subject} has ${keyAlg.length <= 5 ? `a key for ${keyAlg}` : keyAlg})`,
      'the envelope alg must follow from the signing key (RSA 2048/3072/4096 → PS256/384/512, P-256/384/521 → ES256/384/512)',
    );
  if (!signatureVerifies(env, leaf))
    fail('NOTATION_INTEGRITY', `the signature does not verify with the key of ${leaf.subject}`, 'the envelope was altered or is corrupt; re-sign the artifact');
  checkTarget(parsePayload(env.payload), s.ctx.subject);
  s.env = env;
  s.chain = chain;
}

async function loadStores(s: VerifyState, type: TrustStoreType): Promise<Uint8Array[]> {
  const names = s.ctx.statement.trustStores.filter((t) => t.startsWith(`${type}:`)).map((t) => t.slice(type.length + 1));
  const out: Uint8Array[] = [];
  for (const name of names) out.push(...(await s.ctx.store.load(type, name)));
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

/** trust-store-trust-policy §Signature Verification step 4: Validate Authenticity. */
export async function authenticity(s: VerifyState): Promise<void> {
  const { env, chain } = decoded(s);
  const hint = 'sign with a certificate that meets the Notary Project certificate requirements';
  const rule = checkCodeSigningChain(chain);
  if (rule !== undefined) fail('NOTATION_AUTHENTICITY', `certificate chain: ${rule}`, hint);
  // Certificate validity is the authentic-timestamp step's (the notary.x509 signing time is not authentic).
  const type: TrustStoreType = env.signingScheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  if (!s.ctx.statement.trustStores.some((t) => t.startsWith(`${type}:`)))
    fail(
      'NOTATION_AUTHENTICITY',
      `the signature uses ${env.signingScheme} but statement "${s.ctx.statement.name}" lists no ${type}: trust store`,
      `add a ${type}:<name> store holding the signer's root to the statement's trustStores`,
    );
  const trusted = await loadStores(s, type);
  if (!chain.some((c) => trusted.some((t) => sameBytes(c.der, t))))
    fail(
      'NOTATION_AUTHENTICITY',
      `no certificate of the chain (${chain.map((c) => c.subject).join(' → ')}) is in the ${type}: trust stores of statement "${s.ctx.statement.name}"`,
      'the signer is not trusted: add its root certificate to the trust store, or check who signed the image',
    );
  const ids = s.ctx.statement.trustedIdentities;
  if (ids.includes('*')) return;
  const subject = nameToDn(chain[0]!.asn.tbsCertificate.subject);
  if (typeof subject === 'string') fail('NOTATION_AUTHENTICITY', `the signing certificate's subject ${subject}`, 'trusted identities need a plain subject DN');
  const matched = ids.some((id) => {
    const dn = parseTrustedIdentity(id);
    return typeof dn !== 'string' && isSubsetOf(dn, subject);
  });
  if (!matched)
    fail(
      'NOTATION_AUTHENTICITY',
      `the signing certificate's subject "${formatDn(subject)}" matches none of the trustedIdentities of statement "${s.ctx.statement.name}"`,
      'add the signer\'s x509.subject to trustedIdentities, or check who signed the image',
    );
}

/** trust-store-trust-policy §Signature Verification step 5: Validate Expiry. */
export async function expiry(s: VerifyState): Promise<void> {
  const { env } = decoded(s);
  if (env.expiry !== undefined && s.ctx.now.getTime() >= env.expiry.getTime())
    fail('NOTATION_EXPIRED', `the signature expired at ${env.expiry.toISOString()} (io.cncf.notary.expiry)`, 're-sign the artifact (the signer set an expiry on this signature)');
}
