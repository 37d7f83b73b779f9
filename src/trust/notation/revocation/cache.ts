/**
 * Revocation data caches, so a warm admission makes no network call: CRLs in memory and on disk
 * (`<cacheDir>/crl/`, verified again against the issuer on load) until nextUpdate, refreshed shortly
 * before; OCSP responses in memory until nextUpdate. Single-flight per URL; entries are bounded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrlProblem, parseCrl, type ParsedCrl } from './crl.js';
import { MAX_CRL_BYTES, readCapped, type RevocationFetcher } from './source.js';
import type { OcspRequest } from './ocsp.js';

export interface CrlCacheOptions {
  readonly fetcher: RevocationFetcher;
  /** Directory for the on-disk copy (`<cacheDir>/crl/`); none = memory only. */
  readonly cacheDir?: string;
  /** CRLs kept in memory; default 64. */
  readonly maxEntries?: number;
  /** Refresh this long before nextUpdate; default 1 hour, at most a tenth of the CRL's validity window. */
  readonly refreshAheadMs?: number;
  readonly debug?: (message: string) => void;
}

/** A cached CRL; `verifiedFor` remembers the issuer keys its signature was verified with. */
export interface CachedCrl {
  readonly parsed: ParsedCrl;
  readonly verifiedFor: Set<string>;
}

/** Waits for a shared fetch but gives up when this caller's signal aborts; the fetch goes on for the others. */
export function withSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

function urlHash(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

function fresh(c: CachedCrl, now: Date): boolean {
  return c.parsed.nextUpdate !== undefined && c.parsed.nextUpdate.getTime() > now.getTime();
}

export class CrlCache {
  private readonly mem = new Map<string, CachedCrl>();
  private readonly flights = new Map<string, Promise<CachedCrl>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly max: number;

  constructor(private readonly opts: CrlCacheOptions) {
    this.max = Math.max(1, opts.maxEntries ?? 64);
  }

  /** The CRL at `url`: from memory, disk, or the fetcher. A stale copy is returned only when a fetch fails. */
  async get(url: string, now: Date, signal?: AbortSignal): Promise<CachedCrl> {
    let hit = this.mem.get(url) ?? (await this.loadDisk(url));
    if (hit && fresh(hit, now)) {
      if (this.dueForRefresh(hit, now)) this.refreshInBackground(url);
      return hit;
    }
    try {
      return await withSignal(this.fetch(url), signal);
    } catch (e) {
      hit = this.mem.get(url) ?? hit;
      if (hit) {
        this.opts.debug?.(`CRL ${url}: refresh failed, using the stale copy: ${(e as Error).message}`);
        return hit;
      }
      throw e;
    }
  }

  /** Waits for background refreshes (tests, shutdown). */
  async settle(): Promise<void> {
    for (let i = 0; i < 4 && this.background.size > 0; i++) await Promise.allSettled([...this.background]);
  }

  private dueForRefresh(c: CachedCrl, now: Date): boolean {
    const next = c.parsed.nextUpdate?.getTime() ?? 0;
    const window = Math.max(0, next - c.parsed.thisUpdate.getTime());
    const ahead = Math.min(this.opts.refreshAheadMs ?? 3_600_000, window / 10);
    return next - now.getTime() <= ahead;
  }

  private refreshInBackground(url: string): void {
    if (this.flights.has(url)) return;
    const p = this.fetch(url).catch((e: unknown) => this.opts.debug?.(`CRL ${url}: background refresh failed: ${(e as Error).message}`));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private fetch(url: string): Promise<CachedCrl> {
    const inflight = this.flights.get(url);
    if (inflight) return inflight;
    const p = (async () => {
      const der = await this.opts.fetcher.crl(url);
      const entry: CachedCrl = { parsed: parseCrl(der), verifiedFor: new Set() };
      this.remember(url, entry);
      await this.saveDisk(url, der);
      return entry;
    })();
    this.flights.set(url, p);
    void p.then(
      () => this.flights.delete(url),
      () => this.flights.delete(url),
    );
    return p;
  }

  private remember(url: string, entry: CachedCrl): void {
    this.mem.delete(url);
    this.mem.set(url, entry);
    while (this.mem.size > this.max) this.mem.delete(this.mem.keys().next().value as string);
  }

  private diskPath(url: string): string | undefined {
    return this.opts.cacheDir ? join(this.opts.cacheDir, 'crl', `${urlHash(url)}.crl`) : undefined;
  }

  private async loadDisk(url: string): Promise<CachedCrl | undefined> {
    const path = this.diskPath(url);
    if (!path) return undefined;
    try {
      const entry: CachedCrl = { parsed: parseCrl(await readCapped(path, MAX_CRL_BYTES)), verifiedFor: new Set() };
      this.remember(url, entry);
      return entry;
    } catch (e) {
      if (e instanceof CrlProblem) await rm(path, { force: true }).catch(() => undefined);
      return undefined;
    }
  }

  /** Keeps at most 4 × maxEntries CRL files on disk, dropping the least recently written. */
  private async pruneDisk(): Promise<void> {
    const dir = join(this.opts.cacheDir as string, 'crl');
    const names = (await readdir(dir)).filter((n) => n.endsWith('.crl'));
    if (names.length <= this.max * 4) return;
    const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => a.t - b.t);
    for (const { n } of aged.slice(0, names.length - this.max * 4)) await rm(join(dir, n), { force: true });
  }

  private async saveDisk(url: string, der: Uint8Array): Promise<void> {
    const path = this.diskPath(url);
    if (!path) return;
    try {
      await mkdir(join(this.opts.cacheDir as string, 'crl'), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, der, { mode: 0o600 });
      await rename(tmp, path);
      await this.pruneDisk();
    } catch (e) {
      this.opts.debug?.(`CRL ${url}: cannot write the disk cache: ${(e as Error).message}`);
    }
  }
}

/** OCSP responses by responder URL and CertID, kept until their nextUpdate (never without one). */
export class OcspCache {
  private readonly mem = new Map<string, { der: Uint8Array; until: number }>();
  private readonly flights = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly fetcher: RevocationFetcher,
    private readonly maxEntries = 1024,
  ) {}

  /** A cached response still before its nextUpdate, or a fresh one (single-flight per URL and certificate). */
  get(url: string, req: OcspRequest, now: Date, signal?: AbortSignal): Promise<Uint8Array> {
    const key = `${url}\n${req.key}`;
    const hit = this.mem.get(key);
    if (hit && hit.until > now.getTime()) return Promise.resolve(hit.der);
    const inflight = this.flights.get(key);
    if (inflight) return withSignal(inflight, signal);
    const p = this.fetcher.ocsp(url, req);
    this.flights.set(key, p);
    void p.then(
      () => this.flights.delete(key),
      () => this.flights.delete(key),
    );
    return withSignal(p, signal);
  }

  /** Keep `der` (already verified by the caller) until `nextUpdate`. */
  put(url: string, req: OcspRequest, der: Uint8Array, nextUpdate: Date | undefined): void {
    if (!nextUpdate) return;
    const key = `${url}\n${req.key}`;
    this.mem.delete(key);
    this.mem.set(key, { der, until: nextUpdate.getTime() });
    while (this.mem.size > this.maxEntries) this.mem.delete(this.mem.keys().next().value as string);
  }
}
