/**
 * Fetches and verifies one GUN's TUF trust data (TUF 5.3–5.6, in notary's order) in few round trips:
 * top-level roles at once, rotated roots by version (TUF 5.3.2–5.3.8), delegations by level (TUF 5.6.7).
 * Warm runs fetch only timestamp.json and reuse cached files whose checksums match, else fall back.
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { PinError } from '../../errors/errors.js';
import type { TrustRule } from '../../config/schema.js';
import type { ExpectedFile, RootAnchor, TrustVerifier, VerifierOptions } from './tuf/verifier-contract.js';
import { anchorFor } from './anchor.js';
import type { CachedFiles } from './disk-cache.js';
import type { FetchRequest, MetadataSource } from './source.js';
import { updateRootChain } from './root-chain.js';
import type { TrustState } from './trust-state.js';

export type CreateVerifier = (opts: VerifierOptions) => TrustVerifier;

export interface FetchTrustOptions {
  readonly gun: string;
  readonly source: MetadataSource;
  readonly verifier: TrustVerifier;
  /** Roles whose delegations must be loaded (`rule.signers` or the default). */
  readonly signers: readonly string[];
  readonly maxDelegationDepth: number;
  /** Observes each fetch (role, by checksum or not); for tests and metrics. */
  readonly onFetch?: (role: string, byChecksum: boolean) => void;
  readonly signal?: AbortSignal;
  /** The trusted root.json; only its version is read, to know which intermediate roots to fetch. */
  readonly trustedRoot?: Uint8Array;
}

function matches(bytes: Uint8Array, exp: ExpectedFile | undefined): boolean {
  if (!exp) return true;
  if (exp.length !== undefined && bytes.length !== exp.length) return false;
  if (exp.sha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== exp.sha256) return false;
  return true;
}

function settledValue<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** TUF 5.6.7: loads the delegations `signers` need, one concurrent round per level, bounded by depth. */
async function loadDelegations(
  v: TrustVerifier,
  gun: string,
  signers: readonly string[],
  maxDelegationDepth: number,
  fetch: (role: string, expected: ExpectedFile) => Promise<Uint8Array>,
): Promise<void> {
  const loaded = new Set<string>();
  const maxRounds = maxDelegationDepth + 1;
  for (let round = 0; ; round++) {
    const needed = v.neededDelegations(signers);
    if (needed.length === 0) break;
    const again = needed.find((n) => loaded.has(n.role));
    if (again || round >= maxRounds) {
      throw new PinError({
        code: 'TRUST_DELEGATION',
        message: again
          ? `delegation ${again.role} of ${gun} is still needed after it was loaded`
          : `delegations of ${gun} go deeper than ${maxDelegationDepth} levels`,
        hint: 'check the delegations in the trust data, or raise trust.maxDelegationDepth',
        role: (again ?? needed[0])!.role,
      });
    }
    const files = await Promise.all(needed.map((n) => fetch(n.role, n)));
    needed.forEach((n, i) => {
      v.updateDelegation(n.role, files[i]!);
      loaded.add(n.role);
    });
  }
}

export async function fetchTrust(o: FetchTrustOptions): Promise<TrustVerifier> {
  const { gun, source, verifier: v } = o;
  const get = (role: string, expected?: FetchRequest) => {
    o.onFetch?.(role, expected?.sha256 !== undefined);
    return source.fetch(gun, role, expected, { signal: o.signal });
  };
  /** The by-name bytes when they are what the parent states, else one fetch by checksum. */
  const reconcile = async (role: string, first: PromiseSettledResult<Uint8Array>, exp: ExpectedFile | undefined) => {
    if (first.status === 'fulfilled' && matches(first.value, exp)) return first.value;
    if (exp?.sha256 === undefined) return settledValue(first); // nothing better to ask for; the verifier decides
    return get(role, exp);
  };

  const [root, timestamp, snapshot, targets] = await Promise.allSettled(
    (['root', 'timestamp', 'snapshot', 'targets'] as const).map((r) => get(r)),
  );
  await updateRootChain(v, gun, settledValue(root!), o.trustedRoot, get);
  v.updateTimestamp(settledValue(timestamp!));
  const expSnapshot = v.expectedSnapshot();
  v.updateSnapshot(await reconcile('snapshot', snapshot!, expSnapshot));
  v.updateTargets(await reconcile('targets', targets!, v.expectedTargets('targets')));

  await loadDelegations(v, gun, o.signers, o.maxDelegationDepth, get);
  return v;
}

/** Marks a failure of the warm path's own timestamp fetch: the full fetch would fail the same way. */
class TimestampFetchError extends Error {
  constructor(readonly inner: unknown) {
    super('timestamp fetch failed');
  }
}

export interface FetchTrustWarmOptions extends FetchTrustOptions {
  /** What the on-disk cache holds for the GUN (unverified bytes). */
  readonly cached: CachedFiles;
  /** `timestamp.json`, already requested (so the request overlaps root verification). */
  readonly timestamp: Promise<Uint8Array>;
}

/**
 * The warm path: `verifier` holds the cached root (TUF 5.3); the fetched timestamp is verified (TUF 5.4),
 * cached files are used only when they match the verified parent's length and sha256, else fetched by
 * checksum. A rotated root makes it throw (TUF 5.5) and the caller fetches everything.
 */
export async function fetchTrustWarm(o: FetchTrustWarmOptions): Promise<TrustVerifier> {
  const { gun, source, verifier: v, cached } = o;
  const get = (role: string, expected?: ExpectedFile) => {
    o.onFetch?.(role, expected?.sha256 !== undefined);
    return source.fetch(gun, role, expected, { signal: o.signal });
  };
  /** The cached bytes when they are exactly what the verified parent states, else a fetch. */
  const pick = async (role: string, exp: ExpectedFile | undefined): Promise<Uint8Array> => {
    const c = cached.get(role);
    if (c !== undefined && exp?.sha256 !== undefined && matches(c, exp)) return c;
    return get(role, exp);
  };
  v.updateTimestamp(await o.timestamp);
  v.updateSnapshot(await pick('snapshot', v.expectedSnapshot()));
  v.updateTargets(await pick('targets', v.expectedTargets('targets')));
  await loadDelegations(v, gun, o.signers, o.maxDelegationDepth, pick);
  return v;
}

export interface LoadTrustOptions {
  readonly gun: string;
  readonly rule: Pick<TrustRule, 'rootKeys' | 'rootCA' | 'tofu' | 'name' | 'maxDelegationDepth' | 'maxMetadataBytes'>;
  readonly source: MetadataSource;
  readonly createVerifier: CreateVerifier;
  readonly signers: readonly string[];
  readonly state?: TrustState;
  /** The trust server, the metadata cache's key; unset (vendored trustDir data): not cached. */
  readonly server?: string;
  readonly signal?: AbortSignal;
  readonly rootCAs?: readonly X509Certificate[];
  readonly now?: Date;
  readonly onFetch?: FetchTrustOptions['onFetch'];
  readonly debug?: (message: string) => void;
  /** spec.staleIfErrorSeconds in ms (0 = off): max age of cached data that may answer while the server is down. */
  readonly staleIfErrorMs?: number;
  /** Called with the transport error when the answer is that cached data, and when its window ends. */
  readonly onStale?: (error: unknown, windowEnds: Date) => void;
}

/** Server unreachable: the cached files, verified again offline by `warm`, if answered within staleIfErrorMs. */
async function staleFromDisk(o: LoadTrustOptions, warm: TrustVerifier, cached: CachedFiles, verifiedAt: number | undefined, error: unknown): Promise<TrustVerifier | undefined> {
  const limit = o.staleIfErrorMs ?? 0;
  const ts = cached.get('timestamp');
  if (limit <= 0 || !(error instanceof PinError) || error.code !== 'TRUST_FETCH' || verifiedAt === undefined || ts === undefined) return undefined;
  const age = (o.now ?? new Date()).getTime() - verifiedAt;
  if (age < 0 || age > limit) return undefined;
  const offline: MetadataSource = { fetch: () => Promise.reject(error), description: o.source.description };
  try {
    const v = await fetchTrustWarm({ gun: o.gun, source: offline, signers: o.signers, maxDelegationDepth: o.rule.maxDelegationDepth, verifier: warm, cached, timestamp: Promise.resolve(ts) });
    o.onStale?.(error, new Date(verifiedAt + limit));
    return v;
  } catch (e) {
    o.debug?.(`cached trust data of ${o.gun} cannot answer while the server is unreachable: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Anchors → verifier → warm fetch from the disk cache, else (or on any verification failure) the full
 * fetch → remember the verified root, versions and files. A refused load (not unreachable, not
 * aborted) makes the GUN's cached files unusable for stale answers.
 */
export async function loadTrust(o: LoadTrustOptions): Promise<TrustVerifier> {
  const store = o.state?.store();
  const disk = o.server !== undefined ? o.state?.metadata() : undefined;
  const { anchor, previous } = await anchorFor(o.rule, o.gun, store, o.rootCAs);
  const newVerifier = (a: RootAnchor) =>
    o.createVerifier({ gun: o.gun, anchor: a, maxDelegationDepth: o.rule.maxDelegationDepth, now: o.now, previous });
  const common: CommonFetch = {
    gun: o.gun,
    source: o.source,
    signers: o.signers,
    maxDelegationDepth: o.rule.maxDelegationDepth,
    onFetch: o.onFetch,
    signal: o.signal,
  };

  const answeredAt = (o.now ?? new Date()).getTime(); // before any request: a verifiedAt never later than the answer
  const cached = disk ? await disk.load(o.server!, o.gun, o.rule.maxMetadataBytes) : new Map<string, Uint8Array>();
  let warm: WarmResult = { rootAnchor: anchor };
  let verifier: TrustVerifier;
  try {
    if (cached.has('root')) warm = await loadWarm(o, common, anchor, newVerifier, cached, () => disk?.verifiedAt(o.server!, o.gun));
    if (warm.stale !== undefined) return warm.stale; // nothing remembered: the server did not answer
    verifier = warm.verifier ?? (await fetchTrust({ ...common, verifier: newVerifier(warm.rootAnchor), trustedRoot: warm.rootAnchor.trustedRoot }));
  } catch (e) {
    // README "Surviving an outage": stale answers only while the server is unreachable, never after a refusal.
    if (disk && (isRefusal(e, o.signal) || isRefusal(warm.refused, o.signal))) disk.refuse(o.server!, o.gun, answeredAt, o.rule.maxMetadataBytes);
    throw store && anchor.trustedRoot !== undefined ? withForgetHint(e, o.gun, store.dirFor(o.gun)) : e;
  }
  // The remembered root and versions serve later runs; cached files only save downloads.
  await o.state?.remember(o.gun, verifier.state(), { root: o.rule.tofu, server: disk ? o.server : undefined, loaded: cached, verifiedAt: answeredAt });
  return verifier;
}

/** Whether `e` is the server's answer refused: not TRUST_FETCH (unreachable), not aborted, not absent. */
function isRefusal(e: unknown, signal: AbortSignal | undefined): boolean {
  return e !== undefined && signal?.aborted !== true && !(e instanceof PinError && e.code === 'TRUST_FETCH');
}

type CommonFetch = Omit<FetchTrustOptions, 'verifier' | 'trustedRoot'>;

interface WarmResult {
  /** The anchor the full fetch chains from: the cached root once the rule's anchor accepted it. */
  readonly rootAnchor: RootAnchor;
  /** The warm path's verifier, when the cached data verified with the server's timestamp. */
  readonly verifier?: TrustVerifier;
  /** The cached data verified offline, when the server could not be reached (not to be remembered). */
  readonly stale?: TrustVerifier;
  /** Why the cached data did not verify with the server's timestamp (the full fetch decides). */
  readonly refused?: unknown;
}

/** The warm path of loadTrust (timestamp request overlaps root verification); other failures mean a full fetch. */
async function loadWarm(
  o: LoadTrustOptions,
  common: CommonFetch,
  anchor: RootAnchor,
  newVerifier: (a: RootAnchor) => TrustVerifier,
  cached: CachedFiles,
  verifiedAt: () => number | undefined,
): Promise<WarmResult> {
  const debug = o.debug ?? (() => {});
  o.onFetch?.('timestamp', false);
  const timestamp = o.source.fetch(o.gun, 'timestamp', undefined, { signal: o.signal }).catch((e: unknown) => {
    throw new TimestampFetchError(e);
  });
  timestamp.catch(() => {}); // awaited in fetchTrustWarm; not if the cached root is refused
  // TUF 5.3.4: the cached root becomes the trusted root only if the rule's own anchor accepts it (never itself).
  const cachedRoot = cached.get('root')!;
  const warm = newVerifier(anchor);
  try {
    warm.updateRoot(cachedRoot);
  } catch (e) {
    debug(`cached root of ${o.gun} is no longer accepted (${(e as Error).message}); fetching everything`);
    return { rootAnchor: anchor };
  }
  const rootAnchor = { ...anchor, trustedRoot: cachedRoot };
  try {
    return { rootAnchor, verifier: await fetchTrustWarm({ ...common, verifier: warm, cached, timestamp }) };
  } catch (e) {
    if (e instanceof TimestampFetchError) {
      const stale = await staleFromDisk(o, warm, cached, verifiedAt(), e.inner);
      if (stale !== undefined) return { rootAnchor, stale };
      throw e.inner;
    }
    debug(`cached trust data of ${o.gun} did not verify with the server's timestamp (${(e as Error).message}); fetching everything`);
    return { rootAnchor, refused: e };
  }
}

/** A root refused against the remembered TOFU root: says how to forget it after a legitimate re-initialisation. */
function withForgetHint(e: unknown, gun: string, dir: string): unknown {
  if (!(e instanceof PinError) || e.role !== 'root' || !['TRUST_SIGNATURE', 'TRUST_ROLLBACK', 'TRUST_ROOT_UNTRUSTED'].includes(e.code)) return e;
  return new PinError({
    code: e.code,
    role: 'root',
    message: `${e.message} (the root remembered on first use for ${gun} is in ${dir})`,
    hint:
      `${e.hint ?? 'the served root does not chain from the remembered one'}; if ${gun} was re-initialised on purpose and you verified ` +
      `its new root key out of band, forget the remembered root: \`rm -r ${dir}\` (the next run trusts the new root on first use)`,
    cause: e,
  });
}
