/**
 * Where revocation data comes from: the network (HTTP only, as the Notary Project spec allows;
 * OCSP by GET per RFC 6960 A.1 within 2 s, CRLs within 5 s, both size-capped), or an offline bundle
 * directory (air-gapped clusters) whose file names are derived from the URL.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PinError } from '../../../errors/errors.js';
import { createHttpClient, redactUrl, type HttpClient } from '../../../http/client.js';
import { ocspGetUrl, type OcspRequest } from './ocsp.js';

export const MAX_CRL_BYTES = 32 * 1024 * 1024;
export const MAX_OCSP_BYTES = 64 * 1024;

export interface RevocationFetcher {
  /** `network` or `bundle <dir>`, for messages. */
  readonly kind: string;
  /** True for an offline bundle: an OCSP response without nextUpdate is not accepted from it. */
  readonly offline?: boolean;
  crl(url: string, signal?: AbortSignal): Promise<Uint8Array>;
  ocsp(url: string, req: OcspRequest, signal?: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
}

function unknownError(message: string, hint: string, cause?: unknown): PinError {
  return new PinError({ code: 'NOTATION_REVOCATION_UNKNOWN', message, hint, cause });
}

/** Only plain HTTP URLs are fetched (trust-store-trust-policy §CRLs: "support only HTTP CRL URLs"). */
export function isHttpUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'http:';
  } catch {
    return false;
  }
}

export interface NetworkFetcherOptions {
  readonly crlTimeoutMs?: number;
  readonly ocspTimeoutMs?: number;
  readonly maxCrlBytes?: number;
  readonly maxOcspBytes?: number;
  readonly userAgent?: string;
}

/** Network fetcher: one keep-alive client for CRLs (5 s per URL) and one for OCSP (2 s per URL). */
export function createNetworkFetcher(opts: NetworkFetcherOptions = {}): RevocationFetcher & { readonly requestCount: number } {
  const crlClient: HttpClient = createHttpClient({ timeoutMs: opts.crlTimeoutMs ?? 5000, retries: 0, userAgent: opts.userAgent });
  const ocspClient: HttpClient = createHttpClient({ timeoutMs: opts.ocspTimeoutMs ?? 2000, retries: 0, userAgent: opts.userAgent });
  // `url` is what is fetched; `shown` names it in messages (an OCSP GET URL carries the whole request).
  const get = async (client: HttpClient, url: string, shown: string, maxBytes: number, accept: string, signal?: AbortSignal) => {
    if (!isHttpUrl(shown)) throw unknownError(`${redactUrl(shown)} is not an http:// URL`, 'only http:// CRL and OCSP URLs are supported (Notary Project specification)');
    try {
      return await client.get(url, { maxBytes, accept, signal });
    } catch (e) {
      const m = (e instanceof Error ? e.message : String(e)).split(url).join(shown);
      throw unknownError(`fetching ${redactUrl(shown)} failed: ${m}`, 'check that the URL is reachable from this machine, or use an offline revocation bundle', e);
    }
  };
  return {
    kind: 'network',
    get requestCount() {
      return crlClient.requestCount + ocspClient.requestCount;
    },
    crl: (url, signal) => get(crlClient, url, url, opts.maxCrlBytes ?? MAX_CRL_BYTES, 'application/pkix-crl', signal),
    ocsp: (url, req, signal) => get(ocspClient, ocspGetUrl(url, req.der), url, opts.maxOcspBytes ?? MAX_OCSP_BYTES, 'application/ocsp-response', signal),
    async close() {
      await Promise.all([crlClient.close(), ocspClient.close()]);
    },
  };
}

function shortHash(s: string, n: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

/** Bundle file of a CRL URL: a readable slug of the URL plus a hash that keeps names distinct. */
export function bundleCrlFile(url: string): string {
  const slug = url.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return join('crl', `${slug}-${shortHash(url, 12)}.crl`);
}

/** Bundle file of an OCSP response: per responder URL and certificate (CertID). */
export function bundleOcspFile(url: string, certIdKey: string): string {
  return join('ocsp', `${shortHash(`${url}\n${certIdKey}`, 32)}.der`);
}

export async function readCapped(path: string, max: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > max) throw new Error(`${st.size} bytes exceeds the ${max}-byte cap`);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Offline bundle fetcher: never touches the network; a missing file names the URL and the file expected. */
export function createBundleFetcher(dir: string, opts: { maxCrlBytes?: number } = {}): RevocationFetcher {
  const read = async (url: string, rel: string, max: number, what: string) => {
    try {
      return await readCapped(join(dir, rel), max);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw unknownError(
        `offline revocation bundle ${dir}: ${missing ? `no ${what} for ${redactUrl(url)}` : `${what} for ${redactUrl(url)} is unreadable (${(e as Error).message})`} (expected file ${rel})`,
        `refresh the bundle with \`notary-pin revocation fetch\` (it writes ${rel}) and copy it to ${dir}`,
        e,
      );
    }
  };
  return {
    kind: `bundle ${dir}`,
    offline: true,
    crl: (url) => read(url, bundleCrlFile(url), opts.maxCrlBytes ?? MAX_CRL_BYTES, 'CRL'),
    ocsp: (url, req) => read(url, bundleOcspFile(url, req.key), MAX_OCSP_BYTES, 'OCSP response'),
    async close() {},
  };
}
