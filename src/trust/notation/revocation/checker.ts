/**
 * The `RevocationChecker` (contracts.ts): for every certificate of a chain but the root, OCSP first,
 * then CRLs (base and delta), as trust-store-trust-policy §Certificate Revocation Evaluation orders it;
 * data comes through the caches from the network or an offline bundle.
 */
import { createHash } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { PinError } from '../../../errors/errors.js';
import { redactUrl } from '../../../http/client.js';
import type { RevocationChecker, RevocationResult } from '../contracts.js';
import { OID, certDer, crlUrls, extension, isCA, nameString, ocspUrls, parseCertificate, serialHex } from '../timestamp/pkix.js';
import { CrlCache, OcspCache, type CachedCrl } from './cache.js';
import { CrlProblem, crlIssuerProblem, crlScopeProblem, crlVerdict, deltaProblem, deltaUrl, serialKey } from './crl.js';
import { OcspProblem, decideOcsp, ocspRequest, parseOcsp, type OcspRequest, type ParsedOcsp } from './ocsp.js';
import { createBundleFetcher, createNetworkFetcher, isHttpUrl, type NetworkFetcherOptions, type RevocationFetcher } from './source.js';

/** The contract's result (which carries `validUntil`, the deciding CRL's or OCSP response's nextUpdate). */
export type RevocationResultEx = RevocationResult;

export interface RevocationCheckerOptions extends NetworkFetcherOptions {
  /** Offline bundle directory: used instead of the network. */
  readonly bundleDir?: string;
  /** A fetcher of your own (tests); overrides `bundleDir` and the network. */
  readonly fetcher?: RevocationFetcher;
  /** Disk cache directory for CRLs (`<cacheDir>/crl/`). */
  readonly cacheDir?: string;
  /** OCSP and CRL URLs tried per certificate, each; default 3. */
  readonly maxUrls?: number;
  /** Longest chain checked; default 10. */
  readonly maxChain?: number;
  /** Clock skew tolerated on OCSP times, ms; default 5 minutes. */
  readonly skewMs?: number;
  readonly maxCachedCrls?: number;
  readonly refreshAheadMs?: number;
  readonly debug?: (message: string) => void;
}

export interface RevocationCheckerHandle extends RevocationChecker {
  check(chain: readonly Uint8Array[], opts: Parameters<RevocationChecker['check']>[1]): Promise<RevocationResultEx[]>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

interface Outcome {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly detail: string;
  readonly source?: string;
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly validUntil?: Date;
}

interface Ctx {
  readonly now: Date;
  readonly signingTime?: Date;
  readonly signal?: AbortSignal;
}

const MAX_PARSED = 256;

/** Identity of a whole certificate (SHA-256 of its DER), memoised per parsed object. */
const certIds = new WeakMap<pkijs.Certificate, string>();
function certId(c: pkijs.Certificate): string {
  let id = certIds.get(c);
  if (!id) {
    id = createHash('sha256').update(certDer(c)).digest('base64');
    certIds.set(c, id);
  }
  return id;
}

function problemText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates the checker; `close()` releases its HTTP pools. */
export function createRevocationChecker(opts: RevocationCheckerOptions = {}): RevocationCheckerHandle {
  return new Checker(opts);
}

class Checker implements RevocationCheckerHandle {
  private readonly fetcher: RevocationFetcher;
  private readonly crls: CrlCache;
  private readonly ocsps: OcspCache;
  /** Parsed responses by the cached bytes (same object while the OCSP cache holds it). */
  private readonly parsedOcsp = new WeakMap<Uint8Array, { key: string; parsed: ParsedOcsp }>();
  private readonly requests = new Map<string, OcspRequest>();
  /** Parsed certificates by their exact bytes (a run's signatures mostly share one chain); bounded. */
  private readonly parsed = new Map<string, pkijs.Certificate>();
  private readonly maxUrls: number;
  private readonly maxChain: number;
  private readonly skew: number;

  constructor(opts: RevocationCheckerOptions) {
    this.fetcher = opts.fetcher ?? (opts.bundleDir ? createBundleFetcher(opts.bundleDir) : createNetworkFetcher(opts));
    this.crls = new CrlCache({ fetcher: this.fetcher, cacheDir: opts.bundleDir ? undefined : opts.cacheDir, maxEntries: opts.maxCachedCrls, refreshAheadMs: opts.refreshAheadMs, debug: opts.debug });
    this.ocsps = new OcspCache(this.fetcher);
    this.maxUrls = Math.max(1, opts.maxUrls ?? 3);
    this.maxChain = opts.maxChain ?? 10;
    this.skew = opts.skewMs ?? 5 * 60_000;
  }

  async check(chain: readonly Uint8Array[], copts: Parameters<RevocationChecker['check']>[1]): Promise<RevocationResultEx[]> {
    const ctx: Ctx = { now: copts.now, signingTime: copts.signingTime, signal: copts.signal };
    let certs: pkijs.Certificate[];
    try {
      if (chain.length > this.maxChain) throw new Error(`the chain has ${chain.length} certificates (at most ${this.maxChain})`);
      certs = chain.map((d, i) => this.parsedCertificate(d, i));
    } catch (e) {
      return chain.slice(0, Math.max(1, chain.length - 1)).map((_, index) => ({ index, subject: '', status: 'unknown' as const, message: problemText(e) }));
    }
    // Every certificate but the root, each against the next one in the chain (its issuer).
    const purpose = copts.purpose === 'timestamping' ? 'TSA' : 'signing';
    return Promise.all(certs.slice(0, -1).map((c, i) => this.checkOne(i, c, certs[i + 1] as pkijs.Certificate, purpose, ctx)));
  }

  settle(): Promise<void> {
    return this.crls.settle();
  }

  async close(): Promise<void> {
    await this.crls.settle();
    await this.fetcher.close();
  }

  private async checkOne(index: number, cert: pkijs.Certificate, issuer: pkijs.Certificate, purpose: string, ctx: Ctx): Promise<RevocationResultEx> {
    const subject = nameString(cert.subject);
    const who = `${purpose} certificate #${index} ${subject} (serial ${serialHex(cert)})`;
    if (ocspUrls(cert).length === 0 && crlUrls(cert).length === 0) {
      // trust-store-trust-policy §Certificate Revocation Evaluation: no OCSP/CRL information → not revoked.
      return { index, subject, status: 'good', message: `${who}: no OCSP or CRL location; not checked, as the specification allows` };
    }
    const notes: string[] = [];
    const o = (await this.viaOcsp(cert, issuer, ctx, notes)) ?? (await this.viaCrl(cert, issuer, ctx, notes));
    if (!o) {
      return { index, subject, status: 'unknown', message: `${who}: revocation status unavailable via ${this.fetcher.kind} at ${ctx.now.toISOString()}: ${notes.join('; ') || 'no usable OCSP or CRL URL'}` };
    }
    return {
      index,
      subject,
      status: o.status,
      source: o.source,
      revokedAt: o.revokedAt,
      reason: o.reason,
      validUntil: o.validUntil,
      message: `${who}: ${o.detail} (${o.source ?? ''}${this.fetcher.offline ? ` from ${this.fetcher.kind}` : ''})`,
    };
  }

  /** trust-store-trust-policy §Revocation Checking with OCSP, for each AIA OCSP URL in turn. */
  private async viaOcsp(cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx, notes: string[]): Promise<Outcome | undefined> {
    const urls = ocspUrls(cert);
    if (urls.length === 0) return undefined;
    const req = this.requestFor(cert, issuer);
    for (const url of urls.slice(0, this.maxUrls)) {
      if (!isHttpUrl(url)) {
        notes.push(`OCSP ${redactUrl(url)}: not an http:// URL, ignored`);
        continue;
      }
      try {
        const o = await this.viaOcspUrl(url, req, issuer, ctx, notes);
        if (o) return o;
      } catch (e) {
        notes.push(`OCSP ${redactUrl(url)}: ${e instanceof OcspProblem ? e.message : problemText(e)}`);
      }
    }
    return undefined;
  }

  /** One OCSP URL: a decided outcome, or undefined (with a note) to try the next URL. */
  private async viaOcspUrl(url: string, req: OcspRequest, issuer: pkijs.Certificate, ctx: Ctx, notes: string[]): Promise<Outcome | undefined> {
    const der = await this.ocsps.get(url, req, ctx.now, ctx.signal);
    const memo = this.parsedOcsp.get(der);
    const parsed = memo?.key === req.key ? memo.parsed : parseOcsp(der, req, issuer);
    this.parsedOcsp.set(der, { key: req.key, parsed });
    const v = decideOcsp(parsed, ctx.now, ctx.signingTime, this.skew);
    if (this.fetcher.offline && !v.nextUpdate) {
      notes.push(`OCSP ${redactUrl(url)}: the bundled response has no nextUpdate, so its age cannot be bounded`);
      return undefined;
    }
    if (v.status === 'unknown') {
      notes.push(`OCSP ${redactUrl(url)}: ${v.detail}`);
      return undefined;
    }
    // Step 4: a delegated responder without id-pkix-ocsp-nocheck is itself checked with CRLs.
    if (v.delegate) {
      const d = await this.viaCrl(v.delegate, issuer, ctx, []);
      if (d?.status !== 'good' && crlUrls(v.delegate).length > 0) {
        notes.push(`OCSP ${redactUrl(url)}: the delegated responder ${nameString(v.delegate.subject)} is ${d?.status ?? 'of unknown revocation status'}`);
        return undefined;
      }
    }
    this.ocsps.put(url, req, der, v.nextUpdate);
    return { status: v.status, detail: v.detail, source: redactUrl(url), revokedAt: v.revokedAt, reason: v.reason, validUntil: v.nextUpdate };
  }

  private parsedCertificate(der: Uint8Array, i: number): pkijs.Certificate {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
    let c = this.parsed.get(key);
    if (c === undefined) {
      c = parseCertificate(new Uint8Array(der), `certificate #${i}`);
      if (this.parsed.size >= MAX_PARSED) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(key, c);
    }
    return c;
  }

  private requestFor(cert: pkijs.Certificate, issuer: pkijs.Certificate): OcspRequest {
    const k = `${certId(cert)}|${certId(issuer)}`;
    let r = this.requests.get(k);
    if (!r) {
      r = ocspRequest(cert, issuer);
      this.requests.set(k, r);
      if (this.requests.size > 1024) this.requests.delete(this.requests.keys().next().value as string);
    }
    return r;
  }

  private async viaCrl(cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx, notes: string[]): Promise<Outcome | undefined> {
    for (const url of crlUrls(cert).slice(0, this.maxUrls)) {
      if (!isHttpUrl(url)) {
        notes.push(`CRL ${redactUrl(url)}: not an http:// URL, ignored`);
        continue;
      }
      try {
        const o = await this.viaCrlUrl(url, cert, issuer, ctx);
        if (o.status !== 'unknown') return o;
        notes.push(`CRL ${o.source}: ${o.detail}`);
      } catch (e) {
        notes.push(`CRL ${redactUrl(url)}: ${problemText(e)}`);
      }
    }
    return undefined;
  }

  /** trust-store-trust-policy §Revocation Checking with CRL and with Delta CRLs, for one URL. */
  private async viaCrlUrl(url: string, cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx): Promise<Outcome> {
    const base = await this.verifiedCrl(url, issuer, ctx);
    const scope = crlScopeProblem(base.parsed, isCA(cert));
    if (scope) throw new CrlProblem(scope);
    if (base.parsed.thisUpdate.getTime() > ctx.now.getTime() + this.skew) throw new CrlProblem(`the CRL thisUpdate ${base.parsed.thisUpdate.toISOString()} is in the future`);
    const dUrl = deltaUrl(extension(cert, OID.freshestCrl), base.parsed);
    let delta: CachedCrl | undefined;
    if (dUrl !== undefined) {
      if (!isHttpUrl(dUrl)) throw new CrlProblem(`delta CRL URL ${redactUrl(dUrl)} is not http://`);
      delta = await this.verifiedCrl(dUrl, issuer, ctx);
      const dp = deltaProblem(base.parsed, delta.parsed);
      if (dp) throw new CrlProblem(dp);
    }
    const v = crlVerdict(base.parsed, delta?.parsed, serialKey(cert.serialNumber), ctx.now, ctx.signingTime);
    const nexts = [base.parsed.nextUpdate, delta?.parsed.nextUpdate].filter((d): d is Date => d !== undefined);
    const validUntil = nexts.length > 0 ? new Date(Math.min(...nexts.map((d) => d.getTime()))) : undefined;
    const source = dUrl ? `${redactUrl(url)} + delta ${redactUrl(dUrl)}` : redactUrl(url);
    return { status: v.status, detail: `CRL: ${v.detail}`, source, revokedAt: v.revokedAt, reason: v.reason, validUntil };
  }

  /** A CRL verified against `issuer` (checked once per issuer certificate per cached copy). */
  private async verifiedCrl(url: string, issuer: pkijs.Certificate, ctx: Ctx): Promise<CachedCrl> {
    const c = await this.crls.get(url, ctx.now, ctx.signal);
    const k = certId(issuer);
    if (!c.verifiedFor.has(k)) {
      const p = crlIssuerProblem(c.parsed, issuer);
      if (p) throw new CrlProblem(p);
      c.verifiedFor.add(k);
    }
    return c;
  }
}

/** The first failure as a PinError (revoked before unknown), else undefined; the caller applies the action. */
export function revocationFailure(results: readonly RevocationResult[], image?: string): PinError | undefined {
  const revoked = results.find((r) => r.status === 'revoked');
  if (revoked) {
    return new PinError({ code: 'NOTATION_REVOKED', image, message: revoked.message, hint: 'the certificate was revoked by its CA; re-sign the image with a valid certificate' });
  }
  const unknown = results.find((r) => r.status === 'unknown');
  if (unknown) {
    return new PinError({
      code: 'NOTATION_REVOCATION_UNKNOWN',
      image,
      message: unknown.message,
      hint: 'make the OCSP/CRL URL reachable, refresh the offline bundle (`notary-pin revocation fetch`), or set the policy\'s revocation override to `log` or `skip`',
    });
  }
  return undefined;
}
