/**
 * The metadata sources of a Notary resolver: one HTTP client per (CA, timeout, auth, trust server,
 * registry host), kept for reuse up to a bound, and every fetch bounded by its server's limiter.
 */
import type { TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/image-reference.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../http/client.js';
import { resolveCredentials } from '../../http/credentials.js';
import type { FetchLimiter } from './fetch-limit.js';
import { hostOf } from './servers.js';
import { createDirSource, createHttpSource, type MetadataSource } from './source.js';

const MAX_HTTP_CLIENTS = 64;

// Per trust server 4 connections × 64 pipelined: round 1 of 64 GUNs in one round trip (notary-server: HTTP/1.1).
const DEFAULT_TRANSPORT = { connections: 4, pipelining: 64 } as const;

export interface SourcePoolOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly homeDir?: string;
  readonly debug: (message: string) => void;
  readonly http?: Pick<HttpClientOptions, 'retries' | 'retryDelayMs' | 'connections' | 'pipelining' | 'userAgent'>;
  /** Replaces the metadata source (tests, custom transports); default HTTP, or the trustDir. */
  readonly sourceFor?: (server: string, rule: TrustRule) => MetadataSource;
  readonly limiter: FetchLimiter;
}

export class SourcePool {
  private readonly clients = new Map<string, HttpClient>();

  constructor(private readonly o: SourcePoolOptions) {}

  /** The metadata source for `server`, each fetch bounded by the server's limiter. */
  sourceFor(ref: ImageReference, rule: TrustRule, server: string): MetadataSource {
    const inner = this.o.sourceFor
      ? this.o.sourceFor(server, rule)
      : rule.trustDir
        ? createDirSource({ dir: rule.trustDir, maxMetadataBytes: rule.maxMetadataBytes })
        : createHttpSource({ server, http: this.httpClientFor(ref, rule, server), maxMetadataBytes: rule.maxMetadataBytes });
    const limiter = this.o.limiter;
    return {
      description: inner.description,
      fetch: (gun, role, expected, fo) => limiter.run(server, () => inner.fetch(gun, role, expected, fo), fo?.signal),
    };
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private httpClientFor(ref: ImageReference, rule: TrustRule, server: string): HttpClient {
    const key = JSON.stringify([rule.ca ?? null, rule.timeoutSeconds, rule.auth ?? null, hostOf(server), ref.domain]);
    const existing = this.clients.get(key);
    if (existing) return existing;
    const { env, homeDir, debug } = this.o;
    const credentials = resolveCredentials({ auth: rule.auth, hosts: [hostOf(server), ref.domain], env, homeDir, debug });
    const client = createHttpClient({ ...DEFAULT_TRANSPORT, ...this.o.http, timeoutMs: rule.timeoutSeconds * 1000, ca: rule.ca, credentials, debug });
    this.clients.set(key, client);
    if (this.clients.size > MAX_HTTP_CLIENTS) {
      const [oldKey, old] = this.clients.entries().next().value as [string, HttpClient];
      this.clients.delete(oldKey);
      void old.close().catch(() => {});
    }
    return client;
  }
}
