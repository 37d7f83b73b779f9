/**
 * Fetch and verify the trust data of one GUN, in as few round trips as possible:
 *
 * - Round 1 requests root, timestamp, snapshot and targets by name at once (they pipeline on the
 *   keep-alive connection), then feeds them to the verifier in TUF order: root (TUF 5.3) →
 *   timestamp (5.4) → snapshot (5.5) → targets (5.6). If the snapshot or targets fetched by name is
 *   not what the timestamp/snapshot state (the server published in between), that one file is
 *   fetched again by checksum (`<role>.<sha256>.json`, as the notary client does) once.
 * - Round 2+ fetches the delegations the verifier says the signer roles need
 *   (`neededDelegations`), concurrently and by checksum, repeated while new ones are needed
 *   (TUF 5.6.7; depth bounded by the verifier's maxDelegationDepth, and here by a round limit).
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { PinError } from '../errors/errors.js';
import type { TrustRule } from '../config/schema.js';
import type { ExpectedFile, TrustVerifier, VerifierOptions } from '../tuf/api.js';
import { anchorFor } from './anchor.js';
import type { MetadataSource } from './source.js';
import type { TofuStore } from './tofu.js';

export type CreateVerifier = (opts: VerifierOptions) => TrustVerifier;

export interface FetchTrustOptions {
  readonly gun: string;
  readonly source: MetadataSource;
  /** A fresh verifier for `gun`. */
  readonly verifier: TrustVerifier;
  /** Roles whose delegations must be loaded (`rule.signers` or the default). */
  readonly signers: readonly string[];
  readonly maxDelegationDepth: number;
  /** Observes each fetch (role, by checksum or not); for tests and metrics. */
  readonly onFetch?: (role: string, byChecksum: boolean) => void;
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

/** Fetches and verifies everything `signers` need; returns the loaded verifier. */
export async function fetchTrust(o: FetchTrustOptions): Promise<TrustVerifier> {
  const { gun, source, verifier: v } = o;
  const get = (role: string, expected?: ExpectedFile) => {
    o.onFetch?.(role, expected?.sha256 !== undefined);
    return source.fetch(gun, role, expected);
  };
  /** The by-name bytes when they are what the parent states, else one fetch by checksum. */
  const reconcile = async (role: string, first: PromiseSettledResult<Uint8Array>, exp: ExpectedFile | undefined) => {
    if (first.status === 'fulfilled' && matches(first.value, exp)) return first.value;
    if (exp?.sha256 === undefined) return settledValue(first); // nothing better to ask for; the verifier decides
    return get(role, exp);
  };

  // Round 1.
  const [root, timestamp, snapshot, targets] = await Promise.allSettled(
    (['root', 'timestamp', 'snapshot', 'targets'] as const).map((r) => get(r)),
  );
  v.updateRoot(settledValue(root!));
  v.updateTimestamp(settledValue(timestamp!));
  const expSnapshot = v.expectedSnapshot();
  v.updateSnapshot(await reconcile('snapshot', snapshot!, expSnapshot));
  v.updateTargets(await reconcile('targets', targets!, v.expectedTargets('targets')));

  // Round 2+: delegations.
  const loaded = new Set<string>();
  const maxRounds = o.maxDelegationDepth + 1;
  for (let round = 0; ; round++) {
    const needed = v.neededDelegations(o.signers);
    if (needed.length === 0) break;
    const again = needed.find((n) => loaded.has(n.role));
    if (again || round >= maxRounds) {
      throw new PinError({
        code: 'TRUST_DELEGATION',
        message: again
          ? `delegation ${again.role} of ${gun} is still needed after it was loaded`
          : `delegations of ${gun} go deeper than ${o.maxDelegationDepth} levels`,
        hint: 'check the delegations in the trust data, or raise trust.maxDelegationDepth',
        role: (again ?? needed[0])!.role,
      });
    }
    const files = await Promise.all(needed.map((n) => get(n.role, n)));
    needed.forEach((n, i) => {
      v.updateDelegation(n.role, files[i]!);
      loaded.add(n.role);
    });
  }
  return v;
}

export interface LoadTrustOptions {
  readonly gun: string;
  readonly rule: Pick<TrustRule, 'rootKeys' | 'rootCA' | 'tofu' | 'name' | 'maxDelegationDepth'>;
  readonly source: MetadataSource;
  readonly createVerifier: CreateVerifier;
  readonly signers: readonly string[];
  /** TOFU / rollback store (when spec.cacheDir is set). */
  readonly store?: TofuStore;
  /** `rule.rootCA`, parsed. */
  readonly rootCAs?: readonly X509Certificate[];
  readonly now?: Date;
  readonly onFetch?: FetchTrustOptions['onFetch'];
}

/**
 * Anchors (rule pins, TOFU root, stored versions) → verifier → fetchTrust → remember the verified
 * root (TOFU rules) and versions in the store.
 */
export async function loadTrust(o: LoadTrustOptions): Promise<TrustVerifier> {
  const { anchor, previous } = await anchorFor(o.rule, o.gun, o.store, o.rootCAs);
  const verifier = o.createVerifier({
    gun: o.gun,
    anchor,
    maxDelegationDepth: o.rule.maxDelegationDepth,
    ...(o.now !== undefined && { now: o.now }),
    ...(previous !== undefined && { previous }),
  });
  await fetchTrust({
    gun: o.gun,
    source: o.source,
    verifier,
    signers: o.signers,
    maxDelegationDepth: o.rule.maxDelegationDepth,
    ...(o.onFetch && { onFetch: o.onFetch }),
  });
  if (o.store) await o.store.save(o.gun, verifier.state(), { root: o.rule.tofu });
  return verifier;
}
