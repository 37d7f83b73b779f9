/**
 * The Notation part of the bench's set-up: images pushed to the real `docker-registry` and signed
 * the way notation 1.x signs to a registry without the referrers API (signature manifest, then the
 * `sha256-<hex>` referrers tag index), with the project's test signer; the trust store (notation's
 * layout) and trust policy (notation's format) written to a directory; the NotaryPin config.
 */
import { join } from 'node:path';
import { LEAF_SUBJECT, makeChain, testKey, type TestChain } from '../test/support/notation/pki.js';
import { signEnvelope } from '../test/support/notation/signer.js';
import { pushImage, pushSignature, type PushTarget } from '../test/support/oci-push.js';
import { mapLimit } from './stats.js';
import { writeTrustStoreCert } from '../test/support/notation/trust-store.js';

export const NOTATION_REPOSITORIES = 50;
export const NOTATION_TAGS = 4;
/** Images pushed and signed at once: the registry shares the machine with everything else. */
const PUSH_CONCURRENCY = 8;

/** One signed image: `reference` is `host/name:tag`, `digest` what the registry serves for it. */
export interface NotationImage {
  readonly reference: string;
  readonly name: string;
  readonly tag: string;
  readonly digest: string;
}

export interface NotationSetup {
  readonly images: readonly NotationImage[];
  /** The trust store directory (x509/ca/bench/root.pem). */
  readonly trustStore: string;
  /** Repository names (`bench-notation/appNN`), for trust policy scopes. */
  readonly names: readonly string[];
}


/** Repository names and tags of the Notation images. */
export function notationNames(repositories = NOTATION_REPOSITORIES, tags = NOTATION_TAGS): { names: string[]; tags: string[] } {
  return {
    names: Array.from({ length: repositories }, (_, r) => `bench-notation/app${String(r).padStart(2, '0')}`),
    tags: Array.from({ length: tags }, (_, t) => `v${t + 1}.0`),
  };
}

/** Pushes and signs every image (one signature each, JWS, RSA-2048 leaf under a test CA); writes the trust store. */
export async function setUpNotation(o: { registryHost: string; dir: string; log: (m: string) => void }): Promise<NotationSetup> {
  const target: PushTarget = { url: `http://${o.registryHost}` };
  const chain: TestChain = makeChain(testKey('rsa2048'));
  const { names, tags } = notationNames();
  let done = 0;
  // Repositories in parallel, a repository's images one after another: docker-registry can lose a
  // blob (the signatures' shared empty config) uploaded twice at once to one repository.
  const perRepository = await mapLimit(names, PUSH_CONCURRENCY, async (name) => {
    const out: NotationImage[] = [];
    for (const tag of tags) {
      const img = await pushImage(target, name, tag);
      const subject = { mediaType: img.mediaType, digest: img.digest, size: img.size };
      const env = signEnvelope({ format: 'jws', subject, chain: chain.chain });
      await pushSignature(target, name, img, { form: 'artifactType', envelope: env.envelope, envelopeMediaType: env.mediaType });
      out.push({ reference: `${o.registryHost}/${name}:${tag}`, name, tag, digest: img.digest });
    }
    if (++done % 10 === 0) o.log(`Notation: pushed and signed ${done * tags.length} images`);
    return out;
  });
  const images = perRepository.flat();
  const trustStore = join(o.dir, 'truststore');
  writeTrustStoreCert(trustStore, 'ca', 'bench', chain.root.der);
  return { images, trustStore, names };
}

/** A strict trust policy for the repositories on every one of `hosts` (loopback and the delay proxy). */
export function notationTrustPolicy(hosts: readonly string[], names: readonly string[]): unknown {
  return {
    version: '1.0',
    trustPolicies: [
      {
        name: 'bench',
        registryScopes: hosts.flatMap((h) => names.map((n) => `${h}/${n}`)),
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:bench'],
        trustedIdentities: [`x509.subject: ${LEAF_SUBJECT}`],
      },
    ],
  };
}

/** The images as seen through another host (the delay proxy forwards to the same registry). */
export function onHost(images: readonly NotationImage[], host: string): NotationImage[] {
  return images.map((i) => ({ ...i, reference: `${host}/${i.name}:${i.tag}` }));
}

/** A NotaryPin config with one Notation rule for `registryHost` (plain HTTP: loopback only). */
export function notationConfigYaml(o: { registryHost: string; trustPolicy: string; trustStore: string; cacheDir?: string; mode?: 'pin' | 'verify'; concurrency?: number }): string {
  return [
    'apiVersion: notary-pin.dev/v1alpha1',
    'kind: NotaryPin',
    'metadata:',
    '  name: bench-notation',
    'spec:',
    `  mode: ${o.mode ?? 'pin'}`,
    ...(o.concurrency === undefined ? [] : [`  concurrency: ${o.concurrency}`]),
    ...(o.cacheDir === undefined ? [] : [`  cacheDir: ${JSON.stringify(o.cacheDir)}`]),
    '  registries:',
    `  - host: ${JSON.stringify(o.registryHost)}`,
    '    plainHTTP: true',
    '  trust:',
    '  - name: bench notation',
    `    images: [${JSON.stringify(`${o.registryHost}/**`)}]`,
    '    notation:',
    `      trustPolicy: ${JSON.stringify(o.trustPolicy)}`,
    `      trustStore: ${JSON.stringify(o.trustStore)}`,
    '',
  ].join('\n');
}
