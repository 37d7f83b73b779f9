/**
 * TUF 5.3 root update with rotation, as notary's `tufClient.updateRoot` + `updateRootVersions` do it:
 * the latest root first, then, when needed, the intermediate roots by version, each against the one before.
 */
import { z } from 'zod';
import { PinError } from '../../errors/errors.js';
import type { TrustVerifier } from './tuf/verifier-contract.js';
import type { FetchRequest } from './source.js';

/** The most intermediate roots one update walks (notary has no bound; a server could make it loop). */
export const MAX_ROOT_ROTATION_STEPS = 32;

/** Only `signed.version`, read without trusting it: which files to fetch, never what to trust. */
const RootVersionSchema = z.object({ signed: z.object({ version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }) });

function rootVersionOf(bytes: Uint8Array): number | undefined {
  try {
    const r = RootVersionSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    return r.success ? r.data.signed.version : undefined;
  } catch {
    return undefined;
  }
}

interface Chain {
  readonly gun: string;
  readonly from: number;
  readonly to: number;
}

/**
 * TUF 5.3.2–5.3.8: the latest root is verified directly; if the trusted root's keys did not sign it
 * and it is over one version newer, versions N+1 … M-1 are fetched together and verified in order,
 * each against the one before (expiry on the final root only), then the latest. Unlike notary, the
 * walk is bounded and each intermediate must carry the version asked for.
 */
export async function updateRootChain(
  v: TrustVerifier,
  gun: string,
  latest: Uint8Array,
  trustedRoot: Uint8Array | undefined,
  get: (role: string, expected?: FetchRequest) => Promise<Uint8Array>,
): Promise<void> {
  let direct: PinError;
  try {
    v.updateRoot(latest);
    return;
  } catch (e) {
    if (!(e instanceof PinError) || e.code !== 'TRUST_SIGNATURE' || trustedRoot === undefined) throw e;
    direct = e;
  }
  const from = rootVersionOf(trustedRoot);
  const to = rootVersionOf(latest);
  if (from === undefined || to === undefined || to <= from + 1) throw direct;
  const chain: Chain = { gun, from, to };
  const steps = to - from - 1;
  if (steps > MAX_ROOT_ROTATION_STEPS) throw tooManySteps(chain, steps);
  const versions = Array.from({ length: steps }, (_, i) => from + 1 + i);
  const files = await Promise.allSettled(versions.map((n) => get('root', { role: 'root', version: n })));
  for (const [i, n] of versions.entries()) verifyIntermediate(v, chain, n, files[i]!);
  v.updateRoot(latest);
}

function tooManySteps({ gun, from, to }: Chain, steps: number): PinError {
  return new PinError({
    code: 'TRUST_ROOT_UNTRUSTED',
    role: 'root',
    message:
      `${gun}: root version ${to} is not signed by the trusted root (version ${from}), and verifying the ` +
      `${steps} roots in between would take more than ${MAX_ROOT_ROTATION_STEPS} steps`,
    hint:
      'the root was rotated very many times since it was last trusted (or the server claims so): verify the current root ' +
      'key out of band, then pin it in trust.rootKeys or remove the cached/TOFU root of this GUN under spec.cacheDir',
  });
}

/** Intermediate root version `n`, as fetched: it must have been served, carry version `n`, and verify. */
function verifyIntermediate(v: TrustVerifier, { gun, from, to }: Chain, n: number, r: PromiseSettledResult<Uint8Array>): void {
  const step = `intermediate root version ${n} (chain ${from} → ${to})`;
  if (r.status === 'rejected') {
    const e = r.reason as unknown;
    if (!(e instanceof PinError)) throw e;
    // A missing intermediate is a chain that cannot be verified, never "no trust data" (404).
    throw new PinError({
      code: e.code === 'TRUST_NOT_FOUND' ? 'TRUST_ROOT_UNTRUSTED' : e.code,
      role: 'root',
      message: `${gun}: root version ${to} is not signed by the trusted root (version ${from}), and ${step} could not be fetched: ${e.message}`,
      hint:
        e.hint ??
        'the intermediate roots are needed to verify the rotation step by step; retry, or verify the new root key out of band and pin it',
      cause: e,
    });
  }
  const got = rootVersionOf(r.value);
  if (got !== n) {
    throw new PinError({
      code: 'TRUST_MISMATCH',
      role: 'root',
      message: `${gun}: the trust server returned ${got === undefined ? 'a file without a version' : `root version ${got}`} when asked for root version ${n}`,
      hint: 'the trust server does not serve roots by version correctly (GET /v2/<GUN>/_trust/tuf/<version>.root.json); it is misconfigured or under attack',
    });
  }
  try {
    v.updateRoot(r.value);
  } catch (e) {
    if (!(e instanceof PinError)) throw e;
    throw new PinError({ code: e.code, role: 'root', message: `${e.message} (verifying ${step})`, hint: e.hint, cause: e });
  }
}
