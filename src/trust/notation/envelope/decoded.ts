/**
 * The envelope-independent view of a Notary Project signature (JWS or COSE) and its format-independent
 * checks: Notary Project signature-specification §Signed Attributes and §Unsigned Attributes.
 */
import { PinError } from '../../../errors/errors.js';
import type { SignatureAlg } from '../cert-chain.js';

export const PAYLOAD_CONTENT_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const MEDIA_TYPE_JWS = 'application/jose+json';
export const MEDIA_TYPE_COSE = 'application/cose';
/** Largest envelope accepted (notation-go's limit). */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;

export const ATTR = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  timestampSignature: 'io.cncf.notary.timestampSignature',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

export interface DecodedEnvelope {
  readonly format: 'jws' | 'cose';
  readonly alg: SignatureAlg;
  readonly contentType: string;
  readonly signingScheme: SigningScheme;
  readonly signingTime?: Date;
  readonly authenticSigningTime?: Date;
  readonly expiry?: Date;
  /** The `crit` entries (COSE integer labels as `label:<n>`). */
  readonly critical: readonly string[];
  /** Names of every protected attribute present (COSE integer labels as `label:<n>`). */
  readonly protectedNames: ReadonlySet<string>;
  readonly payload: Uint8Array;
  /** The exact bytes the signature covers. */
  readonly signingInput: Uint8Array;
  /** The raw signature (RSASSA-PSS bytes, or ECDSA r‖s). */
  readonly signature: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly timestampToken?: Uint8Array;
}

export function envelopeError(what: string, hint = 'the signature envelope is malformed; re-sign the artifact with notation'): PinError {
  return new PinError({ code: 'NOTATION_ENVELOPE', message: `signature envelope ${what}`, hint });
}

/** Attributes notary-pin understands and processes when critical. */
const UNDERSTOOD_CRITICAL = new Set<string>([ATTR.signingScheme, ATTR.authenticSigningTime, ATTR.expiry]);

/** signature-specification §Signed Attributes: `crit` covers what is used; plugins are NOTATION_PLUGIN_REQUIRED. */
export function checkCritical(env: Pick<DecodedEnvelope, 'critical' | 'protectedNames'>): void {
  const crit = new Set(env.critical);
  if (crit.size !== env.critical.length) throw envelopeError('lists an attribute twice in crit');
  if (env.protectedNames.has(ATTR.verificationPlugin) || env.protectedNames.has(ATTR.verificationPluginMinVersion) ||
      crit.has(ATTR.verificationPlugin) || crit.has(ATTR.verificationPluginMinVersion))
    throw new PinError({
      code: 'NOTATION_PLUGIN_REQUIRED',
      message: `signature requires a Notation verification plugin (${ATTR.verificationPlugin}); verification plugins are not supported`,
      hint: 'sign the artifact without a verification plugin (a signature notary-pin can verify on its own), or verify it with notation and the plugin',
    });
  for (const name of [ATTR.signingScheme, ATTR.authenticSigningTime, ATTR.expiry]) {
    if (env.protectedNames.has(name) && !crit.has(name)) throw envelopeError(`has ${name} but does not mark it critical (crit)`);
  }
  for (const name of crit) {
    if (!env.protectedNames.has(name)) throw envelopeError(`lists ${name} in crit but does not carry it`);
    if (!UNDERSTOOD_CRITICAL.has(name))
      throw envelopeError(`marks the attribute ${name} critical, which notary-pin does not understand`, 'sign without unknown critical attributes');
  }
}

/** signature-specification §Signed Attributes: content type, scheme and the scheme's signing time. */
export function checkSchemeAttributes(env: Pick<DecodedEnvelope, 'contentType' | 'signingScheme' | 'signingTime' | 'authenticSigningTime'>): void {
  if (env.contentType !== PAYLOAD_CONTENT_TYPE) throw envelopeError(`has the content type "${env.contentType}"; ${PAYLOAD_CONTENT_TYPE} is required`);
  if (env.signingScheme === 'notary.x509') {
    if (env.signingTime === undefined) throw envelopeError(`uses notary.x509 but has no ${ATTR.signingTime}`);
    if (env.authenticSigningTime !== undefined) throw envelopeError(`uses notary.x509 but has ${ATTR.authenticSigningTime}`);
  } else if (env.authenticSigningTime === undefined) {
    throw envelopeError(`uses notary.x509.signingAuthority but has no ${ATTR.authenticSigningTime}`);
  }
}

export function parseScheme(v: unknown): SigningScheme {
  if (v === 'notary.x509' || v === 'notary.x509.signingAuthority') return v;
  throw envelopeError(`has the signing scheme ${JSON.stringify(v)}; notary.x509 or notary.x509.signingAuthority is required`);
}
