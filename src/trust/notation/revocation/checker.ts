/**
 * The `RevocationChecker` (contracts.ts): for every certificate of a chain except the root, OCSP
 * first, then CRLs (base and delta), as trust-store-trust-policy §Certificate Revocation Evaluation
 * orders it. Data comes through the caches (no network on a warm run) from the network or from an
 * offline bundle.
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
  /** Waits for background CRL refreshes. */
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

/** Most parsed certificates a checker keeps. */
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
  // Long: one closure holds the fetcher and caches that the small per-step helpers below share.
  const fetcher = opts.fetcher ?? (opts.bundleDir ? createBundleFetcher(opts.bundleDir) : createNetworkFetcher(opts));
  const crls = new CrlCache({ fetcher, cacheDir: opts.bundleDir ? undefined : opts.cacheDir, maxEntries: opts.maxCachedCrls, refreshAheadMs: opts.refreshAheadMs, debug: opts.debug });
  const ocsps = new OcspCache(fetcher);
  // Parsed responses by the cached bytes (same object while the OCSP cache holds it), and requests by certificate pair.
  const parsedOcsp = new WeakMap<Uint8Array, { key: string; parsed: ParsedOcsp }>();
  const requests = new Map<string, OcspRequest>();
  const maxUrls = Math.max(1, opts.maxUrls ?? 3);
  const skew = opts.skewMs ?? 5 * 60_000;
  // Parsed certificates by their exact bytes (a run's signatures mostly share one chain); bounded.
  const parsed = new Map<string, pkijs.Certificate>();
  const parsedCertificate = (der: Uint8Array, i: number): pkijs.Certificate => {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
    let c = parsed.get(key);
    if (c === undefined) {
      c = parseCertificate(new Uint8Array(der), `certificate #${i}`);
      if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
      parsed.set(key, c);
    }
    return c;
  };

  function requestFor(cert: pkijs.Certificate, issuer: pkijs.Certificate): OcspRequest {
    const k = `${certId(cert)}|${certId(issuer)}`;
    let r = requests.get(k);
    if (!r) {
      r = ocspRequest(cert, issuer);
      requests.set(k, r);
      if (requests.size > 1024) requests.delete(requests.keys().next().value as string);
    }
    return r;
  }

  /** A CRL verified against `issuer` (checked once per issuer certificate per cached copy). */
  async function verifiedCrl(url: string, issuer: pkijs.Certificate, ctx: Ctx): Promise<CachedCrl> {
    const c = await crls.get(url, ctx.now, ctx.signal);
    const k = certId(issuer);
    if (!c.verifiedFor.has(k)) {
      const p = crlIssuerProblem(c.parsed, issuer);
      if (p) throw new CrlProblem(p);
      c.verifiedFor.add(k);
    }
    return c;
  }

  /** trust-store-trust-policy §Revocation Checking with CRL and with Delta CRLs, for one URL. */
  async function viaCrlUrl(url: string, cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx): Promise<Outcome> {
    const base = await verifiedCrl(url, issuer, ctx);
    const scope = crlScopeProblem(base.parsed, isCA(cert));
    if (scope) throw new CrlProblem(scope);
    if (base.parsed.thisUpdate.getTime() > ctx.now.getTime() + skew) throw new CrlProblem(`the CRL thisUpdate ${base.parsed.thisUpdate.toISOString()} is in the future`);
    const dUrl = deltaUrl(extension(cert, OID.freshestCrl), base.parsed);
    let delta: CachedCrl | undefined;
    if (dUrl !== undefined) {
      if (!isHttpUrl(dUrl)) throw new CrlProblem(`delta CRL URL ${redactUrl(dUrl)} is not http://`);
      delta = await verifiedCrl(dUrl, issuer, ctx);
      const dp = deltaProblem(base.parsed, delta.parsed);
      if (dp) throw new CrlProblem(dp);
    }
    const v = crlVerdict(base.parsed, delta?.parsed, serialKey(cert.serialNumber), ctx.now, ctx.signingTime);
    const nexts = [base.parsed.nextUpdate, delta?.parsed.nextUpdate].filter((d): d is Date => d !== undefined);
    const validUntil = nexts.length > 0 ? new Date(Math.min(...nexts.map((d) => d.getTime()))) : undefined;
    const source = dUrl ? `${redactUrl(url)} + delta ${redactUrl(dUrl)}` : redactUrl(url);
    return { status: v.status, detail: `CRL: ${v.detail}`, source, revokedAt: v.revokedAt, reason: v.reason, validUntil };
  }

  async function viaCrl(cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx, notes: string[]): Promise<Outcome | undefined> {
    const urls = crlUrls(cert);
    for (const url of urls.slice(0, maxUrls)) {
      if (!isHttpUrl(url)) {
        notes.push(`CRL ${redactUrl(url)}: not an http:// URL, ignored`);
        continue;
      }
      try {
        const o = await viaCrlUrl(url, cert, issuer, ctx);
        if (o.status !== 'unknown') return o;
        notes.push(`CRL ${o.source}: ${o.detail}`);
      } catch (e) {
        notes.push(`CRL ${redactUrl(url)}: ${problemText(e)}`);
      }
    }
    return undefined;
  }

  /** trust-store-trust-policy §Revocation Checking with OCSP, for each AIA OCSP URL in turn. */
  async function viaOcsp(cert: pkijs.Certificate, issuer: pkijs.Certificate, ctx: Ctx, notes: string[]): Promise<Outcome | undefined> {
    const urls = ocspUrls(cert);
    if (urls.length === 0) return undefined;
    const req = requestFor(cert, issuer);
    for (const url of urls.slice(0, maxUrls)) {
      if (!isHttpUrl(url)) {
        notes.push(`OCSP ${redactUrl(url)}: not an http:// URL, ignored`);
        continue;
      }
      try {
        const der = await ocsps.get(url, req, ctx.now, ctx.signal);
        const memo = parsedOcsp.get(der);
        const parsed = memo?.key === req.key ? memo.parsed : parseOcsp(der, req, issuer);
        parsedOcsp.set(der, { key: req.key, parsed });
        const v = decideOcsp(parsed, ctx.now, ctx.signingTime, skew);
        if (fetcher.offline && !v.nextUpdate) {
          notes.push(`OCSP ${redactUrl(url)}: the bundled response has no nextUpdate, so its age cannot be bounded`);
          continue;
        }
        if (v.status === 'unknown') {
          notes.push(`OCSP ${redactUrl(url)}: ${v.detail}`);
          continue;
        }
        // Step 4: a delegated responder without id-pkix-ocsp-nocheck is itself checked with CRLs.
        if (v.delegate) {
          const d = await viaCrl(v.delegate, issuer, ctx, []);
          if (d?.status !== 'good' && crlUrls(v.delegate).length > 0) {
            notes.push(`OCSP ${redactUrl(url)}: the delegated responder ${nameString(v.delegate.subject)} is ${d?.status ?? 'of unknown revocation status'}`);
            continue;
          }
        }
        ocsps.put(url, req, der, v.nextUpdate);
        return { status: v.status, detail: v.detail, source: redactUrl(url), revokedAt: v.revokedAt, reason: v.reason, validUntil: v.nextUpdate };
      } catch (e) {
        notes.push(`OCSP ${redactUrl(url)}: ${e instanceof OcspProblem ? e.message : problemText(e)}`);
      }
    }
    return undefined;
  }

  async function checkOne(index: number, cert: pkijs.Certificate, issuer: pkijs.Certificate, purpose: string, ctx: Ctx): Promise<RevocationResultEx> {
    const subject = nameString(cert.subject);
    const who = `${purpose} certificate #${index} ${subject} (serial ${serialHex(cert)})`;
    if (ocspUrls(cert).length === 0 && crlUrls(cert).length === 0) {
      // trust-store-trust-policy §Certificate Revocation Evaluation: no OCSP/CRL information → not revoked.
      return { index, subject, status: 'good', message: `${who}: no OCSP or CRL location; not checked, as the specification allows` };
    }
    const notes: string[] = [];
    const o = (await viaOcsp(cert, issuer, ctx, notes)) ?? (await viaCrl(cert, issuer, ctx, notes));
    if (!o) {
      return { index, subject, status: 'unknown', message: `${who}: revocation status unavailable via ${fetcher.kind} at ${ctx.now.toISOString()}: ${notes.join('; ') || 'no usable OCSP or CRL URL'}` };
    }
    return {
      index,
      subject,
      status: o.status,
      source: o.source,
      revokedAt: o.revokedAt,
      reason: o.reason,
      validUntil: o.validUntil,
      message: `${who}: ${o.detail} (${o.source ?? ''}${fetcher.offline ? ` from ${fetcher.kind}` : ''})`,
    };
  }

  return {
    async check(chain, copts) {
      const max = opts.maxChain ?? 10;
      const ctx: Ctx = { now: copts.now, signingTime: copts.signingTime, signal: copts.signal };
      let certs: pkijs.Certificate[];
      try {
        if (chain.length > max) throw new Error(`the chain has ${chain.length} certificates (at most ${max})`);
        certs = chain.map((d, i) => parsedCertificate(d, i));
      } catch (e) {
        return chain.slice(0, Math.max(1, chain.length - 1)).map((_, index) => ({ index, subject: '', status: 'unknown' as const, message: problemText(e) }));
      }
      // Every certificate but the root, each against the next one in the chain (its issuer).
      const jobs = certs.slice(0, -1).map((c, i) => checkOne(i, c, certs[i + 1] as pkijs.Certificate, copts.purpose === 'timestamping' ? 'TSA' : 'signing', ctx));
      return Promise.all(jobs);
    },
    settle: () => crls.settle(),
    async close() {
      await crls.settle();
      await fetcher.close();
    },
  };
}

/**
 * The first failure among results as a PinError (revoked before unknown), or undefined when every
 * certificate is good. The caller applies the policy's revocation action (enforce/log/skip).
 */
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
