/**
 * `notary-pin demo`: signs Notary v1 trust data and a Notation signature for made-up images at start-up,
 * serves them from in-process servers on 127.0.0.1, and runs the real KRM function over an example
 * (pinned), then over an unsigned image (refused). No demo special case in product code: only config and servers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { parseFunctionConfig } from '../config/load.js';
import type { Spec } from '../config/schema.js';
import type { Resolver } from '../engine/port.js';
import { runKrm } from '../krm/run.js';
import { generateCA, generateRootKey } from '../trust/notary/sign/keys.js';
import { TufRepoBuilder } from '../trust/notary/sign/repo.js';
import { createTestCA } from './pki.js';
import { DEMO_INPUT, DEMO_REGISTRY, notationDemoItem, unsignedDemoInput } from './example.js';
import { createDemoNotationSigner, putDemoImage, putDemoSignature } from './notation-signer.js';
import { startOciRegistry, type OciRegistry } from './oci-registry.js';
import { startTrustServer } from './trust-server.js';

interface DemoImage {
  readonly repo: string;
  readonly tag: string;
  readonly role: 'targets' | 'targets/releases';
}

const IMAGES: readonly DemoImage[] = [
  { repo: 'shop/migrations', tag: '3.1.0', role: 'targets' },
  { repo: 'shop/storefront', tag: '1.4.2', role: 'targets/releases' },
  { repo: 'shop/report', tag: '2024.11', role: 'targets/releases' },
];

/** A small OCI image manifest, unique per image: its sha256 is the signed digest. */
function manifestBytes(image: DemoImage): Uint8Array {
  const layer = createHash('sha256').update(`${image.repo}:${image.tag}:layer`).digest('hex');
  const config = createHash('sha256').update(`${image.repo}:${image.tag}:config`).digest('hex');
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}`, size: 512 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}`, size: 4096 }],
    }),
  );
}

export interface DemoOptions {
  readonly resolverFor: (spec: Spec) => Resolver;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

/** Notation: a signed and an unsigned image in an in-process registry, and the trust store on disk. */
async function startNotationSide(now: Date, storeDir: string): Promise<{ registry: OciRegistry; policy: Record<string, unknown> }> {
  const signer = createDemoNotationSigner(now);
  const registry = await startOciRegistry();
  putDemoSignature(registry, 'shop/checkout', putDemoImage(registry, 'shop/checkout', '2.0.0', 'checkout'), signer);
  putDemoImage(registry, 'shop/experimental', '0.1', 'experimental');
  mkdirSync(join(storeDir, 'x509', 'ca', 'demo'), { recursive: true });
  writeFileSync(join(storeDir, 'x509', 'ca', 'demo', 'root.pem'), signer.rootPem);
  const policy = {
    version: '1.0',
    trustPolicies: [
      {
        name: 'demo',
        registryScopes: [`${registry.host}/shop/checkout`, `${registry.host}/shop/experimental`],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:demo'],
        trustedIdentities: ['*'],
      },
    ],
  };
  return { registry, policy };
}

/** Notary v1: signed trust data served over HTTPS, and the CAs the config pins. */
async function startNotarySide(now: Date) {
  // Issues the repositories' root certificates (what `rootCA` pins) ...
  const signingCA = generateCA('notary-pin demo root CA', now);
  const repos = new Map<string, Record<string, Uint8Array>>();
  for (const image of IMAGES) {
    const gun = `${DEMO_REGISTRY}/${image.repo}`;
    const repo = new TufRepoBuilder({
      gun,
      now,
      keys: { root: generateRootKey({ cn: gun, notBefore: now, issuer: { cn: signingCA.cn, privateKey: signingCA.privateKey } }) },
    });
    if (image.role === 'targets/releases') repo.addDelegation('targets/releases');
    repo.addTargetBytes(image.tag, manifestBytes(image), image.role);
    repos.set(gun, repo.build());
  }

  // ... and the trust server's TLS certificate (what `ca` trusts).
  const tlsCA = createTestCA('notary-pin demo TLS CA');
  const serverTls = tlsCA.issue(); // for 127.0.0.1
  const server = await startTrustServer({ repos, cert: serverTls.certPem, key: serverTls.keyPem });
  return { server, tlsCA, signingCA };
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const now = new Date();
  const { server, tlsCA, signingCA } = await startNotarySide(now);
  const storeDir = mkdtempSync(join(tmpdir(), 'notary-pin-demo-'));
  let notation: OciRegistry | undefined;

  try {
    const side = await startNotationSide(now, storeDir);
    notation = side.registry;
    const spec = parseFunctionConfig({
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: {
        exclude: ['busybox:*'],
        registries: [{ host: notation.host, plainHTTP: true }],
        trust: [
          {
            name: 'demo registry',
            images: [`${DEMO_REGISTRY}/**`],
            server: server.url,
            ca: tlsCA.certPem,
            rootCA: signingCA.certPem,
          },
          { name: 'demo notation', images: [`${notation.host}/**`], notation: { trustPolicy: side.policy, trustStore: storeDir } },
        ],
      },
    });
    err.write(
      [
        `notary-pin demo: signed trust data for ${IMAGES.length} repositories on ${DEMO_REGISTRY}, served by an in-process trust server at ${server.url};`,
        `notary-pin demo: a Notation-signed image (and an unsigned one) in an in-process OCI registry at ${notation.url}.`,
        'notary-pin demo: running the KRM function over an example ResourceList (stdout), summary below (stderr).',
        '',
      ].join('\n'),
    );
    const result = await runKrm(`${DEMO_INPUT}${notationDemoItem(notation.host)}`, { resolverFor: opts.resolverFor, spec });
    for (const line of result.stderr) err.write(`${line}\n`);
    out.write(result.stdout);

    err.write('\nnotary-pin demo: and an image with no Notation signature is refused (a failed run pins nothing; its output is not shown):\n');
    const refused = await runKrm(unsignedDemoInput(notation.host), { resolverFor: opts.resolverFor, spec });
    for (const line of refused.stderr) err.write(`${line}\n`);
    // The refusal is part of the demo: an unsigned image that passed would be a bug.
    return result.exitCode === 0 && refused.exitCode === 1 ? 0 : 1;
  } finally {
    await Promise.all([server.close(), notation?.close()]);
    rmSync(storeDir, { recursive: true, force: true });
  }
}
