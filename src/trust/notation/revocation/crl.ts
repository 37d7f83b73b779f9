/**
 * CRLs (RFC 5280 §5) for the Notary Project revocation check: parse base and delta CRLs, verify them
 * against the issuer, decide a certificate's status (trust-store-trust-policy §Revocation Checking with
 * CRL / with Delta CRLs). Indirect and partitioned CRLs (optional in the spec) are "unknown".
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, distributionPointUris, keyUsageBit, nameString, publicKey, toBytes, verifySignature } from '../timestamp/pkix.js';

const EXT = {
  authorityKeyId: '2.5.29.35',
  crlNumber: '2.5.29.20',
  deltaIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  reason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
} as const;
const KNOWN_CRL_EXTS = new Set<string>([EXT.authorityKeyId, EXT.crlNumber, EXT.deltaIndicator, EXT.issuingDistributionPoint, OID.freshestCrl, OID.authorityInfoAccess]);
const KNOWN_ENTRY_EXTS = new Set<string>([EXT.reason, EXT.invalidityDate]);

/** RFC 5280 §5.3.1 CRLReason names. */
export const REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};
export const HOLD = 6;
export const REMOVE_FROM_CRL = 8;

export interface CrlEntry {
  readonly revokedAt: Date;
  readonly reasonCode?: number;
  readonly invalidityDate?: Date;
}

export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly crl: pkijs.CertificateRevocationList;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly number?: bigint;
  /** deltaCRLIndicator (BaseCRLNumber) when this is a delta CRL. */
  readonly deltaBase?: bigint;
  /** Freshest CRL extension of the CRL (delta locations), when present. */
  readonly freshest?: pkijs.Extension;
  /** Revoked serials (lower-case hex of the integer) → entry. */
  readonly entries: ReadonlyMap<string, CrlEntry>;
}

export class CrlProblem extends Error {}

export function serialKey(i: asn1js.Integer): string {
  return i.toBigInt().toString(16);
}

function ext(list: pkijs.Extension[] | undefined, oid: string): pkijs.Extension | undefined {
  return list?.find((e) => e.extnID === oid);
}

function integerExt(e: pkijs.Extension | undefined): bigint | undefined {
  if (!e) return undefined;
  const v = asn1js.fromBER(toBytes(e.extnValue.valueBlock.valueHexView)).result;
  if (!(v instanceof asn1js.Integer)) throw new CrlProblem(`extension ${e.extnID} is not an INTEGER`);
  return v.toBigInt();
}

function dateExt(e: pkijs.Extension | undefined): Date | undefined {
  if (!e) return undefined;
  const v = asn1js.fromBER(toBytes(e.extnValue.valueBlock.valueHexView)).result;
  if (!(v instanceof asn1js.GeneralizedTime)) throw new CrlProblem(`extension ${e.extnID} is not a GeneralizedTime`);
  return v.toDate();
}

function reasonExt(e: pkijs.Extension | undefined): number | undefined {
  if (!e) return undefined;
  const v = asn1js.fromBER(toBytes(e.extnValue.valueBlock.valueHexView)).result;
  if (!(v instanceof asn1js.Enumerated)) throw new CrlProblem('reasonCode is not an ENUMERATED');
  return v.valueBlock.valueDec;
}

function parseEntries(crl: pkijs.CertificateRevocationList): Map<string, CrlEntry> {
  const out = new Map<string, CrlEntry>();
  for (const rc of crl.revokedCertificates ?? []) {
    const exts = rc.crlEntryExtensions?.extensions;
    for (const e of exts ?? []) {
      if (e.extnID === EXT.certificateIssuer) throw new CrlProblem('indirect CRL entries (certificateIssuer) are not supported');
      if (e.critical && !KNOWN_ENTRY_EXTS.has(e.extnID)) throw new CrlProblem(`unsupported critical CRL entry extension ${e.extnID}`);
    }
    out.set(serialKey(rc.userCertificate), {
      revokedAt: rc.revocationDate.value,
      reasonCode: reasonExt(ext(exts, EXT.reason)),
      invalidityDate: dateExt(ext(exts, EXT.invalidityDate)),
    });
  }
  return out;
}

/** Parses a DER CRL; throws CrlProblem when it is not one or uses what we do not support. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  let crl: pkijs.CertificateRevocationList;
  try {
    const asn = asn1js.fromBER(toBytes(der));
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('not a single DER value');
    crl = new pkijs.CertificateRevocationList({ schema: asn.result });
  } catch (e) {
    throw new CrlProblem(`not a CRL: ${(e as Error).message}`);
  }
  const exts = crl.crlExtensions?.extensions;
  for (const e of exts ?? []) {
    if (e.critical && !KNOWN_CRL_EXTS.has(e.extnID)) throw new CrlProblem(`unsupported critical CRL extension ${e.extnID}`);
  }
  const idp = ext(exts, EXT.issuingDistributionPoint)?.parsedValue as pkijs.IssuingDistributionPoint | undefined;
  if (idp && (idp.indirectCRL || idp.onlySomeReasons !== undefined || idp.onlyContainsAttributeCerts)) {
    throw new CrlProblem('indirect or partitioned CRLs (issuingDistributionPoint) are not supported');
  }
  return {
    der,
    crl,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    number: integerExt(ext(exts, EXT.crlNumber)),
    deltaBase: integerExt(ext(exts, EXT.deltaIndicator)),
    freshest: ext(exts, OID.freshestCrl),
    entries: parseEntries(crl),
  };
}

/** RFC 5280 §6.3.3 (f)–(g): the CRL is issued and signed by the certificate's issuer. */
export function crlIssuerProblem(p: ParsedCrl, issuer: pkijs.Certificate): string | undefined {
  if (!p.crl.issuer.isEqual(issuer.subject)) {
    return `the CRL is issued by ${nameString(p.crl.issuer)}, not by the certificate's issuer ${nameString(issuer.subject)}`;
  }
  if (keyUsageBit(issuer, 6) === false) return `the issuer ${nameString(issuer.subject)} may not sign CRLs (keyUsage lacks cRLSign)`;
  let ok = false;
  try {
    ok = verifySignature(p.crl.signature, p.crl.tbsView, publicKey(issuer), toBytes(p.crl.signatureValue.valueBlock.valueHexView));
  } catch (e) {
    return `the CRL signature cannot be checked: ${(e as Error).message}`;
  }
  return ok ? undefined : "the CRL signature does not verify with the issuer's key";
}

/** Scope of an issuingDistributionPoint: a CRL of user (CA) certificates only does not cover CAs (users). */
export function crlScopeProblem(p: ParsedCrl, certIsCA: boolean): string | undefined {
  const idp = ext(p.crl.crlExtensions?.extensions, EXT.issuingDistributionPoint)?.parsedValue as pkijs.IssuingDistributionPoint | undefined;
  if (idp?.onlyContainsUserCerts && certIsCA) return 'the CRL only covers end-entity certificates';
  if (idp?.onlyContainsCACerts && !certIsCA) return 'the CRL only covers CA certificates';
  return undefined;
}

/** The delta CRL URL: the cert's freshest CRL extension, else the base CRL's; several URLs are an error. */
export function deltaUrl(certFreshest: pkijs.Extension | undefined, base: ParsedCrl): string | undefined {
  const e = certFreshest ?? base.freshest;
  if (!e) return undefined;
  let parsed: { uris: string[]; nonUri: boolean };
  try {
    parsed = distributionPointUris(e);
  } catch {
    throw new CrlProblem('the freshest CRL extension does not parse');
  }
  if (parsed.nonUri) throw new CrlProblem('the freshest CRL extension names a location that is not a URI');
  if (parsed.uris.length === 0 || parsed.uris.some((u) => u.length === 0)) throw new CrlProblem('the freshest CRL extension has no delta CRL URL');
  if (parsed.uris.length > 1) throw new CrlProblem('the freshest CRL extension lists more than one delta CRL URL');
  return parsed.uris[0];
}

/** RFC 5280 §5.2.4: a delta CRL completes this base only when numbered after it and based on it or earlier. */
export function deltaProblem(base: ParsedCrl, delta: ParsedCrl): string | undefined {
  if (delta.deltaBase === undefined) return 'the delta CRL has no deltaCRLIndicator';
  if (base.deltaBase !== undefined) return 'the base CRL is itself a delta CRL';
  if (base.number === undefined || delta.number === undefined) return 'the base or delta CRL has no CRL number';
  if (delta.deltaBase > base.number) return `the delta CRL is based on CRL number ${delta.deltaBase}, newer than the base CRL number ${base.number}`;
  if (delta.number <= base.number) return `the delta CRL number ${delta.number} is not after the base CRL number ${base.number}`;
  if (!delta.crl.issuer.isEqual(base.crl.issuer)) return 'the delta CRL has another issuer than the base CRL';
  return undefined;
}

export interface CrlVerdict {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly detail: string;
}

/**
 * A certificate's status from a verified base CRL and optional delta (trust-store-trust-policy §Revocation
 * Checking with CRL, step 3): listed = revoked unless invalid only after the authentic signing time; a
 * stale CRL still proves revocation (except certificateHold) but never proves "good".
 */
export function crlVerdict(base: ParsedCrl, delta: ParsedCrl | undefined, serial: string, now: Date, signingTime?: Date): CrlVerdict {
  const stale = [base, delta].find((c) => c !== undefined && (c.nextUpdate === undefined || c.nextUpdate.getTime() < now.getTime()));
  const deltaEntry = delta?.entries.get(serial);
  let entry = deltaEntry ?? base.entries.get(serial);
  if (entry?.reasonCode === REMOVE_FROM_CRL) entry = undefined;
  const staleNote = stale ? `the CRL expired (nextUpdate ${stale.nextUpdate?.toISOString() ?? 'missing'})` : '';
  if (!entry) return stale ? { status: 'unknown', detail: staleNote } : { status: 'good', detail: 'not listed in the CRL' };
  const reason = entry.reasonCode === undefined ? undefined : (REASONS[entry.reasonCode] ?? `reason ${entry.reasonCode}`);
  if (signingTime && entry.invalidityDate && signingTime.getTime() < entry.invalidityDate.getTime()) {
    return {
      status: stale ? 'unknown' : 'good',
      detail: `listed as revoked, but its invalidity date ${entry.invalidityDate.toISOString()} is after the authentic signing time ${signingTime.toISOString()}${stale ? `; ${staleNote}` : ''}`,
    };
  }
  if (entry.reasonCode === HOLD && stale) return { status: 'unknown', detail: `on hold in a stale CRL; ${staleNote}` };
  return { status: 'revoked', revokedAt: entry.revokedAt, reason, detail: `revoked on ${entry.revokedAt.toISOString()}${reason ? ` (${reason})` : ''}` };
}
