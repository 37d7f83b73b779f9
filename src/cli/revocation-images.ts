/**
 * For `revocation fetch --image`: the signing (and trusted TSA) chains of each image's Notation
 * signatures, only to know which CRLs to fetch; the verifier checks signatures on its own.
 */
import { toPinError } from '../errors/errors.js';
import type { Spec } from '../config/schema.js';
import { compilePolicy } from '../config/rules.js';
import { parseReference } from '../reference/parse.js';
import { createRegistryClient } from '../registry/client.js';
import { signatureManifests } from '../registry/signatures.js';
import type { RegistryClient, RepositoryRef } from '../registry/contract.js';
import { MAX_ENVELOPE_BYTES, MEDIA_TYPE_JWS } from '../trust/notation/envelope/decoded.js';
import { decodeCose } from '../trust/notation/envelope/cose.js';
import { decodeJws } from '../trust/notation/envelope/jws.js';
import { loadNotationTrust } from '../trust/notation/load-trust.js';
import { HASH_OF } from '../trust/notation/steps.js';
import { createTimestampVerifier } from '../trust/notation/timestamp/verifier.js';

export interface ImageChains {
  readonly chains: Uint8Array[][];
  /** What could not be read, one line each (the bundle may be incomplete). */
  readonly problems: string[];
}

const key = (chain: readonly Uint8Array[]) => chain.map((c) => Buffer.from(c).toString('base64')).join('.');

export async function chainsOfImages(spec: Spec, images: readonly string[], env: NodeJS.ProcessEnv): Promise<ImageChains> {
  const registry = createRegistryClient({ registries: spec.registries, env });
  const found = new Map<string, Uint8Array[]>();
  const problems: string[] = [];
  try {
    for (const image of images) {
      try {
        for (const chain of await chainsOfImage(spec, registry, image, env, problems)) found.set(key(chain), chain);
      } catch (e) {
        problems.push(`${image}: ${toPinError(e).message}`);
      }
    }
  } finally {
    await registry.close();
  }
  return { chains: [...found.values()], problems };
}

async function chainsOfImage(spec: Spec, registry: RegistryClient, image: string, env: NodeJS.ProcessEnv, problems: string[]): Promise<Uint8Array[][]> {
  const ref = parseReference(image);
  const notation = compilePolicy(spec).ruleFor(ref)?.rule.notation;
  if (notation === undefined) throw new Error('no trust rule with `notation` matches this image in the config');
  const trust = await loadNotationTrust(notation, { env });
  const statement = trust.statementFor(ref.repository);
  const tsaRoots: Uint8Array[] = [];
  for (const s of statement.trustStores) if (s.startsWith('tsa:')) tsaRoots.push(...(await trust.store.load('tsa', s.slice('tsa:'.length))));
  const repo: RepositoryRef = { host: ref.domain, name: ref.path };
  const subject = await registry.resolve(repo, ref.digest ?? ref.tag ?? 'latest');
  const chains: Uint8Array[][] = [];
  const timestamps = createTimestampVerifier();
  for await (const c of signatureManifests(registry, repo, subject.digest, { maxSignatures: notation.maxSignatures })) {
    if (!c.ok) {
      problems.push(`${image}: signature ${c.descriptor.digest}: ${c.error.message}`);
      continue;
    }
    const bytes = await registry.fetchBlob(repo, c.signature.envelope, { maxBytes: MAX_ENVELOPE_BYTES });
    const envelope = c.signature.envelope.mediaType === MEDIA_TYPE_JWS ? decodeJws(bytes) : decodeCose(bytes);
    chains.push([...envelope.certificates]);
    if (envelope.timestampToken === undefined || tsaRoots.length === 0) continue;
    const ts = await timestamps.verify(envelope.timestampToken, envelope.signature, HASH_OF[envelope.alg], tsaRoots, new Date());
    if (ts.ok) chains.push(ts.value.tsaChain);
    else problems.push(`${image}: signature ${c.descriptor.digest}: its timestamp's TSA chain was not found: ${ts.error.message}`);
  }
  if (chains.length === 0) problems.push(`${image}: no Notation signature in the registry for ${ref.repository}@${subject.digest}`);
  return chains;
}
