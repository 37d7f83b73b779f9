/**
 * `notary-pin demo`: the main job on an embedded default, with no external server.
 *
 * It signs trust data for three made-up repositories at start-up (root certificates issued by a
 * demo CA, one tag signed in `targets`, two in the `targets/releases` delegation), serves it from an
 * in-process HTTPS trust server on 127.0.0.1, and runs the real KRM function — the real HTTP client
 * and the full TUF verification — over an example ResourceList. The pinned ResourceList goes to
 * stdout, the summary to stderr. Nothing about the demo path is special-cased in the product code:
 * the demo is only a config (rootCA pinning, a CA for TLS, an exclude) and a server.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { parseFunctionConfig } from '../config/load.js';
import { runKrm } from '../krm/run.js';
import { createNotaryResolver } from '../trust/notary/resolver.js';
import { generateCA, generateRootKey } from '../trust/notary/sign/keys.js';
import { TufRepoBuilder } from '../trust/notary/sign/repo.js';
import { createTestCA } from './pki.js';
import { DEMO_INPUT, DEMO_REGISTRY } from './example.js';
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

/** A small OCI image manifest, unique per image: its sha256 is the digest the trust data signs. */
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
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

export async function runDemo(opts: DemoOptions = {}): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const now = new Date();

  // A CA that issues the repositories' root certificates (what `spec.trust[].rootCA` pins) ...
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

  // ... and a CA for the trust server's TLS certificate (what `spec.trust[].ca` trusts).
  const tlsCA = createTestCA('notary-pin demo TLS CA');
  const serverTls = tlsCA.issue(); // for 127.0.0.1
  const server = await startTrustServer({ repos, cert: serverTls.certPem, key: serverTls.keyPem });

  try {
    const spec = parseFunctionConfig({
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: {
        exclude: ['busybox:*'],
        trust: [
          {
            name: 'demo registry',
            images: [`${DEMO_REGISTRY}/**`],
            server: server.url,
            ca: tlsCA.certPem,
            rootCA: signingCA.certPem,
          },
        ],
      },
    });
    err.write(
      [
        `notary-pin demo: signed trust data for ${IMAGES.length} repositories on ${DEMO_REGISTRY}, served by an in-process trust server at ${server.url}.`,
        'notary-pin demo: running the KRM function over an example ResourceList (stdout), summary below (stderr).',
        '',
      ].join('\n'),
    );
    const result = await runKrm(DEMO_INPUT, {
      resolverFor: () => createNotaryResolver({}),
      spec,
    });
    for (const line of result.stderr) err.write(`${line}\n`);
    out.write(result.stdout);
    return result.exitCode;
  } finally {
    await server.close();
  }
}
