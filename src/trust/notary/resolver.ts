/**
 * The Notary v1 resolver: image reference + trust rule → the digest the verified trust data signs, with
 * Docker content trust semantics (signer roles in order, default `targets/releases` then `targets`; no
 * tag and no digest means `latest`). Every error is a PinError carrying the image.
 */
import { resolve as resolvePath } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { PinError, err, ok, toPinError, type Result } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/image-reference.js';
import type { Resolution, ResolveOptions, Resolver } from '../../engine/port.js';
import type { TrustVerifier } from './tuf/verifier-contract.js';
import { createVerifier as createTufVerifier } from './tuf/verifier.js';
import type { HttpClientOptions } from '../../http/client.js';
import { rootCAsOf } from './anchor.js';
import { createTtlCache, type TtlCache, type TtlCacheOptions } from '../../util/ttl-cache.js';
import { loadTrust, type CreateVerifier, type FetchTrustOptions } from './load-trust.js';
import { createFetchLimiter } from './fetch-limit.js';
import { gunOf, trustServerFor } from './servers.js';
import type { MetadataSource } from './source.js';
import { ruleIds } from './rule-identity.js';
import { SourcePool } from './source-pool.js';
import { isRegistryUnreachable, type Descriptor, type RegistryClient } from '../../registry/contract.js';
import { fetchIndex, type FetchedIndex } from '../../registry/platform.js';
import { platformResolution, type RegistryAnswers } from './platforms.js';
import { openTrustState, type TrustState } from './trust-state.js';

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
  readonly createVerifier?: CreateVerifier;
  /** The on-disk trust state, opened and flushed by the command; close() waits only for its TOFU/version writes. */
  readonly trustState?: TrustState;
  /** spec.cacheDir when no `trustState` is given: the resolver opens the state itself and close() flushes it. */
  readonly cacheDir?: string;
  /** Metadata fetches in flight per trust server, across all callers; default 32. */
  readonly maxFetchesPerServer?: number;
  readonly cache?: TtlCache<TrustVerifier> | TtlCacheOptions;
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory for `~/.docker/config.json`; default os.homedir(). */
  readonly homeDir?: string;
  readonly now?: () => Date;
  readonly debug?: (message: string) => void;
  readonly http?: Pick<HttpClientOptions, 'retries' | 'retryDelayMs' | 'connections' | 'pipelining' | 'userAgent'>;
  /** Replace the metadata source (tests, custom transports); default HTTP, or the trustDir. */
  readonly sourceFor?: (server: string, rule: TrustRule) => MetadataSource;
  readonly onFetch?: (gun: string, role: string, byChecksum: boolean) => void;
  /** The OCI registry client for `platforms`/`pinPlatform` rules, built on first use, closed with the resolver. */
  readonly registry?: () => RegistryClient;
}

export interface NotaryResolver extends Resolver {
  readonly cache: TtlCache<TrustVerifier>;
  /** Trust cache counters, for the webhook's metrics. */
  stats(): { cacheHits: number; cacheMisses: number; fetchErrors: number; cacheEntries: number };
  /** Waits for the trust state's writes still running (the metadata cache's too). */
  flush(): Promise<void>;
  /** Closes the HTTP clients and waits for the TOFU/version writes (rejects with the first failure). */
  close(): Promise<void>;
}

function isCache(c: NotaryResolverOptions['cache']): c is TtlCache<TrustVerifier> {
  return c !== undefined && typeof (c as TtlCache<TrustVerifier>).get === 'function';
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
  return new NotaryTrustResolver(opts);
}

/** Why a verifier's data answered although the server could not be reached, and until when it may. */
interface StaleBecause {
  readonly message: string;
  readonly until: Date;
}

interface Lookup {
  readonly gun: string;
  readonly server: string;
  readonly signers: readonly string[];
}

class NotaryTrustResolver implements NotaryResolver {
  readonly cache: TtlCache<TrustVerifier>;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => Date;
  private readonly debug: (message: string) => void;
  /** The trust state this resolver opened itself (it flushes all of it on close). */
  private readonly ownState: TrustState | undefined;
  private readonly state: TrustState | undefined;
  private readonly sources: SourcePool;
  private readonly rootCAs = new Map<string, X509Certificate[] | undefined>();
  private registry: RegistryClient | undefined;
  /** Platform rules: indexes and digests' descriptors by `repository@digest` (immutable content), reused like trust data. */
  private readonly indexes: TtlCache<FetchedIndex>;
  private readonly descriptors: TtlCache<Descriptor>;
  /** When each verifier's trust data was fetched (its load started): the age of a cached answer. */
  private readonly verifiedAt = new WeakMap<TrustVerifier, Date>();
  /** Verifiers built from cached data while the server was unreachable; their cache entry ends with the window. */
  private readonly staleLoaded = new WeakMap<TrustVerifier, StaleBecause>();
  private readonly staleIfErrorMs: number;

  constructor(private readonly opts: NotaryResolverOptions) {
    this.env = opts.env ?? process.env;
    const now = (this.now = opts.now ?? (() => new Date()));
    this.debug = opts.debug ?? (() => {});
    this.cache = isCache(opts.cache) ? opts.cache : createTtlCache<TrustVerifier>({ isTransportError, ...opts.cache, now: () => now().getTime() });
    this.ownState = opts.trustState === undefined && opts.cacheDir ? openTrustState({ cacheDir: opts.cacheDir, debug: this.debug }) : undefined;
    this.state = opts.trustState ?? this.ownState;
    const limiter = createFetchLimiter(opts.maxFetchesPerServer ?? DEFAULT_FETCHES_PER_SERVER);
    this.sources = new SourcePool({ env: this.env, homeDir: opts.homeDir, debug: this.debug, http: opts.http, sourceFor: opts.sourceFor, limiter });
    this.staleIfErrorMs = isCache(opts.cache) ? 0 : (opts.cache?.staleIfErrorMs ?? 0);
    const answers = { ...(isCache(opts.cache) ? {} : opts.cache), isTransportError: isRegistryUnreachable, now: () => now().getTime() };
    this.indexes = createTtlCache<FetchedIndex>(answers);
    this.descriptors = createTtlCache<Descriptor>(answers);
  }

  stats(): ReturnType<NotaryResolver['stats']> {
    const c = this.cache.stats();
    return { cacheHits: c.hits, cacheMisses: c.misses, fetchErrors: c.errors, cacheEntries: this.cache.size };
  }

  sourceOf(ref: ImageReference, rule: TrustRule): string {
    try {
      return rule.trustDir ? `file://${resolvePath(rule.trustDir)}` : trustServerFor(ref, rule, this.env);
    } catch {
      return rule.server ?? `the default trust server for ${ref.domain}`;
    }
  }

  async resolve(ref: ImageReference, rule: TrustRule, ro: ResolveOptions = {}): Promise<Result<Resolution>> {
    let where: Lookup | undefined;
    try {
      const server = rule.trustDir ? `file://${resolvePath(rule.trustDir)}` : trustServerFor(ref, rule, this.env);
      where = { gun: gunOf(ref), server, signers: rule.signers ?? DEFAULT_SIGNERS };
      const { gun, signers } = where;
      const { verifier, stale } = await this.verified(ref, rule, where, ro.signal);
      const at = this.verifiedAt.get(verifier);
      const select = (r: ImageReference) => selectResolution(verifier, r, gun, signers);
      let registryStale: string | undefined;
      const onStale = (e: unknown): void => void (registryStale ??= toPinError(e).message);
      const r = rule.platforms === undefined && rule.pinPlatform === undefined
        ? select(ref)
        : await platformResolution(ref, rule, select, ro.signal, this.registryAnswers(ref, ro.signal, onStale));
      if (registryStale !== undefined) this.debug(`${ref.domain} unreachable: answering ${ref.repository}'s index from earlier (staleIfErrorSeconds)`);
      if (stale !== undefined) this.debug(`${server} unreachable: answering ${gun} from trust data verified earlier (staleIfErrorSeconds)`);
      return ok(stamped(r, at, stale ?? registryStale));
    } catch (e) {
      let error = ro.signal?.aborted && where ? cancelled(where.gun, where.server, e) : toPinError(e);
      if (!ro.signal?.aborted && where && rule.server === undefined && !rule.trustDir) error = defaultedServer(error, where.server, this.env);
      return err(error.with({ image: ref.original }));
    }
  }

  async flush(): Promise<void> {
    await this.state?.flush();
  }

  async close(): Promise<void> {
    const r = this.registry;
    this.registry = undefined;
    await Promise.all([this.sources.close(), r?.close()]);
    // A TOFU/version write that failed fails the caller; the owner of the trust state flushes the rest.
    await (this.ownState ? this.ownState.flush() : this.state?.stored());
  }

  /** The verified trust data for `at`, from the cache or loaded; `stale` says why it answered without the server. */
  private async verified(ref: ImageReference, rule: TrustRule, at: Lookup, signal: AbortSignal | undefined): Promise<{ verifier: TrustVerifier; stale?: string }> {
    const key = JSON.stringify([at.server, at.gun, ruleIds.idOf(rule, at.signers)]);
    let stale: string | undefined;
    const verifier = await this.cache.get(
      key,
      (loadSignal) => this.load(ref, rule, at, loadSignal),
      (v) => {
        const windowEnds = this.staleLoaded.get(v)?.until;
        const exp = v.state().expires;
        return windowEnds !== undefined && (exp === undefined || windowEnds < exp) ? windowEnds : exp;
      },
      signal,
      (e) => (stale = toPinError(e).message),
    );
    return { verifier, stale: stale ?? this.staleLoaded.get(verifier)?.message };
  }

  /** Loads and verifies the trust data of `at` (a cache miss), remembering when, or why it is stale. */
  private async load(ref: ImageReference, rule: TrustRule, { gun, server, signers }: Lookup, signal: AbortSignal): Promise<TrustVerifier> {
    const onFetch: FetchTrustOptions['onFetch'] = this.opts.onFetch && ((role, byChecksum) => this.opts.onFetch!(gun, role, byChecksum));
    const rootCAsParsed = this.rootCAsFor(rule);
    this.debug(`loading trust data for ${gun} from ${server}`);
    const started = this.now();
    let staleBecause: StaleBecause | undefined;
    const v = await loadTrust({
      gun,
      rule,
      source: this.sources.sourceFor(ref, rule, server),
      createVerifier: this.opts.createVerifier ?? createTufVerifier,
      signers,
      now: this.now(),
      state: this.state,
      // Vendored trustDir data is local already: only trust servers are cached on disk.
      server: rule.trustDir ? undefined : server,
      rootCAs: rootCAsParsed,
      debug: this.debug,
      onFetch,
      signal,
      staleIfErrorMs: this.staleIfErrorMs,
      onStale: (e, until) => (staleBecause = { message: toPinError(e).message, until }),
    });
    if (staleBecause === undefined) this.verifiedAt.set(v, started);
    else this.staleLoaded.set(v, staleBecause);
    return v;
  }

  private rootCAsFor(rule: TrustRule): X509Certificate[] | undefined {
    if (rule.rootCA === undefined) return undefined;
    if (!this.rootCAs.has(rule.rootCA)) this.rootCAs.set(rule.rootCA, rootCAsOf(rule));
    return this.rootCAs.get(rule.rootCA);
  }

  private registryAnswers(ref: ImageReference, signal: AbortSignal | undefined, onStale: (e: unknown) => void): RegistryAnswers {
    const repo = { host: ref.domain, name: ref.path };
    const client = this.registryClient();
    const key = (digest: string) => `${ref.repository}@${digest}`;
    return {
      index: (d) => this.indexes.get(key(d), (s) => fetchIndex(client, repo, d, ref.repository, { signal: s }), () => undefined, signal, onStale),
      describe: (d) => this.descriptors.get(key(d), (s) => client.resolve(repo, d, { signal: s }), () => undefined, signal, onStale),
    };
  }

  private registryClient(): RegistryClient {
    if (this.opts.registry === undefined) {
      throw new PinError({ code: 'INTERNAL', message: 'a trust rule names platforms but the Notary resolver has no registry client', hint: 'report this bug' });
    }
    return (this.registry ??= this.opts.registry());
  }
}

/** `r` with when its trust data was verified, and why it answered without the server (if it did). */
function stamped(r: Resolution, at: Date | undefined, stale: string | undefined): Resolution {
  let out = at === undefined ? r : { ...r, verifiedAt: at };
  if (stale !== undefined) out = { ...out, stale };
  return out;
}
