/**
 * The decision core shared by the KRM function and the webhook: collect images → parse → policy → resolve
 * (once per unique image, bounded concurrency) → one outcome per image use. Writes nothing itself.
 */
import { compilePolicy, type CompiledPolicy } from '../config/rules.js';
import type { Enforcement, Spec, TrustRule } from '../config/schema.js';
import { err, PinError, toPinError, type ResourceRef, type Result } from '../errors/errors.js';
import { findImages } from '../workload/find.js';
import { resourceRefOf } from '../workload/ref.js';
import type { WorkloadConfig } from '../workload/location.js';
import { uncheckedFieldError } from './coverage.js';
import { enforcementFor, ruleLabel, verdictFor } from './enforcement.js';
import { parseReference, withDigest } from '../reference/parse.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { Resolution, Resolver } from './port.js';
import { compactRef, Interner } from '../util/intern.js';
import { createLimiter } from '../util/limit.js';

export interface ImageUse {
  resourceIndex: number;
  resource: ResourceRef;
  /** KRM field path, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  path: (string | number)[];
  container?: string;
  /** The value found in the manifest (not necessarily a string). */
  image: unknown;
  /** A string field named `image` that nothing declares an image field: reported, never resolved. */
  unchecked?: true;
}

/** `rule`/`enforcement` name the trust rule that governed the image and its enforcement. */
export type ImageOutcome =
  | { status: 'pinned'; use: ImageUse; resolution: Resolution; newValue: string; changed: boolean; rule?: string; enforcement?: Enforcement }
  | { status: 'verified'; use: ImageUse; resolution: Resolution; rule?: string; enforcement?: Enforcement }
  | { status: 'excluded'; use: ImageUse }
  | { status: 'unchecked'; use: ImageUse; error: PinError }
  | { status: 'failed'; use: ImageUse; error: PinError; rule?: string; enforcement?: Enforcement }
  /** A failure let through by `enforcement: warn | audit`; the field is left as written. */
  | { status: 'waived'; use: ImageUse; error: PinError; enforcement: 'warn' | 'audit'; why: string; rule: string };

export interface EvaluateOptions {
  mode: 'pin' | 'verify';
  /** Compiled once by a long-running caller (the webhook); else compiled from `spec`. */
  policy?: CompiledPolicy;
  /** Aborted when the caller stops waiting: nothing starts after it, and unresolved images fail with DEADLINE. */
  signal?: AbortSignal;
  /** Most distinct repositories (webhook): nothing starts before `finish`, which over it rejects (TOO_MANY_IMAGES). */
  maxRepositories?: number;
}

/** `owned: false` for objects from JSON.parse (the webhook's reviews): their strings are no slices of the input. */
export function collectImageUses(resources: readonly unknown[], config: WorkloadConfig, owned = true): ImageUse[] {
  const uses: ImageUse[] = [];
  const strings = new Interner(owned);
  resources.forEach((resource, resourceIndex) => collectResourceImageUses(resource, resourceIndex, config, uses, strings));
  return uses;
}

/** `collectImageUses` for one resource, appended to `into`: for callers that see resources one at a time. */
export function collectResourceImageUses(
  resource: unknown,
  resourceIndex: number,
  config: WorkloadConfig,
  into: ImageUse[],
  strings: Interner = new Interner(),
): void {
  const locs = findImages(resource, config);
  if (locs.length === 0) return;
  // Uses outlive the input: their strings are owned or pooled, never slices of it.
  const top = compactRef(resourceRefOf(resource), strings);
  const itemRefs = new Map<ResourceRef, ResourceRef>();
  const refOf = (r: ResourceRef | undefined): ResourceRef => {
    if (r === undefined) return top;
    let c = itemRefs.get(r);
    if (c === undefined) itemRefs.set(r, (c = compactRef(r, strings)));
    return c;
  };
  for (const loc of locs) {
    const use: ImageUse = {
      resourceIndex,
      resource: refOf(loc.resource),
      field: strings.intern(loc.field),
      path: loc.path.map((seg) => (typeof seg === 'string' ? strings.intern(seg) : seg)),
      image: typeof loc.value === 'string' ? strings.intern(loc.value) : loc.value,
    };
    if (loc.container !== undefined) use.container = strings.intern(loc.container);
    if (loc.kind === 'unchecked') use.unchecked = true;
    into.push(use);
  }
}

type Plan =
  | { kind: 'excluded' }
  | { kind: 'unchecked'; error: PinError }
  | { kind: 'failed'; error: PinError; rule?: TrustRule; ruleIndex?: number }
  | {
      kind: 'resolve';
      key: string;
      ref: ImageReference;
      query: ImageReference;
      rule: TrustRule;
      ruleIndex: number;
    };

function withoutDigest(ref: ImageReference): ImageReference {
  const { digest: _digest, ...rest } = ref;
  return rest;
}

function canonicalKey(ruleIndex: number, ref: ImageReference): string {
  return `${ruleIndex}\u0000${ref.repository}\u0000${ref.tag ?? ''}\u0000${ref.digest ?? ''}`;
}

const PLACEHOLDER_HINT =
  'if the value is a build placeholder and not an image, a spec.exclude pattern that matches it as written (e.g. "ko://**") leaves it alone';

/** Not an image reference: excluded only by a pattern matching it as written (`ko://...`), else REFERENCE_INVALID. */
function notAReference(e: unknown, value: string, policy: CompiledPolicy): Plan {
  if (policy.isExcludedValue(value)) return { kind: 'excluded' };
  const error = toPinError(e, 'REFERENCE_INVALID');
  if (error.code !== 'REFERENCE_INVALID') return { kind: 'failed', error };
  const hint = error.hint !== undefined ? `${error.hint}; ${PLACEHOLDER_HINT}` : PLACEHOLDER_HINT;
  return { kind: 'failed', error: new PinError({ code: error.code, message: error.message, hint, image: error.image, cause: error }) };
}

function plan(use: ImageUse, policy: CompiledPolicy, mode: 'pin' | 'verify'): Plan {
  // Long: one early return per check, in the order a person would fix them.
  if (typeof use.image !== 'string') {
    return {
      kind: 'failed',
      error: new PinError({
        code: 'REFERENCE_INVALID',
        message: `image must be a string, got ${use.image === null ? 'null' : typeof use.image}`,
        hint: 'write the image as a string such as "registry.example.com/app:1.0"',
      }),
    };
  }
  let ref: ImageReference;
  try {
    ref = parseReference(use.image);
  } catch (e) {
    return notAReference(e, use.image, policy);
  }
  if (policy.isExcluded(ref)) return { kind: 'excluded' };
  const match = policy.ruleFor(ref, use.resource.namespace);
  if (!match) {
    return {
      kind: 'failed',
      error: new PinError({
        code: 'NO_TRUST_RULE',
        message: `no trust rule matches ${ref.repository}`,
        hint: `add a spec.trust rule whose images match "${ref.repository}" (e.g. images: ["${ref.domain}/**"]), or list it in spec.exclude`,
      }),
    };
  }
  if (mode === 'verify' && ref.digest === undefined) {
    return {
      kind: 'failed',
      rule: match.rule,
      ruleIndex: match.index,
      error: new PinError({
        code: 'NOT_PINNED',
        message: "not pinned by digest (verify mode requires repo@sha256:… or repo:tag@sha256:…)",
        hint: 'pin it with notary-pin (spec.mode: pin) so it reads repo:tag@sha256:<digest>',
      }),
    };
  }
  // pin mode re-resolves the tag (refreshing an old pin); a digest-only reference is verified as is.
  const query = mode === 'pin' && ref.tag !== undefined ? withoutDigest(ref) : ref;
  return { kind: 'resolve', key: canonicalKey(match.index, query), ref, query, rule: match.rule, ruleIndex: match.index };
}

/** The webhook's entry: `resources` are parsed JSON (AdmissionReview objects). */
export async function evaluate(
  resources: readonly unknown[],
  spec: Spec,
  resolver: Resolver,
  opts: EvaluateOptions,
): Promise<ImageOutcome[]> {
  return evaluateUses(collectImageUses(resources, spec, false), spec, resolver, opts);
}

export async function evaluateUses(uses: readonly ImageUse[], spec: Spec, resolver: Resolver, opts: EvaluateOptions): Promise<ImageOutcome[]> {
  const evaluation = startEvaluation(spec, resolver, opts);
  for (const use of uses) evaluation.add(use);
  return evaluation.finish();
}

export interface Evaluation {
  add(use: ImageUse): void;
  finish(): Promise<ImageOutcome[]>;
}

type ResolvePlan = Extract<Plan, { kind: 'resolve' }>;
type Resolved = Result<Resolution, PinError>;

function sourceOf(resolver: Resolver, p: ResolvePlan): string {
  try {
    const s = resolver.sourceOf?.(p.query, p.rule);
    if (s !== undefined && s !== '') return s;
  } catch {
  }
  return p.rule.server ?? p.rule.trustDir ?? `the default trust server for ${p.ref.domain}`;
}

/** The DEADLINE failure of images waiting on `source` (one error per source). */
function deadlineError(source: string): PinError {
  return new PinError({
    code: 'DEADLINE',
    message: `no verified trust data before the deadline: still waiting for ${source}`,
    hint: "check that this trust server is reachable and fast; keep the trust rule's timeoutSeconds well below the webhook's",
  });
}

function tooManyRepositories(images: number, max: number): PinError {
  return new PinError({
    code: 'TOO_MANY_IMAGES',
    message: `its ${images} images name more than ${max} distinct repositories, the most verified per review (spec.maxRepositoriesPerReview)`,
    hint: `split the workload, or raise spec.maxRepositoriesPerReview (now ${max}) in the NotaryPin config`,
  });
}

/**
 * Resolves each unique (rule, image) once, bounding repositories (GUNs), not images: a repository's first
 * image loads its trust data in one of `concurrency` slots, the rest then hit the resolver's cache.
 */
function createResolutions(resolver: Resolver, concurrency: number, signal: AbortSignal | undefined) {
  const limit = createLimiter(concurrency);
  const pending = new Map<string, Promise<Resolved>>();
  const firstOfRepository = new Map<string, Promise<void>>();
  const aborted =
    signal === undefined
      ? undefined
      : new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  const deadlines = new Map<string, Resolved>();
  const deadline = (p: ResolvePlan): Resolved => {
    const source = sourceOf(resolver, p);
    let d = deadlines.get(source);
    if (d === undefined) deadlines.set(source, (d = err(deadlineError(source))));
    return d;
  };
  const resolveOne = (p: ResolvePlan): Promise<Resolved> => {
    if (signal?.aborted === true) return Promise.resolve(deadline(p));
    const answer = signal === undefined ? resolver.resolve(p.query, p.rule) : resolver.resolve(p.query, p.rule, { signal });
    return answer.catch((e: unknown) => ({ ok: false as const, error: toPinError(e) }));
  };
  return {
    schedule(p: ResolvePlan): void {
      if (pending.has(p.key)) return;
      const group = `${p.ruleIndex}\u0000${p.ref.repository}`;
      const first = firstOfRepository.get(group);
      // Notation has no per-repository trust data: a repository's images start together once it has a slot.
      const notation = p.rule.notation !== undefined;
      let result: Promise<Resolved>;
      if (first === undefined) {
        let started: () => void = () => {};
        const slot = new Promise<void>((resolve) => (started = resolve));
        result = limit(() => (started(), resolveOne(p)));
        firstOfRepository.set(group, notation ? slot : result.then(() => undefined));
      } else {
        result = first.then(() => (notation ? resolveOne(p) : limit(() => resolveOne(p))));
      }
      if (aborted !== undefined) result = Promise.race([result, aborted.then(() => deadline(p))]);
      pending.set(p.key, result);
    },
    result: (key: string): Promise<Resolved> => pending.get(key)!,
  };
}

function failure(use: ImageUse, error: PinError, spec: Spec, rule: TrustRule | undefined, index: number | undefined): ImageOutcome {
  const label = ruleLabel(rule, index);
  const v = verdictFor(error, spec, rule, index);
  if (v.kind === 'fail') return { status: 'failed', use, error, rule: label, enforcement: enforcementFor(spec, rule) };
  return { status: 'waived', use, error, enforcement: v.enforcement, why: v.why, rule: label };
}

function outcomesOf(
  uses: readonly ImageUse[],
  plans: readonly Plan[],
  resolved: (key: string) => Promise<Resolved>,
  spec: Spec,
  mode: 'pin' | 'verify',
): Promise<ImageOutcome[]> {
  const pinnedValue = new Map<Plan, string>();
  const keepTag = spec.reference === 'tag-and-digest';
  return Promise.all(
    uses.map(async (use, i): Promise<ImageOutcome> => {
      const p = plans[i]!;
      if (p.kind === 'excluded') return { status: 'excluded', use };
      if (p.kind === 'unchecked') {
        const error = p.error.with({ image: String(use.image) });
        return spec.coverage === 'strict' ? { status: 'failed', use, error } : { status: 'unchecked', use, error };
      }
      if (p.kind === 'failed') return failure(use, p.error.with({ image: String(use.image) }), spec, p.rule, p.ruleIndex);
      const result = await resolved(p.key);
      if (!result.ok) return failure(use, result.error.with({ image: p.ref.original }), spec, p.rule, p.ruleIndex);
      const resolution = result.value;
      const rule = ruleLabel(p.rule, p.ruleIndex);
      const enforcement = enforcementFor(spec, p.rule);
      if (mode === 'verify') return { status: 'verified', use, resolution, rule, enforcement };
      let newValue = pinnedValue.get(p);
      if (newValue === undefined) pinnedValue.set(p, (newValue = withDigest(p.ref, resolution.digest, keepTag)));
      return { status: 'pinned', use, resolution, newValue, changed: newValue !== use.image, rule, enforcement };
    }),
  );
}

/** `evaluateUses`, incrementally: the KRM function adds uses while still parsing, overlapping parse and resolution. */
export function startEvaluation(spec: Spec, resolver: Resolver, opts: EvaluateOptions): Evaluation {
  const policy = opts.policy ?? compilePolicy(spec);
  // A plan depends only on the image string (and policy and mode): plan each distinct string once.
  const planFor = new Map<string, Plan>();
  const uses: ImageUse[] = [];
  const plans: Plan[] = [];
  const resolutions = createResolutions(resolver, spec.concurrency, opts.signal);
  // With a repository cap nothing starts before finish(): a review over the cap costs no fetch.
  const max = opts.maxRepositories;
  const repositories = new Set<string>();
  let overCapUses = 0;

  return {
    add(use) {
      if (max !== undefined && repositories.size > max) {
        overCapUses++;
        return;
      }
      let p: Plan;
      if (use.unchecked === true) p = { kind: 'unchecked', error: uncheckedFieldError(use) };
      else if (typeof use.image !== 'string') p = plan(use, policy, opts.mode);
      else {
        // Rules may depend on the namespace: the same image in another namespace is planned again.
        const key = `${use.resource.namespace ?? ''}\u0000${use.image}`;
        const known = planFor.get(key);
        if (known === undefined) planFor.set(key, (p = plan(use, policy, opts.mode)));
        else p = known;
      }
      uses.push(use);
      plans.push(p);
      if (p.kind !== 'resolve') return;
      if (max === undefined) resolutions.schedule(p);
      else repositories.add(p.ref.repository);
    },
    finish() {
      if (max !== undefined) {
        if (repositories.size > max) return Promise.reject(tooManyRepositories(uses.length + overCapUses, max));
        for (const p of plans) if (p.kind === 'resolve') resolutions.schedule(p);
      }
      return outcomesOf(uses, plans, resolutions.result, spec, opts.mode);
    },
  };
}
