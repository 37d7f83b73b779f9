/**
 * The Notation resolver: image reference + rule with `notation` → the digest the registry serves, which
 * must carry a Notary Project signature passing the rule's trust policy. Signatures are the digest's
 * referrers, tried one at a time; the first that passes wins. Fails closed.
 */
import { PinError, err, ok, toPinError } from '../../errors/errors.js';
import type { NotationRule, TrustRule } from '../../config/schema.js';
import type { ImageReference } from '../../reference/image-reference.js';
import type { Resolution, ResolveOptions, Resolver } from '../../engine/port.js';
import { signatureManifests, type SignatureManifest } from '../../registry/signatures.js';
import { isRegistryUnreachable, type Descriptor, type RegistryClient, type RepositoryRef } from '../../registry/contract.js';
import type {
  RevocationChecker,
  TimestampVerifier,
  TrustPolicyStatement,
  TrustStore,
  VerifiedSignature,
  VerifySignature,
} from './contracts.js';
import { noneVerified, unsigned, type SignatureFailure } from './messages.js';
import { createTtlCache, type TtlCache } from '../../util/ttl-cache.js';
import { fetchIndex, selectPlatform, type FetchedIndex } from '../../registry/platform.js';
import { pinPlatformOf, verifyIndexPlatforms, verifyPinnedPlatform, type PlatformContext, type PlatformVerdict } from '../platforms.js';

/** A rule's trust policy and store, loaded once per resolver. */
export interface NotationTrust {
  /** The policy statement for a repository (`host/name`); throws NOTATION_POLICY when none applies. */
  statementFor(repository: string): TrustPolicyStatement;
  readonly store: TrustStore;
}

export interface NotationResolverOptions {
  /** One client for the run (the webhook: per config); closed by the caller. */
  readonly registry: RegistryClient;
  readonly verifySignature: VerifySignature;
  readonly loadTrust: (notation: NotationRule) => Promise<NotationTrust>;
  /** Required: a policy with a `tsa:` store must never lose timestamp verification. */
  readonly timestamp: TimestampVerifier;
  /** Required: the verifier skips revocation without one; the policy's level decides enforce/log/skip. */
  readonly revocation: RevocationChecker;
  readonly cache: {
    readonly ttlMs: number;
    readonly maxEntries: number;
    /** Remember failures this long (a function run asks once per image); default 0. */
    readonly failureTtlMs?: number;
    /** How long past the TTL an answer may be used when the registry cannot be reached; default 0 (never). */
    readonly staleIfErrorMs?: number;
  };
  /** Most referrers read for one subject; beyond it the image fails (a bound on hostile indexes). */
  readonly maxReferrers?: number;
  /** Envelope size cap (notation-go: 32 MiB). */
  readonly maxEnvelopeBytes?: number;
  readonly now?: () => Date;
  readonly debug?: (message: string) => void;
}

export interface NotationResolver extends Resolver {
  stats(): { cacheHits: number; cacheMisses: number; fetchErrors: number };
}

const DEFAULT_MAX_REFERRERS = 1024;
const DEFAULT_MAX_ENVELOPE = 32 * 1024 * 1024;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;


function digestMismatch(asked: string, got: string, repository: string): PinError {
  return new PinError({
    code: 'REGISTRY_DIGEST_MISMATCH',
    message: `the registry answered ${got} when asked for ${repository}@${asked}`,
    hint: 'the registry (or a proxy in front of it) is broken or hostile: check what serves this repository',
  });
}

function notANotationRule(rule: TrustRule): PinError {
  return new PinError({
    code: 'INTERNAL',
    message: `trust rule ${rule.name ?? rule.images.join(', ')} has no notation settings but was given to the Notation resolver`,
    hint: 'report this bug',
  });
}

export function createNotationResolver(opts: NotationResolverOptions): NotationResolver {
  // Long: one closure over the resolver's caches and options; each step is a small inner function.
  const now = opts.now ?? (() => new Date());
  const debug = opts.debug ?? (() => {});
  const clockMs = () => now().getTime();
  const maxReferrers = opts.maxReferrers ?? DEFAULT_MAX_REFERRERS;
  const maxEnvelope = opts.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE;
  const cacheOpts = {
    maxEntries: opts.cache.maxEntries,
    ttlMs: opts.cache.ttlMs,
    failureTtlMs: opts.cache.failureTtlMs ?? 0,
    staleIfErrorMs: opts.cache.staleIfErrorMs ?? 0,
    isTransportError: isRegistryUnreachable,
    now: clockMs,
  };
  const verdicts: TtlCache<VerifiedSignature> = createTtlCache(cacheOpts);
  // Tags move: a tag's descriptor is reused for the TTL only (a digest's too, keyed `repo@digest`).
  const tags: TtlCache<Descriptor> = createTtlCache(cacheOpts);
  // A platform rule's index, by digest (immutable content), so a warm review asks the registry nothing.
  const indexes: TtlCache<FetchedIndex> = createTtlCache(cacheOpts);
  const trusts = new WeakMap<NotationRule, Promise<NotationTrust>>();
  const ruleIds = new Map<string, number>();
  const ruleIdOf = new WeakMap<NotationRule, number>();

  // Loaded once per resolver (a run; the webhook builds a resolver per config), failures included.
  const trustFor = (n: NotationRule): Promise<NotationTrust> => {
    let t = trusts.get(n);
    if (t === undefined) trusts.set(n, (t = opts.loadTrust(n)));
    return t;
  };

  // Rules with the same notation settings share verdicts.
  const idOf = (n: NotationRule): number => {
    let id = ruleIdOf.get(n);
    if (id === undefined) {
      const identity = JSON.stringify([n.trustPolicy ?? null, n.trustStore ?? null, n.maxSignatures]);
      id = ruleIds.get(identity);
      if (id === undefined) ruleIds.set(identity, (id = ruleIds.size));
      ruleIdOf.set(n, id);
    }
    return id;
  };

  /** The registry's descriptor of a digest (media type and size, which the signature payload must match). */
  async function descriptorOfDigest(
    repo: RepositoryRef, digest: string, repository: string, signal: AbortSignal | undefined, onStale?: (e: unknown) => void,
  ): Promise<Descriptor> {
    // A digest names immutable content: what the registry said of it is reused for the TTL, like verdicts.
    const d = await tags.get(`${repository}@${digest}`, (s) => opts.registry.resolve(repo, digest, { signal: s }), () => undefined, signal, onStale);
    if (d.digest !== digest) throw digestMismatch(digest, d.digest, repository);
    return d;
  }

  /** The descriptor the registry serves for a tag now (reused for the TTL only: tags move). */
  async function descriptorOfTag(
    repo: RepositoryRef,
    tag: string,
    repository: string,
    signal: AbortSignal | undefined,
    onStale?: (e: unknown) => void,
  ): Promise<Descriptor> {
    const d = await tags.get(`${repository}:${tag}`, (s) => opts.registry.resolve(repo, tag, { signal: s }), () => undefined, signal, onStale);
    if (!SHA256_DIGEST.test(d.digest)) {
      throw new PinError({
        code: 'REGISTRY_MALFORMED',
        message: `the registry names ${JSON.stringify(d.digest)} as the digest of ${repository}:${tag}, not a sha256 digest`,
        hint: 'pin by a sha256 digest, or push the image with a sha256 digest',
      });
    }
    return d;
  }

  /** Tries the subject's signatures in the order the registry lists them; the first that passes wins. */
  async function verifySubject(
    repo: RepositoryRef,
    repository: string,
    subject: Descriptor,
    n: NotationRule,
    statement: TrustPolicyStatement,
    store: TrustStore,
    signal: AbortSignal,
  ): Promise<VerifiedSignature> {
    const failures: SignatureFailure[] = [];
    const candidates = signatureManifests(opts.registry, repo, subject.digest, { maxSignatures: n.maxSignatures, maxEntries: maxReferrers, signal });
    for await (const c of candidates) {
      if (!c.ok) {
        failures.push({ source: c.descriptor.digest, error: c.error });
        continue;
      }
      try {
        const verified = await verifyOne(repo, subject, c.signature, statement, store, signal);
        if (verified.ok) return verified.value;
        failures.push({ source: c.descriptor.digest, error: verified.error });
      } catch (e) {
        if (signal.aborted) throw e;
        failures.push({ source: c.descriptor.digest, error: toPinError(e) });
      }
    }
    debug(`${repository}@${subject.digest}: ${failures.length} Notation signature(s), none passed`);
    if (failures.length === 0) throw unsigned(repository, subject.digest, `${repository}@${subject.digest}`);
    throw noneVerified(repository, subject.digest, statement, failures, failures.length >= n.maxSignatures);
  }

  async function verifyOne(repo: RepositoryRef, subject: Descriptor, sig: SignatureManifest, statement: TrustPolicyStatement, store: TrustStore, signal: AbortSignal) {
    const { envelope } = sig;
    if (envelope.size > maxEnvelope) {
      throw new PinError({
        code: 'REGISTRY_TOO_LARGE',
        message: `signature envelope ${envelope.digest} is ${envelope.size} bytes, over the ${maxEnvelope}-byte cap`,
        hint: 'a Notation envelope is a few KiB: this signature is not one notation made',
      });
    }
    const bytes = await opts.registry.fetchBlob(repo, envelope, { signal, maxBytes: maxEnvelope });
    return opts.verifySignature(
      { envelopeMediaType: envelope.mediaType, envelope: bytes, annotations: sig.annotations, source: sig.descriptor.digest },
      {
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        statement,
        store,
        now: now(),
        timestamp: opts.timestamp,
        revocation: opts.revocation,
        signal,
      },
    );
  }

  /** A rule with `platforms` or `pinPlatform`: trust/platforms.ts decides which manifests must pass. */
  async function platformResolution(a: {
    ref: ImageReference; rule: TrustRule; n: NotationRule; repo: RepositoryRef; statement: TrustPolicyStatement; store: TrustStore;
    tag: string | undefined; digest: string; signal: AbortSignal | undefined; onStale: (e: unknown) => void;
  }): Promise<Resolution> {
    const { ref, rule, n, repo, statement, tag, digest, signal, onStale } = a;
    const repository = ref.repository;
    const ctx: PlatformContext<VerifiedSignature> = {
      repository,
      signal,
      index: (d) => indexes.get(`${repository}@${d}`, (s) => fetchIndex(opts.registry, repo, d, repository, { signal: s }), () => undefined, signal, onStale),
      describe: (d) => descriptorOfDigest(repo, d, repository, signal, onStale),
      verify: (d) => verdicts.get(`${idOf(n)}\u0000${repository}\u0000${d.digest}`, (s) => verifySubject(repo, repository, d, n, statement, a.store, s), (v) => v.validUntil, signal, onStale),
    };
    const indexOfTag = tag === undefined ? undefined : async () => (await descriptorOfTag(repo, tag, repository, signal, onStale)).digest;
    const v: PlatformVerdict<VerifiedSignature> =
      rule.platforms !== undefined
        ? await verifyIndexPlatforms(ctx, digest, rule.platforms)
        : ref.digest === undefined
          ? await pinPlatformOf(ctx, digest, rule.pinPlatform!)
          : await verifyPinnedPlatform(ctx, digest, rule.pinPlatform!, indexOfTag);
    debug(`${repository}@${v.digest}: ${v.note}`);
    const signer = [...new Set(v.verified.map((x) => x.signer))].join('; ');
    return { digest: v.digest, tag, system: 'notation', signer, role: v.verified[0]!.signingScheme, gun: repository, platform: v.note };
  }

  /** Level skip with platforms: nothing verified, the index must still list them; pin mode pins `pinPlatform`'s. */
  async function unverifiedPlatform(repo: RepositoryRef, repository: string, rule: TrustRule, pin: boolean, digest: string, signal: AbortSignal | undefined): Promise<string> {
    const wanted = rule.platforms ?? (rule.pinPlatform !== undefined && pin ? [rule.pinPlatform] : []);
    if (wanted.length === 0) return digest;
    const index = await fetchIndex(opts.registry, repo, digest, repository, { signal });
    const children = wanted.map((p) => selectPlatform(index, p, repository));
    return rule.pinPlatform !== undefined ? children[0]!.digest : digest;
  }

  return {
    stats() {
      const v = verdicts.stats();
      return { cacheHits: v.hits, cacheMisses: v.misses, fetchErrors: v.errors };
    },
    async resolve(ref: ImageReference, rule: TrustRule, ro: ResolveOptions = {}) {
      try {
        const n = rule.notation;
        if (n === undefined) throw notANotationRule(rule);
        const repository = ref.repository;
        const repo: RepositoryRef = { host: ref.domain, name: ref.path };
        const trust = await trustFor(n);
        const statement = trust.statementFor(repository);
        // pin mode gives tags (resolved now); a digest is looked up only when its verdict is not cached.
        const tag = ref.digest === undefined ? (ref.tag ?? 'latest') : ref.tag;
        // The registry unreachable (staleIfErrorSeconds): the tag's and the verdict's earlier answers, marked stale.
        let stale: string | undefined;
        const onStale = (e: unknown): void => void (stale ??= toPinError(e).message);
        const known = ref.digest === undefined ? await descriptorOfTag(repo, tag!, repository, ro.signal, onStale) : undefined;
        const digest = known?.digest ?? ref.digest!.toLowerCase();
        const subject = (signal: AbortSignal | undefined) => (known !== undefined ? Promise.resolve(known) : descriptorOfDigest(repo, digest, repository, signal));
        if (statement.signatureVerification.level === 'skip') {
          await subject(ro.signal); // the digest must exist, even when nothing about it is verified
          const pinned = await unverifiedPlatform(repo, repository, rule, ref.digest === undefined, digest, ro.signal);
          debug(`${repository}@${pinned}: NOT verified (trust policy "${statement.name}" has level skip)`);
          return ok(skipped(pinned, tag, repository, statement));
        }
        if (rule.platforms !== undefined || rule.pinPlatform !== undefined) {
          const r = await platformResolution({ ref, rule, n, repo, statement, store: trust.store, tag, digest, signal: ro.signal, onStale });
          return ok(stale === undefined ? r : { ...r, stale });
        }
        const verified = await verdicts.get(
          `${idOf(n)}\u0000${repository}\u0000${digest}`,
          async (signal) => verifySubject(repo, repository, await subject(signal), n, statement, trust.store, signal),
          (v) => v.validUntil,
          ro.signal,
          onStale,
        );
        for (const l of verified.logged) debug(`${repository}@${digest}: logged by trust policy "${statement.name}": ${l.code}: ${l.message}`);
        const logged = verified.logged.map((l) => `${l.code}: ${l.message}`);
        let resolution: Resolution = { digest, tag, system: 'notation', signer: verified.signer, role: verified.signingScheme, gun: repository };
        if (logged.length > 0) resolution = { ...resolution, logged };
        if (stale !== undefined) {
          debug(`${ref.domain} unreachable: answering ${repository}@${digest} from a verdict verified earlier (staleIfErrorSeconds)`);
          resolution = { ...resolution, stale };
        }
        return ok(resolution);
      } catch (e) {
        return err(toPinError(e).with({ image: ref.original }));
      }
    },
  };
}

/** A digest pinned without verification (level `skip`): it says so wherever it is shown. */
function skipped(digest: string, tag: string | undefined, repository: string, statement: TrustPolicyStatement): Resolution {
  const why = `NOT VERIFIED: trust policy "${statement.name}" is level skip`;
  return { digest, tag, system: 'notation', signer: why, role: why, gun: repository, unverified: why };
}
