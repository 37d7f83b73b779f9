/**
 * The offline revocation bundle for air-gapped clusters: downloads current CRLs (base and delta) and,
 * when asked, OCSP responses for given chains, verifies each against its issuer and writes it under the
 * names `source.ts` expects, with an `index.json` of what was written and until when it holds.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as pkijs from 'pkijs';
import { redactUrl } from '../../../http/client.js';
import { OID, crlUrls, extension, ocspUrls, parseCertificate } from '../timestamp/pkix.js';
import { crlIssuerProblem, deltaUrl, parseCrl, type ParsedCrl } from './crl.js';
import { ocspRequest, ocspVerdict } from './ocsp.js';
import { bundleCrlFile, bundleOcspFile, createNetworkFetcher, isHttpUrl, type RevocationFetcher } from './source.js';

export interface BundleFile {
  readonly url: string;
  /** Path relative to the bundle directory. */
  readonly file: string;
  readonly kind: 'crl' | 'delta-crl' | 'ocsp';
  readonly nextUpdate?: string;
}

export interface BundleReport {
  readonly files: BundleFile[];
  /** URLs that could not be fetched or verified; a CRL failure means the bundle is incomplete. */
  readonly failures: { url: string; kind: BundleFile['kind']; message: string }[];
}

export interface FetchBundleOptions {
  /** Default: the network fetcher (HTTP only, 5 s per CRL, 2 s per OCSP URL). */
  readonly fetcher?: RevocationFetcher;
  /** Also store OCSP responses (default false: they usually live for hours only). */
  readonly ocsp?: boolean;
  readonly now?: Date;
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

interface Job {
  readonly cert: pkijs.Certificate;
  readonly issuer: pkijs.Certificate;
}

/** Every (certificate, issuer) pair of the chains, except the roots. */
function pairs(chains: readonly (readonly Uint8Array[])[]): Job[] {
  const out: Job[] = [];
  for (const [ci, chain] of chains.entries()) {
    const certs = chain.map((d, i) => parseCertificate(d, `chain ${ci + 1} certificate #${i}`));
    for (let i = 0; i + 1 < certs.length; i++) out.push({ cert: certs[i] as pkijs.Certificate, issuer: certs[i + 1] as pkijs.Certificate });
  }
  return out;
}

export async function fetchRevocationBundle(chains: readonly (readonly Uint8Array[])[], dir: string, opts: FetchBundleOptions = {}): Promise<BundleReport> {
  const fetcher = opts.fetcher ?? createNetworkFetcher();
  const now = opts.now ?? new Date();
  const report: BundleReport = { files: [], failures: [] };
  const done = new Set<string>();
  // One CRL URL: fetch, verify against the issuer, write; returns the parsed CRL for its delta.
  const crl = async (url: string, issuer: pkijs.Certificate, kind: 'crl' | 'delta-crl'): Promise<ParsedCrl | undefined> => {
    if (done.has(url)) return undefined;
    done.add(url);
    try {
      if (!isHttpUrl(url)) throw new Error('not an http:// URL');
      const der = await fetcher.crl(url);
      const parsed = parseCrl(der);
      const problem = crlIssuerProblem(parsed, issuer);
      if (problem) throw new Error(problem);
      if (!parsed.nextUpdate || parsed.nextUpdate.getTime() <= now.getTime()) throw new Error(`the CRL is expired (nextUpdate ${parsed.nextUpdate?.toISOString() ?? 'missing'})`);
      const file = bundleCrlFile(url);
      await writeAtomic(join(dir, file), der);
      report.files.push({ url: redactUrl(url), file, kind, nextUpdate: parsed.nextUpdate.toISOString() });
      return parsed;
    } catch (e) {
      report.failures.push({ url: redactUrl(url), kind, message: (e as Error).message });
      return undefined;
    }
  };
  try {
    for (const { cert, issuer } of pairs(chains)) {
      for (const url of crlUrls(cert)) {
        const base = await crl(url, issuer, 'crl');
        if (!base) continue;
        try {
          const d = deltaUrl(extension(cert, OID.freshestCrl), base);
          if (d !== undefined) await crl(d, issuer, 'delta-crl');
        } catch (e) {
          report.failures.push({ url: redactUrl(url), kind: 'delta-crl', message: (e as Error).message });
        }
      }
      if (opts.ocsp) await ocspInto(dir, cert, issuer, fetcher, now, report);
    }
    const index = { fetchedAt: now.toISOString(), files: report.files };
    await writeAtomic(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    return report;
  } finally {
    if (!opts.fetcher) await fetcher.close();
  }
}

async function ocspInto(dir: string, cert: pkijs.Certificate, issuer: pkijs.Certificate, fetcher: RevocationFetcher, now: Date, report: BundleReport): Promise<void> {
  const req = ocspRequest(cert, issuer);
  for (const url of ocspUrls(cert).filter(isHttpUrl)) {
    try {
      const der = await fetcher.ocsp(url, req);
      const v = ocspVerdict(der, req, issuer, now, undefined, 0);
      if (!v.nextUpdate) throw new Error('the OCSP response has no nextUpdate, so it cannot be used offline');
      const file = bundleOcspFile(url, req.key);
      await writeAtomic(join(dir, file), der);
      report.files.push({ url: redactUrl(url), file, kind: 'ocsp', nextUpdate: v.nextUpdate.toISOString() });
      return;
    } catch (e) {
      report.failures.push({ url: redactUrl(url), kind: 'ocsp', message: (e as Error).message });
    }
  }
}
