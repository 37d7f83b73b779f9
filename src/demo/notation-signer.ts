/**
 * The demo's Notation signer: a made-up CA and leaf (P-256), JWS envelopes as `notation sign` makes them
 * (signature-envelope-jws, scheme notary.x509), pushed as referrers of the image. Demo only.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { MediaTypes, type Descriptor } from '../registry/contract.js';
import { createCertificate } from '../trust/notary/sign/x509.js';
import { certToPem } from '../trust/notary/tuf/certs.js';
import type { OciRegistry } from './oci-registry.js';

export interface DemoNotationSigner {
  /** The CA certificate a trust store must hold (PEM). */
  readonly rootPem: string;
  sign(subject: Descriptor): Uint8Array;
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

export function createDemoNotationSigner(now: Date): DemoNotationSigner {
  const day = 86_400_000;
  const notBefore = new Date(now.getTime() - day);
  const notAfter = new Date(now.getTime() + 30 * day);
  const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rootCN = 'notary-pin demo code-signing CA';
  const rootDer = createCertificate({ subjectCN: rootCN, publicKey: root.publicKey, selfSignKey: root.privateKey, notBefore, notAfter, isCA: true });
  const leafDer = createCertificate({ subjectCN: 'notary-pin demo release signer', publicKey: leaf.publicKey, issuer: { cn: rootCN, privateKey: root.privateKey }, notBefore, notAfter });
  return {
    rootPem: certToPem(rootDer),
    sign: (subject) => jws(subject, leaf.privateKey, [leafDer, rootDer], now),
  };
}

/** signature-envelope-jws: protected header, payload `{"targetArtifact": subject}`, x5c leaf first. */
function jws(subject: Descriptor, key: KeyObject, chain: readonly Uint8Array[], now: Date): Uint8Array {
  const header = {
    alg: 'ES256',
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    crit: ['io.cncf.notary.signingScheme'],
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const payload = { targetArtifact: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } };
  const protectedB64 = b64url(JSON.stringify(header));
  const payloadB64 = b64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key, dsaEncoding: 'ieee-p1363' });
  const envelope = {
    payload: payloadB64,
    protected: protectedB64,
    header: { x5c: chain.map((c) => Buffer.from(c).toString('base64')), 'io.cncf.notary.signingAgent': 'notary-pin demo' },
    signature: b64url(signature),
  };
  return Buffer.from(JSON.stringify(envelope));
}

/** A small OCI image (unique per seed) stored under `repo:tag`. */
export function putDemoImage(registry: OciRegistry, repo: string, tag: string, seed: string): Descriptor {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { seed } } }));
  const layer = Buffer.from(`demo layer ${seed}\n`);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: registry.putBlob(repo, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: registry.putBlob(repo, layer), size: layer.length }],
    }),
  );
  return { mediaType: MediaTypes.ociManifest, digest: registry.putManifest(repo, bytes, MediaTypes.ociManifest, tag), size: bytes.length };
}

/** Signs `subject` and stores the signature manifest as its referrer. */
export function putDemoSignature(registry: OciRegistry, repo: string, subject: Descriptor, signer: DemoNotationSigner): void {
  const envelope = signer.sign(subject);
  const empty = Buffer.from('{}');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: MediaTypes.notarySignature,
      config: { mediaType: MediaTypes.ociEmpty, digest: registry.putBlob(repo, empty), size: empty.length },
      layers: [{ mediaType: MediaTypes.jws, digest: registry.putBlob(repo, envelope), size: envelope.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  registry.putManifest(repo, manifest, MediaTypes.ociManifest);
}
