/**
 * The Notary v1 resolver: image reference + trust rule → the digest the verified trust data signs.
 * Docker content trust semantics: signer roles in order of preference (default
 * `targets/releases`, then `targets`); a reference without tag and digest means `latest`.
 * Fails closed: every error is returned as a PinError carrying the image (and role).
 */
import { resolve as resolvePath } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { PinError, err, ok, toPinError } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/types.js';
import type { Resolution, Resolver } from '../../engine/port.js';
import type { TrustVerifier } from './tuf/verifier-contract.js';
import { createVerifier as createTufVerifier } from './tuf/verifier.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../http/client.js';
import { resolveCredentials } from '../../http/credentials.js';
import { rootCAsOf } from './anchor.js';
import { createTtlCache, type TtlCache, type TtlCacheOptions } from '../../util/ttl-cache.js';
import { loadTrust, type CreateVerifier, type FetchTrustOptions } from './load-trust.js';
import { createFetchLimiter } from './fetch-limit.js';
import { gunOf, hostOf, trustServerFor } from './servers.js';
import { createDirSource, createHttpSource, type MetadataSource } from './source.js';
import type { RegistryClient } from '../../registry/types.js';
import { platformResolution } from './platforms.js';
import { openTrustState, type TrustState } from './trust-state.js';

/** Metadata fetches in flight per trust server across all callers (`maxFetchesPerServer`). */
export const DEFAULT_FETCHES_PER_SERVER = 32;

/** The caller gave up (its signal aborted, e.g. a webhook review's deadline) before the trust data was verified. */
function cancelled(gun: string, server: string, e: unknown): PinError {
  return new PinError({
    code: 'TRUST_FETCH',
    message: `the trust lookup of ${gun} at ${server} was cancelled: its caller's deadline passed before the trust data was verified`,
    hint: 'the trust server answered too slowly for the deadline: check that it is up, or give the caller more time',
    cause: e,
  });
}

/** A transport/TLS failure at a server the rule did not name: says it was defaulted, and how to set it. */
function defaultedServer(e: PinError, server: string, env: NodeJS.ProcessEnv): PinError {
  if (e.code !== 'TRUST_FETCH') return e;
  const why = env.DOCKER_CONTENT_TRUST_SERVER ? 'from $DOCKER_CONTENT_TRUST_SERVER' : 'from the registry host, as Docker content trust does';
  return new PinError({
    code: e.code,
    role: e.role,
    message: `${e.message} (trust.server is not set: it defaulted to ${server}, ${why})`,
    hint:
      "set trust.server in the rule to your notary server's URL (e.g. https://notary.example.com:4443), and trust.ca to " +
      `its CA bundle if its certificate is not from a public CA${e.hint ? `; ${e.hint}` : ''}`,
    cause: e,
  });
}

/** The failures that mean the trust server could not be reached (stale-if-error may answer them). */
export function isTransportError(e: unknown): boolean {
  return e instanceof PinError && e.code === 'TRUST_FETCH';
}

/** Docker content trust's signer preference. */
export const DEFAULT_SIGNERS: readonly string[] = Object.freeze(['targets/releases', 'targets']);

export interface NotaryResolverOptions {
  /** The TUF verifier factory; default `createVerifier` from tuf/verifier.ts. */
  readonly createVerifier?: CreateVerifier;
  /**
   * The on-disk trust state (TOFU roots, versions for rollback protection, metadata cache), opened
   * by the command, which flushes it at its end; close() waits only for its TOFU/version writes.
   */
  readonly trustState?: TrustState;
  /**
   * spec.cacheDir, when no `trustState` is given: the resolver opens the trust state itself (every
   * answer waits for its TOFU/version write) and close() flushes all of it.
   */
  readonly cacheDir?: string;
  /** Metadata fetches in flight per trust server, across all callers; default 32. */
  readonly maxFetchesPerServer?: number;
  /** A cache shared with other resolvers, or options for a new one. */
  readonly cache?: TtlCache<TrustVerifier> | TtlCacheOptions;
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory for `~/.docker/config.json`; default os.homedir(). */
  readonly homeDir?: string;
  /** Clock for expiry checks and the cache; default `new Date()`. */
  readonly now?: () => Date;
  readonly debug?: (message: string) => void;
  /** Transport tuning passed to every HTTP client. */
  readonly http?: Pick<HttpClientOptions, 'retries' | 'retryDelayMs' | 'connections' | 'pipelining' | 'userAgent'>;
  /** Replace the metadata source (tests, custom transports); default HTTP, or the trustDir. */
  readonly sourceFor?: (server: string, rule: TrustRule) => MetadataSource;
  /** Observes every metadata fetch. */
  readonly onFetch?: (gun: string, role: string, byChecksum: boolean) => void;
  /** The OCI registry client for rules with `platforms`/`pinPlatform`, built on first use and closed with the resolver. */
  readonly registry?: () => RegistryClient;
}

export interface NotaryResolver extends Resolver {
  readonly cache: TtlCache<TrustVerifier>;
  /** Trust cache counters, for the webhook's metrics. */
  stats(): { cacheHits: number; cacheMisses: number; fetchErrors: number; cacheEntries: number };
  /** Waits for the trust state's writes still running (the metadata cache's too). */
  flush(): Promise<void>;
  /**
   * Closes the HTTP clients and waits for the TOFU/version writes (rejecting with the first that
   * failed); the metadata cache writes too when the resolver opened the trust state itself.
   */
  close(): Promise<void>;
}

const MAX_HTTP_CLIENTS = 64;

/**
 * Per trust server: 4 keep-alive connections × 64 pipelined requests = at most 256 requests in
 * flight, so round 1 of spec.concurrency (64) GUNs — 4 files each — goes out in one round trip
 * (notary-server speaks HTTP/1.1 only: no ALPN h2), and the bound per server stays fixed however
 * many GUNs a bundle has (more wait in undici's queue). Fewer connections than 16 × 16 means fewer
 * TLS handshakes (measured: 20 ms less for 50 GUNs at loopback, the same round trips at 20 ms RTT).
 */
const DEFAULT_TRANSPORT = { connections: 4, pipelining: 64 } as const;

function isCache(c: NotaryResolverOptions['cache']): c is TtlCache<TrustVerifier> {
  return c !== undefined && typeof (c as TtlCache<TrustVerifier>).get === 'function';
}

/** The fields of a rule that change what is fetched or trusted (the cache key's rule identity). */
/**
 * Small numbers for rule identities, so a trust cache key does not carry (or re-serialise on every
 * lookup) a rule's pins and CA: one number per distinct identity, memoised per rule object (zod's
 * parsed rules are never mutated; a reloaded config brings new objects). One registry per process,
 * so the numbers mean the same in every trust cache (a cache may be shared by resolvers).
 */
function createRuleIdentities(): { idOf(rule: TrustRule, signers: readonly string[]): number } {
  const ids = new Map<string, number>();
  const perRule = new WeakMap<TrustRule, Map<readonly string[], number>>();
  return {
    idOf(rule, signers) {
      let bySigners = perRule.get(rule);
      if (bySigners === undefined) perRule.set(rule, (bySigners = new Map()));
      let id = bySigners.get(signers);
      if (id === undefined) {
        const identity = ruleIdentity(rule, signers);
        id = ids.get(identity);
        if (id === undefined) ids.set(identity, (id = ids.size));
        bySigners.set(signers, id);
      }
      return id;
    },
  };
}

const identities = createRuleIdentities();

export function ruleIdentity(rule: TrustRule, signers: readonly string[]): string {
  return JSON.stringify([
    rule.server ?? null,
    rule.ca ?? null,
    rule.rootKeys ?? null,
    rule.rootCA ?? null,
    rule.tofu,
    rule.trustDir ?? null,
    rule.auth ?? null,
    rule.timeoutSeconds,
    rule.maxMetadataBytes,
    rule.maxDelegationDepth,
    signers,
  ]);
}

function unsigned(message: string, gun: string, signers: readonly string[]): PinError {
  return new PinError({
    code: 'UNSIGNED',
    message,
    hint:
      `sign it (\`notary add ${gun} <tag> <manifest> --roles targets/releases\` and publish, or \`docker trust sign\`), ` +
      'or add the role that signs it to trust.signers',
    role: signers.join(', '),
  });
}

/** Picks the answer for `ref` from loaded trust data (Docker content trust rules). */
export function selectResolution(v: TrustVerifier, ref: ImageReference, gun: string, signers: readonly string[]): Resolution {
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  const by = signers.join(', ');
  if (ref.digest !== undefined) {
    const digest = ref.digest.toLowerCase();
    if (tag !== undefined) {
      const t = v.lookupTag(tag, signers);
      if (!t) throw unsigned(`tag ${tag} of ${gun} is not signed by any of ${by}`, gun, signers);
      if (t.digest !== digest) {
        throw new PinError({
          code: 'DIGEST_MISMATCH',
          message: `${ref.original}: ${t.role} signs ${t.digest} for tag ${tag} of ${gun}, not ${digest}`,
          hint: 'pin the image again (mode: pin) or use the digest the trust data signs',
          role: t.role,
        });
      }
      return { digest, tag, role: t.role, gun };
    }
    const hits = v
      .lookupDigest(digest, signers)
      .slice()
      .sort((a, b) => signers.indexOf(a.role) - signers.indexOf(b.role));
    const first = hits[0];
    if (!first) throw unsigned(`digest ${digest} is not a signed target of ${gun} (signers: ${by})`, gun, signers);
    return { digest, tag: first.name, role: first.role, gun };
  }
  const t = v.lookupTag(tag!, signers);
  if (!t) throw unsigned(`tag ${tag} of ${gun} is not signed by any of ${by}`, gun, signers);
  return { digest: t.digest, tag: tag!, role: t.role, gun };
}

/** A Resolver over Notary v1 trust data (HTTP or a vendored trustDir), with a shared verified-trust cache. */
export function createNotaryResolver(opts: NotaryResolverOptions): NotaryResolver {
  const env = opts.env ?? process.env;
  const now = opts.now ?? (() => new Date());
  const debug = opts.debug ?? (() => {});
  const cache = isCache(opts.cache) ? opts.cache : createTtlCache<TrustVerifier>({ isTransportError, ...opts.cache, now: () => now().getTime() });
  const ownState = opts.trustState === undefined && opts.cacheDir ? openTrustState({ cacheDir: opts.cacheDir, debug }) : undefined;
  const state = opts.trustState ?? ownState;
  const limiter = createFetchLimiter(opts.maxFetchesPerServer ?? DEFAULT_FETCHES_PER_SERVER);
  const clients = new Map<string, HttpClient>();
  const rootCAs = new Map<string, X509Certificate[] | undefined>();
  let registry: RegistryClient | undefined;
  const registryClient = (): RegistryClient => {
    if (opts.registry === undefined) {
      throw new PinError({ code: 'INTERNAL', message: 'a trust rule names platforms but the Notary resolver has no registry client', hint: 'report this bug' });
    }
    return (registry ??= opts.registry());
  };
  // When each verifier's trust data was fetched (its load started): the age of a cached answer.
  const verifiedAt = new WeakMap<TrustVerifier, Date>();
  // Verifiers built from on-disk cached data because the server could not be reached: the transport error.
  // A memory cache entry of such a verifier ends with its window (verifiedAt + staleIfErrorSeconds).
  const staleLoaded = new WeakMap<TrustVerifier, { message: string; until: Date }>();
  const staleIfErrorMs = isCache(opts.cache) ? 0 : (opts.cache?.staleIfErrorMs ?? 0);

  function httpClientFor(ref: ImageReference, rule: TrustRule, server: string): HttpClient {
    const key = JSON.stringify([rule.ca ?? null, rule.timeoutSeconds, rule.auth ?? null, hostOf(server), ref.domain]);
    const existing = clients.get(key);
    if (existing) return existing;
    const credentials = resolveCredentials({
      ...(rule.auth && { auth: rule.auth }),
      hosts: [hostOf(server), ref.domain],
      env,
      ...(opts.homeDir !== undefined && { homeDir: opts.homeDir }),
      debug,
    });
    const client = createHttpClient({
      ...DEFAULT_TRANSPORT,
      ...opts.http,
      timeoutMs: rule.timeoutSeconds * 1000,
      ...(rule.ca !== undefined && { ca: rule.ca }),
      ...(credentials && { credentials }),
      debug,
    });
    clients.set(key, client);
    if (clients.size > MAX_HTTP_CLIENTS) {
      const [oldKey, old] = clients.entries().next().value as [string, HttpClient];
      clients.delete(oldKey);
      void old.close().catch(() => {});
    }
    return client;
  }

  /** The metadata source for `server`, each fetch bounded by the server's limiter. */
  function sourceFor(ref: ImageReference, rule: TrustRule, server: string): MetadataSource {
    const inner = opts.sourceFor
      ? opts.sourceFor(server, rule)
      : rule.trustDir
        ? createDirSource({ dir: rule.trustDir, maxMetadataBytes: rule.maxMetadataBytes })
        : createHttpSource({ server, http: httpClientFor(ref, rule, server), maxMetadataBytes: rule.maxMetadataBytes });
    return {
      description: inner.description,
      fetch: (gun, role, expected, fo) => limiter.run(server, () => inner.fetch(gun, role, expected, fo), fo?.signal),
    };
  }

  function rootCAsFor(rule: TrustRule): X509Certificate[] | undefined {
    if (rule.rootCA === undefined) return undefined;
    if (!rootCAs.has(rule.rootCA)) rootCAs.set(rule.rootCA, rootCAsOf(rule));
    return rootCAs.get(rule.rootCA);
  }

  return {
    cache,
    stats() {
      const c = cache.stats();
      return { cacheHits: c.hits, cacheMisses: c.misses, fetchErrors: c.errors, cacheEntries: cache.size };
    },
    sourceOf(ref, rule) {
      try {
        return rule.trustDir ? `file://${resolvePath(rule.trustDir)}` : trustServerFor(ref, rule, env);
      } catch {
        return rule.server ?? `the default trust server for ${ref.domain}`;
      }
    },
    async resolve(ref, rule, ro = {}) {
      let where: { gun: string; server: string } | undefined;
      try {
        const gun = gunOf(ref);
        const signers = rule.signers ?? DEFAULT_SIGNERS;
        const server = rule.trustDir ? `file://${resolvePath(rule.trustDir)}` : trustServerFor(ref, rule, env);
        where = { gun, server };
        const key = JSON.stringify([server, gun, identities.idOf(rule, signers)]);
        let stale: string | undefined;
        const verifier = await cache.get(
          key,
          (signal) => {
            const onFetch: FetchTrustOptions['onFetch'] = opts.onFetch && ((role, byChecksum) => opts.onFetch!(gun, role, byChecksum));
            const rootCAsParsed = rootCAsFor(rule);
            debug(`loading trust data for ${gun} from ${server}`);
            const started = now();
            let staleBecause: { message: string; until: Date } | undefined;
            return loadTrust({
              gun,
              rule,
              source: sourceFor(ref, rule, server),
              createVerifier: opts.createVerifier ?? createTufVerifier,
              signers,
              now: now(),
              state,
              // Vendored trustDir data is local already: only trust servers are cached on disk.
              server: rule.trustDir ? undefined : server,
              rootCAs: rootCAsParsed,
              debug,
              onFetch,
              signal,
              staleIfErrorMs,
              onStale: (e, until) => (staleBecause = { message: toPinError(e).message, until }),
            }).then((v) => (staleBecause === undefined ? verifiedAt.set(v, started) : staleLoaded.set(v, staleBecause), v));
          },
          (v) => {
            const windowEnds = staleLoaded.get(v)?.until;
            const exp = v.state().expires;
            return windowEnds !== undefined && (exp === undefined || windowEnds < exp) ? windowEnds : exp;
          },
          ro.signal,
          (e) => (stale = toPinError(e).message),
        );
        const at = verifiedAt.get(verifier);
        stale ??= staleLoaded.get(verifier)?.message;
        const stamp = (r: Resolution): Resolution => {
          let out = at === undefined ? r : { ...r, verifiedAt: at };
          if (stale !== undefined) {
            debug(`${server} unreachable: answering ${gun} from trust data verified earlier (staleIfErrorSeconds)`);
            out = { ...out, stale };
          }
          return out;
        };
        if (rule.platforms === undefined && rule.pinPlatform === undefined) return ok(stamp(selectResolution(verifier, ref, gun, signers)));
        const select = (r: ImageReference) => selectResolution(verifier, r, gun, signers);
        return ok(stamp(await platformResolution(registryClient(), ref, rule, select, ro.signal)));
      } catch (e) {
        let error = ro.signal?.aborted && where ? cancelled(where.gun, where.server, e) : toPinError(e);
        if (!ro.signal?.aborted && where && rule.server === undefined && !rule.trustDir) error = defaultedServer(error, where.server, env);
        return err(error.with({ image: ref.original }));
      }
    },
    async flush() {
      await state?.flush();
    },
    async close() {
      const all = [...clients.values()];
      clients.clear();
      const r = registry;
      registry = undefined;
      await Promise.all([...all.map((c) => c.close()), r?.close()]);
      // A TOFU/version write that failed fails the caller; the owner of the trust state flushes the rest.
      await (ownState ? ownState.flush() : state?.stored());
    },
  };
}
