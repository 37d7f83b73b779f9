/**
 * TEST SUPPORT ONLY. A small stand-in for `src/engine/evaluate.ts` (verify mode) and a fake
 * resolver, so the webhook can be tested before/independently of the real engine. It knows the
 * built-in workload shapes, `spec.exclude` as exact names or `prefix/**`, and uses the first trust
 * rule. Not used by production code.
 */
import type { Spec, TrustRule } from '../../config/schema.js';
import type { EvaluateOptions, ImageOutcome, ImageUse } from '../../engine/evaluate.js';
import { err, ok, PinError, type ResourceRef, type Result } from '../../errors/errors.js';
import type { ImageReference } from '../../reference/types.js';
import type { Resolution, Resolver } from '../../resolve/types.js';

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function podSpecPath(kind: string): string[] | undefined {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return ['spec', 'template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    case 'PodTemplate':
      return ['template', 'spec'];
    default:
      return undefined;
  }
}

function imageUses(resource: unknown, resourceIndex: number): ImageUse[] {
  const r = rec(resource);
  if (r === undefined) return [];
  const kind = typeof r.kind === 'string' ? r.kind : '';
  const meta = rec(r.metadata) ?? {};
  const ref: ResourceRef = { kind };
  if (typeof r.apiVersion === 'string') ref.apiVersion = r.apiVersion;
  if (typeof meta.name === 'string') ref.name = meta.name;
  if (typeof meta.namespace === 'string') ref.namespace = meta.namespace;
  const path = podSpecPath(kind);
  if (path === undefined) return [];
  let spec: Record<string, unknown> | undefined = r;
  for (const p of path) spec = rec(spec?.[p]);
  if (spec === undefined) return [];
  const uses: ImageUse[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const cs = spec[list];
    if (!Array.isArray(cs)) continue;
    cs.forEach((c: unknown, i) => {
      const cr = rec(c) ?? {};
      const use: ImageUse = {
        resourceIndex,
        resource: ref,
        field: `${path.join('.')}.${list}[${i}].image`,
        path: [...path, list, i, 'image'],
        image: cr.image,
      };
      if (typeof cr.name === 'string') use.container = cr.name;
      uses.push(use);
    });
  }
  return uses;
}

/** Naive reference split, good enough for the test images. */
export function fakeParse(image: string): ImageReference {
  const [nameTag, digest] = image.split('@') as [string, string | undefined];
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const name = colon > slash ? nameTag.slice(0, colon) : nameTag;
  const tag = colon > slash ? nameTag.slice(colon + 1) : undefined;
  const first = name.split('/')[0] ?? '';
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(first.length + 1) : name;
  if (!hasDomain && !path.includes('/')) path = `library/${path}`;
  const out: { -readonly [K in keyof ImageReference]: ImageReference[K] } = { original: image, domain, path, repository: `${domain}/${path}` };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

function excluded(image: string, spec: Spec): boolean {
  return spec.exclude.some((p) => (p.endsWith('/**') ? image.startsWith(p.slice(0, -2)) : image === p));
}

/** The fake `evaluate` (verify mode only). */
export async function fakeEvaluate(
  resources: readonly unknown[],
  spec: Spec,
  resolver: Resolver,
  opts: EvaluateOptions,
): Promise<ImageOutcome[]> {
  if (opts.mode !== 'verify') throw new Error('fake engine: verify mode only');
  const uses = resources.flatMap((r, i) => imageUses(r, i));
  return Promise.all(
    uses.map(async (use): Promise<ImageOutcome> => {
      const fail = (code: PinError['code'], message: string): ImageOutcome => ({
        status: 'failed',
        use,
        error: new PinError({ code, message, field: use.field }),
      });
      if (typeof use.image !== 'string' || use.image === '') return fail('REFERENCE_INVALID', 'image is not a non-empty string');
      if (excluded(use.image, spec)) return { status: 'excluded', use };
      if (!use.image.includes('@sha256:')) return fail('NOT_PINNED', `${use.image} is referenced by tag, not by digest`);
      const rule = spec.trust[0];
      if (rule === undefined) return fail('NO_TRUST_RULE', `no trust rule matches ${use.image}`);
      const res = await resolver.resolve(fakeParse(use.image), rule);
      if (!res.ok) return { status: 'failed', use, error: res.error };
      return { status: 'verified', use, resolution: res.value };
    }),
  );
}

export interface FakeResolverOptions {
  /** Digests that count as signed. */
  signed: readonly string[];
  /** Never answer (to test the deadline). */
  hang?: boolean;
  /** Repositories whose trust server "is down". */
  down?: readonly string[];
}

/** A resolver that signs a fixed set of digests, with counters like a caching resolver exposes. */
export class FakeResolver implements Resolver {
  calls = 0;
  private hits = 0;
  private misses = 0;
  private fetchErrors = 0;
  private readonly seen = new Set<string>();
  constructor(private readonly opts: FakeResolverOptions) {}

  resolve(ref: ImageReference, rule: TrustRule): Promise<Result<Resolution, PinError>> {
    void rule;
    this.calls++;
    if (this.opts.hang === true) return new Promise(() => undefined);
    if (this.seen.has(ref.repository)) this.hits++;
    else {
      this.misses++;
      this.seen.add(ref.repository);
    }
    if (this.opts.down?.includes(ref.repository) === true) {
      this.fetchErrors++;
      return Promise.resolve(
        err(new PinError({ code: 'TRUST_FETCH', message: `GET https://notary.example/v2/${ref.repository}/_trust/tuf/timestamp.json: connect ECONNREFUSED`, hint: 'check that the trust server is reachable', image: ref.original })),
      );
    }
    if (ref.digest !== undefined && this.opts.signed.includes(ref.digest)) {
      return Promise.resolve(ok({ digest: ref.digest, role: 'targets/releases', gun: ref.repository, ...(ref.tag !== undefined && { tag: ref.tag }) }));
    }
    return Promise.resolve(
      err(new PinError({ code: 'UNSIGNED', message: `${ref.digest ?? '(no digest)'} is not a signed target of ${ref.repository}`, hint: 'sign the image with notary, or deploy a signed digest', image: ref.original })),
    );
  }

  stats(): { cacheHits: number; cacheMisses: number; fetchErrors: number } {
    return { cacheHits: this.hits, cacheMisses: this.misses, fetchErrors: this.fetchErrors };
  }
}
