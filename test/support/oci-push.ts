/**
 * TEST SUPPORT: pushes images and Notation signatures to a registry over the distribution push API
 * (blob upload POST then PUT, manifest PUT), the way notation 1.x does to a registry without the
 * referrers API: the signature manifest first, then the `sha256-<hex>` referrers tag index created or
 * updated with the new descriptor (artifactType copied in). Works against the real
 * `docker-registry` and the in-process one (`src/demo/oci-registry.ts`). Plain HTTP, 127.0.0.1 only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { MediaTypes, type Descriptor } from '../../src/registry/contract.js';

/** Where to push: `http://127.0.0.1:PORT`, plus headers (e.g. Authorization). */
export interface PushTarget {
  readonly url: string;
  readonly headers?: Record<string, string>;
}

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const TIMEOUT = 10_000;

async function call(t: PushTarget, method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  if (!/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(t.url)) throw new Error(`oci-push: refusing non-loopback ${t.url}`);
  const url = path.startsWith('http') ? path : `${t.url}${path}`;
  return fetch(url, { method, body: body === undefined ? undefined : new Uint8Array(body), headers: { ...t.headers, ...headers }, signal: AbortSignal.timeout(TIMEOUT) });
}

/** Uploads a blob (POST, then PUT with the digest); returns its descriptor. */
export async function pushBlob(t: PushTarget, repo: string, bytes: Uint8Array, mediaType = 'application/octet-stream'): Promise<Descriptor> {
  const digest = sha256(bytes);
  const start = await call(t, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`oci-push: POST upload ${repo}: HTTP ${start.status}`);
  const loc = new URL(start.headers.get('location') ?? '', `${t.url}/`);
  loc.searchParams.set('digest', digest);
  const put = await call(t, 'PUT', loc.href, bytes, { 'content-type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`oci-push: PUT blob ${repo}@${digest}: HTTP ${put.status} ${await put.text()}`);
  return { mediaType, digest, size: bytes.length };
}

/** PUTs a manifest under `reference` (a tag or its digest); returns its descriptor. */
export async function pushManifest(t: PushTarget, repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const res = await call(t, 'PUT', `/v2/${repo}/manifests/${reference}`, bytes, { 'content-type': mediaType });
  if (res.status !== 201) throw new Error(`oci-push: PUT manifest ${repo}:${reference}: HTTP ${res.status} ${await res.text()}`);
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** A small OCI image (config + one layer) pushed under `tag`. */
export async function pushImage(t: PushTarget, repo: string, tag: string, content = randomUUID()): Promise<Descriptor & { bytes: Buffer }> {
  const config = await pushBlob(t, repo, json({ architecture: 'amd64', os: 'linux', config: { Labels: { content } } }), 'application/vnd.oci.image.config.v1+json');
  const layer = await pushBlob(t, repo, Buffer.from(`layer ${content}\n`), 'application/vnd.oci.image.layer.v1.tar');
  const bytes = json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] });
  return { ...(await pushManifest(t, repo, tag, bytes, MediaTypes.ociManifest)), bytes };
}

export interface SignatureOptions {
  /** `artifactType` (current) or `legacy` (config.mediaType, notation 1.x). */
  readonly form: 'artifactType' | 'legacy';
  /** The envelope bytes (any bytes for registry tests). */
  readonly envelope: Uint8Array;
  readonly envelopeMediaType?: string;
  readonly annotations?: Record<string, string>;
  /** Create/update the `sha256-<hex>` referrers tag index (default true). */
  readonly tagIndex?: boolean;
}

/** The signature manifest bytes for `subject` in either form (config blob must exist: see pushSignature). */
export function signatureManifest(subject: Descriptor, envelope: Descriptor, o: Pick<SignatureOptions, 'form' | 'annotations'>): Buffer {
  const emptyConfig = { digest: sha256(Buffer.from('{}')), size: 2 };
  const m: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaTypes.ociManifest };
  if (o.form === 'artifactType') {
    m.artifactType = MediaTypes.notarySignature;
    m.config = { mediaType: MediaTypes.ociEmpty, ...emptyConfig };
  } else {
    m.config = { mediaType: MediaTypes.notarySignature, ...emptyConfig };
  }
  m.layers = [envelope];
  m.subject = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
  m.annotations = o.annotations ?? { 'org.opencontainers.image.created': new Date(0).toISOString() };
  return json(m);
}

/** Pushes a Notation signature of `subject` as notation 1.x does; returns the signature manifest's descriptor. */
export async function pushSignature(t: PushTarget, repo: string, subject: Descriptor, o: SignatureOptions): Promise<Descriptor> {
  await pushBlob(t, repo, Buffer.from('{}'));
  const envelope = await pushBlob(t, repo, o.envelope, o.envelopeMediaType ?? MediaTypes.jws);
  const bytes = signatureManifest(subject, envelope, o);
  const sig = await pushManifest(t, repo, sha256(bytes), bytes, MediaTypes.ociManifest);
  const annotations = JSON.parse(bytes.toString()).annotations as Record<string, string>;
  const entry: Descriptor = { ...sig, artifactType: MediaTypes.notarySignature, annotations };
  if (o.tagIndex !== false) await addToReferrersTag(t, repo, subject.digest, entry);
  return entry;
}

/** Referrers tag schema: GET the `<alg>-<hex>` index (or start one), append `entry`, PUT it back. */
export async function addToReferrersTag(t: PushTarget, repo: string, subjectDigest: string, entry: Descriptor): Promise<Descriptor> {
  const tag = subjectDigest.replace(':', '-');
  const res = await call(t, 'GET', `/v2/${repo}/manifests/${tag}`, undefined, { accept: MediaTypes.ociIndex });
  let manifests: Descriptor[] = [];
  if (res.status === 200) manifests = (JSON.parse(await res.text()) as { manifests: Descriptor[] }).manifests;
  else if (res.status !== 404) throw new Error(`oci-push: GET ${repo}:${tag}: HTTP ${res.status}`);
  else await res.arrayBuffer();
  const index = json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...manifests, entry] });
  return pushManifest(t, repo, tag, index, MediaTypes.ociIndex);
}

/** A pushed multi-platform index and its per-platform manifests (pushed by digest, untagged). */
export interface PushedIndex {
  readonly index: Descriptor & { bytes: Buffer };
  /** Keyed by platform, e.g. `linux/arm64`. */
  readonly children: Record<string, Descriptor>;
}

/**
 * Pushes one small image per platform (`os/arch[/variant]`, its config naming the platform) by digest,
 * then an index listing them with their platforms under `tag`: an OCI index, or a Docker manifest list.
 */
export async function pushPlatformIndex(t: PushTarget, repo: string, tag: string, platforms: readonly string[], o: { dockerList?: boolean } = {}): Promise<PushedIndex> {
  const children: Record<string, Descriptor> = {};
  const entries: unknown[] = [];
  const manifestType = o.dockerList ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  for (const p of platforms) {
    const [os, architecture, variant] = p.split('/');
    const platform = variant === undefined ? { os, architecture } : { os, architecture, variant };
    const content = randomUUID();
    const config = await pushBlob(t, repo, json({ ...platform, config: { Labels: { content } } }), o.dockerList ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json');
    const layer = await pushBlob(t, repo, Buffer.from(`layer ${p} ${content}\n`), o.dockerList ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar');
    const bytes = json({ schemaVersion: 2, mediaType: manifestType, config, layers: [layer] });
    const d = await pushManifest(t, repo, sha256(bytes), bytes, manifestType);
    children[p] = d;
    entries.push({ ...d, platform });
  }
  const indexType = o.dockerList ? MediaTypes.dockerManifestList : MediaTypes.ociIndex;
  const bytes = json({ schemaVersion: 2, mediaType: indexType, manifests: entries });
  return { index: { ...(await pushManifest(t, repo, tag, bytes, indexType)), bytes }, children };
}
