/**
 * Test double: an in-memory RegistryClient (tags, manifests, blobs, referrers) that records every
 * call, for unit tests of code that reads registries. It checks nothing a real client would
 * (sizes, digests of bytes): tests that need those use the real client against a real registry.
 */
import { createHash } from 'node:crypto';
import { PinError } from '../../src/errors/errors.js';
import { MediaTypes, type Descriptor, type FetchedManifest, type RegistryClient, type RepositoryRef } from '../../src/registry/contract.js';

export const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface FakeCall {
  readonly op: 'resolve' | 'fetchManifest' | 'fetchBlob' | 'referrers';
  readonly repo: string;
  readonly ref: string;
  readonly signal?: AbortSignal;
}

export interface FakeRegistry extends RegistryClient {
  readonly calls: FakeCall[];
  /** Stores an image manifest and tags it; returns its descriptor. */
  addImage(repo: string, tag: string | undefined, seed: string): Descriptor;
  /** Stores an OCI image index listing `children` (each with its `os/arch` platform) and tags it. */
  addIndex(repo: string, tag: string | undefined, children: readonly { desc: Descriptor; platform: string }[]): Descriptor;
  /** Points `tag` at `desc`. */
  tag(repo: string, tag: string, desc: Descriptor): void;
  /** Stores a signature manifest (current form) for `subject` with `envelope` as its layer; listed as a referrer. */
  addSignature(repo: string, subject: Descriptor, envelope: Uint8Array, o?: { mediaType?: string; subjectDigest?: string; size?: number }): Descriptor;
  /** Called before each operation (delays, failures, lies). */
  before?: (call: FakeCall) => Promise<void> | void;
  closed: boolean;
}

const notFound = (what: string) => new PinError({ code: 'REGISTRY_NOT_FOUND', message: `${what} not found`, hint: 'push it' });

export function createFakeRegistry(): FakeRegistry {
  const tags = new Map<string, Descriptor>();
  const manifests = new Map<string, Uint8Array>();
  const descriptors = new Map<string, Descriptor>();
  const blobs = new Map<string, Uint8Array>();
  const referrers = new Map<string, Descriptor[]>();
  const key = (r: RepositoryRef, s: string) => `${r.host}/${r.name}\u0000${s}`;
  const split = (repo: string): RepositoryRef => {
    const i = repo.indexOf('/');
    return { host: repo.slice(0, i), name: repo.slice(i + 1) };
  };

  const storeManifest = (r: RepositoryRef, desc: Descriptor, bytes: Uint8Array): void => {
    manifests.set(key(r, desc.digest), bytes);
    descriptors.set(key(r, desc.digest), desc);
  };

  const reg: FakeRegistry = {
    calls: [],
    closed: false,
    addImage(repo, tag, seed) {
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { seed }, layers: [] }));
      const desc: Descriptor = { mediaType: MediaTypes.ociManifest, digest: sha256(bytes), size: bytes.length };
      const r = split(repo);
      manifests.set(key(r, desc.digest), bytes);
      descriptors.set(key(r, desc.digest), desc);
      if (tag !== undefined) tags.set(key(r, tag), desc);
      return desc;
    },
    addIndex(repo, tag, children) {
      const entries = children.map(({ desc, platform }) => {
        const [os, architecture] = platform.split('/');
        return { ...desc, platform: { os, architecture } };
      });
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }));
      const desc: Descriptor = { mediaType: MediaTypes.ociIndex, digest: sha256(bytes), size: bytes.length };
      const r = split(repo);
      storeManifest(r, desc, bytes);
      if (tag !== undefined) tags.set(key(r, tag), desc);
      return desc;
    },
    tag(repo, tag, desc) {
      tags.set(key(split(repo), tag), desc);
    },
    addSignature(repo, subject, envelope, o = {}) {
      const r = split(repo);
      const layer = { mediaType: o.mediaType ?? MediaTypes.jws, digest: sha256(envelope), size: o.size ?? envelope.length };
      blobs.set(key(r, layer.digest), envelope);
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          artifactType: MediaTypes.notarySignature,
          config: { mediaType: MediaTypes.ociEmpty, digest: sha256('{}'), size: 2 },
          layers: [layer],
          subject: { ...subject, digest: o.subjectDigest ?? subject.digest },
        }),
      );
      const desc: Descriptor = { mediaType: MediaTypes.ociManifest, digest: sha256(bytes), size: bytes.length, artifactType: MediaTypes.notarySignature };
      manifests.set(key(r, desc.digest), bytes);
      const list = referrers.get(key(r, subject.digest)) ?? [];
      list.push(desc);
      referrers.set(key(r, subject.digest), list);
      return desc;
    },
    async resolve(repo, reference, opts = {}) {
      const call = { op: 'resolve' as const, repo: `${repo.host}/${repo.name}`, ref: reference, signal: opts.signal };
      reg.calls.push(call);
      await reg.before?.(call);
      const d = reference.includes(':') ? descriptors.get(key(repo, reference)) : tags.get(key(repo, reference));
      if (d === undefined) throw notFound(`${call.repo}:${reference}`);
      return d;
    },
    async fetchManifest(repo, digest, opts = {}): Promise<FetchedManifest> {
      const call = { op: 'fetchManifest' as const, repo: `${repo.host}/${repo.name}`, ref: digest, signal: opts.signal };
      reg.calls.push(call);
      await reg.before?.(call);
      const bytes = manifests.get(key(repo, digest));
      if (bytes === undefined) throw notFound(digest);
      return { descriptor: { mediaType: descriptors.get(key(repo, digest))?.mediaType ?? MediaTypes.ociManifest, digest, size: bytes.length }, bytes };
    },
    async fetchBlob(repo, desc, opts = {}) {
      const call = { op: 'fetchBlob' as const, repo: `${repo.host}/${repo.name}`, ref: desc.digest, signal: opts.signal };
      reg.calls.push(call);
      await reg.before?.(call);
      const bytes = blobs.get(key(repo, desc.digest));
      if (bytes === undefined) throw notFound(desc.digest);
      return bytes;
    },
    async referrers(repo, subjectDigest, opts = {}) {
      const call = { op: 'referrers' as const, repo: `${repo.host}/${repo.name}`, ref: subjectDigest, signal: opts.signal };
      reg.calls.push(call);
      await reg.before?.(call);
      const list = (referrers.get(key(repo, subjectDigest)) ?? []).filter((d) => opts.artifactType === undefined || d.artifactType === opts.artifactType);
      if (opts.maxEntries !== undefined && list.length > opts.maxEntries) {
        throw new PinError({ code: 'REGISTRY_TOO_LARGE', message: `more than ${opts.maxEntries} referrers`, hint: 'clean up' });
      }
      return list;
    },
    async close() {
      reg.closed = true;
    },
  };
  return reg;
}
