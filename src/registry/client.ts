/**
 * The OCI registry client (distribution spec v1.1 pull API): tag → digest, manifests and blobs size-capped
 * and digest-verified, referrers (referrers.ts). One pool per registry; auth via src/http; every call bounded.
 */
import type { HttpClient, HttpClientOptions } from '../http/client.js';
import { createHttpClient } from '../http/client.js';
import { resolveCredentials } from '../http/credentials.js';
import { REGISTRY_PROFILE } from '../http/errors.js';
import { normaliseRegistryHost, registryBaseUrl, registryConfigFor, type RegistryConfig } from './config.js';
import { digestOf, matchesDigest, parseDigest } from './digest.js';
import { listReferrers } from './referrers.js';
import { MANIFEST_ACCEPT, contentType, isManifestMediaType, parseJsonBytes, validateManifest } from './schemas.js';
import {
  apiUrl, checkDeadline, checkDigest, checkReference, checkRepo, fail, header, httpError, inContext, type Target,
} from './target.js';
import { withDeadline } from '../util/deadline.js';
import type { Descriptor, FetchedManifest, ReferrersOptions, RegistryClient, RepositoryRef, RequestOptions } from './contract.js';

export interface RegistryClientOptions {
  /** `spec.registries`; other hosts get the defaults. */
  readonly registries?: readonly RegistryConfig[];
  readonly env?: NodeJS.ProcessEnv;
  /** For `~/.docker/config.json` (tests). */
  readonly homeDir?: string;
  readonly debug?: (message: string) => void;
  readonly now?: () => number;
  /** Deadline of one call (all its requests), ms; default 3 × the registry's timeout. */
  readonly callDeadlineMs?: number;
  readonly http?: Partial<Pick<HttpClientOptions, 'retries' | 'retryDelayMs' | 'connections' | 'pipelining' | 'userAgent'>>;
}

/** Per registry, as for trust servers: one round of a bundle's lookups goes out at once, the bound stays fixed. */
const DEFAULT_TRANSPORT = { connections: 4, pipelining: 64 } as const;

/** Docker Hub's token service is on another host than its registry API. */
const BUILTIN_TOKEN_REALMS: Record<string, readonly string[]> = { 'docker.io': ['auth.docker.io'] };

export function createRegistryClient(opts: RegistryClientOptions = {}): RegistryClient {
  return new OciRegistryClient(opts);
}

class OciRegistryClient implements RegistryClient {
  private readonly targets = new Map<string, Target>();
  private readonly debug: (m: string) => void;

  constructor(private readonly opts: RegistryClientOptions) {
    this.debug = opts.debug ?? (() => {});
  }

  private target(host: string): Target {
    const key = normaliseRegistryHost(host);
    const hit = this.targets.get(key);
    if (hit) return hit;
    const cfg = registryConfigFor(host, this.opts.registries);
    const creds = resolveCredentials({
      auth: cfg.auth,
      hosts: [cfg.host],
      env: this.opts.env,
      homeDir: this.opts.homeDir,
      debug: this.debug,
    });
    const builtin = BUILTIN_TOKEN_REALMS[key] ?? [];
    const credentials = creds && builtin.length > 0 ? { ...creds, tokenRealms: [...(creds.tokenRealms ?? []), ...builtin] } : creds;
    const http: HttpClient = createHttpClient({
      ...DEFAULT_TRANSPORT,
      ...this.opts.http,
      timeoutMs: cfg.timeoutSeconds * 1000,
      ca: cfg.ca,
      caField: `spec.registries[].ca (${cfg.host})`,
      credentials,
      errors: REGISTRY_PROFILE,
      debug: this.debug,
      now: this.opts.now,
    });
    const t: Target = { cfg, http, base: registryBaseUrl(cfg), debug: this.debug, now: this.opts.now ?? Date.now };
    this.targets.set(key, t);
    return t;
  }

  private deadlineMs(t: Target): number {
    return this.opts.callDeadlineMs ?? t.cfg.timeoutSeconds * 3000;
  }

  async resolve(repo: RepositoryRef, reference: string, opts: RequestOptions = {}): Promise<Descriptor> {
    checkRepo(repo);
    const kind = checkReference(repo, reference);
    const t = this.target(repo.host);
    const ms = this.deadlineMs(t);
    try {
      return await withDeadline(ms, opts.signal, async (signal) => {
        const fromHead = await this.head(t, repo, reference, kind, signal);
        if (fromHead) return fromHead;
        checkDeadline(signal, repo, reference, ms);
        return (await this.getManifest(t, repo, reference, kind === 'digest' ? reference : undefined, t.cfg.maxManifestBytes, signal)).descriptor;
      });
    } catch (e) {
      throw inContext(e, repo, reference);
    }
  }

  /** HEAD: the descriptor when digest, type and size are consistent; else undefined (then GET). */
  private async head(t: Target, repo: RepositoryRef, reference: string, kind: 'tag' | 'digest', signal: AbortSignal): Promise<Descriptor | undefined> {
    const url = apiUrl(t, repo, 'manifests', reference);
    const res = await t.http.request(url, { method: 'HEAD', maxBytes: 0, accept: MANIFEST_ACCEPT, scope: `repository:${repo.name}:pull`, signal });
    if (res.status < 200 || res.status >= 300) throw httpError('HEAD', url, res, repo, reference);
    const digest = header(res, 'docker-content-digest');
    if (digest === undefined) {
      t.debug(`${repo.host}/${repo.name}:${reference}: HEAD gave no Docker-Content-Digest; fetching the manifest to hash it`);
      return undefined;
    }
    if (!parseDigest(digest)) {
      throw fail('REGISTRY_MALFORMED', repo, reference, `Docker-Content-Digest "${digest.slice(0, 140)}" is not a sha256/sha512 digest`);
    }
    if (kind === 'digest' && digest !== reference) {
      throw fail('REGISTRY_DIGEST_MISMATCH', repo, reference, `the registry answers the digest ${reference} with Docker-Content-Digest ${digest}`,
        'the registry is misbehaving or hostile: do not use it');
    }
    const mediaType = contentType(res.headers['content-type']);
    const size = Number(header(res, 'content-length'));
    if (!isManifestMediaType(mediaType) || !Number.isSafeInteger(size) || size <= 0) return undefined;
    if (size > t.cfg.maxManifestBytes) {
      throw fail('REGISTRY_TOO_LARGE', repo, reference, `the manifest is ${size} bytes, over the cap of ${t.cfg.maxManifestBytes}`,
        `raise spec.registries[].maxManifestBytes for ${repo.host} if it is legitimately that large`);
    }
    return { mediaType, digest, size };
  }

  /** GET under `maxBytes`; verified against `expected` (or its own hash, compared with the header). */
  private async getManifest(
    t: Target, repo: RepositoryRef, reference: string, expected: string | undefined, maxBytes: number, signal: AbortSignal,
  ): Promise<FetchedManifest> {
    const url = apiUrl(t, repo, 'manifests', reference);
    const res = await t.http.request(url, { maxBytes, accept: MANIFEST_ACCEPT, scope: `repository:${repo.name}:pull`, signal });
    if (res.status < 200 || res.status >= 300) throw httpError('GET', url, res, repo, reference);
    const announced = header(res, 'docker-content-digest');
    const algorithm = parseDigest(expected ?? announced ?? '')?.algorithm ?? 'sha256';
    const actual = digestOf(res.body, algorithm);
    if (expected !== undefined && actual !== expected) {
      throw fail('REGISTRY_DIGEST_MISMATCH', repo, reference, `the manifest bytes hash to ${actual}, not ${expected}`,
        'the registry served other content than asked for: it is misbehaving or hostile');
    }
    if (announced !== undefined && announced !== actual && !(parseDigest(announced) && matchesDigest(res.body, announced))) {
      throw fail('REGISTRY_DIGEST_MISMATCH', repo, reference, `Docker-Content-Digest says ${announced.slice(0, 140)} but the bytes hash to ${actual}`,
        'the registry is misbehaving or hostile: do not use it');
    }
    const json = parseJsonBytes(res.body, `${repo.host}/${repo.name}@${actual}`);
    const v = validateManifest(json, contentType(res.headers['content-type']), `${repo.host}/${repo.name}@${actual}`);
    const descriptor: Descriptor = v.artifactType === undefined
      ? { mediaType: v.mediaType, digest: actual, size: res.body.length }
      : { mediaType: v.mediaType, digest: actual, size: res.body.length, artifactType: v.artifactType };
    return { descriptor, bytes: res.body };
  }

  async fetchManifest(repo: RepositoryRef, digest: string, opts: RequestOptions & { readonly maxBytes?: number } = {}): Promise<FetchedManifest> {
    checkRepo(repo);
    checkDigest(repo, digest);
    const t = this.target(repo.host);
    const cap = Math.min(opts.maxBytes ?? t.cfg.maxManifestBytes, t.cfg.maxManifestBytes);
    try {
      return await withDeadline(this.deadlineMs(t), opts.signal, (signal) => this.getManifest(t, repo, digest, digest, cap, signal));
    } catch (e) {
      throw inContext(e, repo, digest);
    }
  }

  async fetchBlob(repo: RepositoryRef, desc: Descriptor, opts: RequestOptions & { readonly maxBytes?: number } = {}): Promise<Uint8Array> {
    checkRepo(repo);
    checkDigest(repo, desc.digest);
    const t = this.target(repo.host);
    const cap = Math.min(opts.maxBytes ?? t.cfg.maxBlobBytes, t.cfg.maxBlobBytes);
    if (!Number.isSafeInteger(desc.size) || desc.size < 0 || desc.size > cap) {
      throw fail('REGISTRY_TOO_LARGE', repo, desc.digest, `the blob's descriptor says ${desc.size} bytes, over the cap of ${cap}`,
        `raise spec.registries[].maxBlobBytes for ${repo.host} if it is legitimately that large`);
    }
    try {
      const body = await withDeadline(this.deadlineMs(t), opts.signal, (signal) => this.getBlob(t, repo, desc, signal));
      if (body.length !== desc.size) {
        throw fail('REGISTRY_MALFORMED', repo, desc.digest, `the blob is ${body.length} bytes, its descriptor says ${desc.size}`);
      }
      if (!matchesDigest(body, desc.digest)) {
        throw fail('REGISTRY_DIGEST_MISMATCH', repo, desc.digest, `the blob bytes do not hash to ${desc.digest}`,
          'the registry served other content than asked for: it is misbehaving or hostile');
      }
      return body;
    } catch (e) {
      throw inContext(e, repo, desc.digest);
    }
  }

  /** GET a blob, ≤ 3 redirects: https or same origin only, no credentials to another origin. */
  private async getBlob(t: Target, repo: RepositoryRef, desc: Descriptor, signal: AbortSignal): Promise<Uint8Array> {
    let url = new URL(apiUrl(t, repo, 'blobs', desc.digest));
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const res = await t.http.request(url.href, {
        maxBytes: desc.size, accept: '*/*', scope: `repository:${repo.name}:pull`, signal, anonymous: url.origin !== origin,
      });
      if (res.status >= 200 && res.status < 300) return res.body;
      const location = header(res, 'location');
      if (![301, 302, 303, 307, 308].includes(res.status) || location === undefined || hop >= 3) {
        throw httpError('GET', url.href, res, repo, desc.digest);
      }
      const next = new URL(location, url);
      if (next.origin !== origin && next.protocol !== 'https:') {
        throw fail('REGISTRY_FETCH', repo, desc.digest, `the registry redirects the blob to ${next.protocol}//${next.host}, which is not https`);
      }
      t.debug(`${repo.host}/${repo.name}@${desc.digest}: redirected to ${next.host}`);
      url = next;
    }
  }

  async referrers(repo: RepositoryRef, subjectDigest: string, opts: ReferrersOptions = {}): Promise<Descriptor[]> {
    checkRepo(repo);
    checkDigest(repo, subjectDigest);
    const t = this.target(repo.host);
    const ms = this.deadlineMs(t);
    try {
      return await withDeadline(ms, opts.signal, (signal) => listReferrers(t, repo, subjectDigest, opts, signal, ms));
    } catch (e) {
      throw inContext(e, repo, `referrers of ${subjectDigest}`);
    }
  }

  async close(): Promise<void> {
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(all.map((t) => t.http.close()));
  }
}
