/**
 * The admission decision from the engine's verify-mode outcomes. The webhook never mutates; it admits
 * only when every image is pinned and its digest signed. Anything else, timeouts and errors included, is denied.
 */
import type { CompiledPolicy } from '../config/rules.js';
import type { Spec } from '../config/schema.js';
import type { EvaluateOptions, ImageOutcome } from '../engine/evaluate.js';
import { PinError, toPinError } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';
import { deadlineMessage, denialMessage, errorMessage, exclusionWarnings, notEnforcedWarnings, timeoutMessage, uncheckedWarnings, unverifiedWarnings, type Subject } from '../report/admission.js';
import { apiVersionOf } from '../workload/kinds.js';
import { allowResponse, denyResponse, type AdmissionRequest, type AdmissionReviewRequest, type AdmissionReviewResponse } from './review.js';

export type EvaluateFn = (
  resources: readonly unknown[],
  spec: Spec,
  resolver: Resolver,
  opts: EvaluateOptions,
) => Promise<ImageOutcome[]>;

export interface DecideDeps {
  spec: Spec;
  resolver: Resolver;
  evaluate: EvaluateFn;
  /** Compiled once by the long-running server. */
  policy?: CompiledPolicy;
}

export interface DecideOptions {
  /** Verification must end within this many ms, else the request is denied. */
  budgetMs: number;
  /** The API server's timeout the budget came from (for the message); default budgetMs. */
  timeoutMs?: number;
}

type Failed = Extract<ImageOutcome, { status: 'failed' }>;
type Waived = Extract<ImageOutcome, { status: 'waived' }>;

/** `skipped`/`verified`/`not_enforced` are allowed; `policy`, `timeout` and `error` are denied (fail closed). */
export type DecisionReason = 'skipped' | 'verified' | 'not_enforced' | 'policy' | 'timeout' | 'error';

export interface Decision {
  response: AdmissionReviewResponse;
  reason: DecisionReason;
  /** Empty unless reason is `policy` or `timeout`. */
  failures: Failed[];
  /** Failed but let through by `enforcement: warn | audit`. */
  waived?: Waived[];
  outcomes?: readonly ImageOutcome[];
  images: number;
  /** When the oldest trust data behind a `verified` decision was verified. */
  trustVerifiedAt?: Date;
  error?: PinError;
}

const CHECKED_OPERATIONS = new Set(['CREATE', 'UPDATE']);

/**
 * CREATE and UPDATE of any kind a webhook rule sends, and `pods/ephemeralcontainers`; other subresources,
 * DELETE and CONNECT are allowed untouched.
 */
export function isChecked(request: AdmissionRequest): boolean {
  if (!CHECKED_OPERATIONS.has(request.operation)) return false;
  const sub = request.subResource ?? '';
  if (sub === '') return true;
  // Adding ephemeral containers updates this subresource; its object is the Pod (before 1.22, EphemeralContainers).
  return request.resource.group === '' && request.resource.resource === 'pods' && sub === 'ephemeralcontainers';
}

function subjectOf(request: AdmissionRequest): Subject {
  const s: Subject = { kind: request.kind.kind };
  if (request.namespace !== undefined) s.namespace = request.namespace;
  if (request.name !== undefined) s.name = request.name;
  return s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The object the engine sees, typed by `request.kind`, never by what it claims (another kind is INPUT_INVALID);
 * namespace filled from the request; a pre-1.22 `EphemeralContainers` object becomes the Pod shape.
 */
export function objectForEngine(request: AdmissionRequest): Record<string, unknown> {
  const obj = request.object;
  if (!isRecord(obj)) {
    throw new PinError({
      code: 'INPUT_INVALID',
      message: `${request.operation} request without an object`,
      hint: 'the API server sends the object for CREATE and UPDATE; check what is calling the webhook',
    });
  }
  const { group, version, kind } = request.kind;
  const apiVersion = apiVersionOf(group, version);
  for (const [field, want] of [['kind', kind], ['apiVersion', apiVersion]] as const) {
    const got = obj[field];
    if (got !== undefined && got !== want) {
      throw new PinError({
        code: 'INPUT_INVALID',
        message: `the object's ${field} ${JSON.stringify(got)} does not match the request's ${field} ${JSON.stringify(want)}`,
        hint: 'the API server sends the object in the kind and version of the request; check what is calling the webhook',
      });
    }
  }
  const metadata = isRecord(obj.metadata) ? { ...obj.metadata } : {};
  if (metadata.namespace === undefined && request.namespace !== undefined && request.namespace !== '') {
    metadata.namespace = request.namespace;
  }
  if (kind === 'EphemeralContainers') {
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { ephemeralContainers: obj.ephemeralContainers ?? [] } };
  }
  return { ...obj, apiVersion, kind, metadata };
}

const TIMED_OUT = Symbol('timed out');
/** Time the engine gets to hand back outcomes once aborted, before the bare timeout denial. */
const ABORT_GRACE_MS = 50;

/** Runs `p` against a deadline; a late rejection is swallowed so it cannot crash the process. */
async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  p.catch(() => undefined);
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outcomes for `object`: at `budgetMs` the review aborts (DEADLINE); an engine silent after a grace: TIMED_OUT. */
async function evaluateWithin(object: Record<string, unknown>, deps: DecideDeps, budgetMs: number): Promise<ImageOutcome[] | typeof TIMED_OUT> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budgetMs);
  let answered = false;
  try {
    const opts: EvaluateOptions = { mode: 'verify', policy: deps.policy, signal: controller.signal, maxRepositories: deps.spec.maxRepositoriesPerReview };
    const outcomes = await withDeadline(
      Promise.resolve().then(() => deps.evaluate([object], deps.spec, deps.resolver, opts)),
      budgetMs + ABORT_GRACE_MS,
    );
    answered = outcomes !== TIMED_OUT;
    return outcomes;
  } finally {
    clearTimeout(timer);
    // After a throw or an engine that ignored the abort, whatever still runs is no longer needed.
    if (!answered) controller.abort();
  }
}

function oldestVerification(outcomes: readonly ImageOutcome[]): Date | undefined {
  let oldest: Date | undefined;
  for (const o of outcomes) {
    if (o.status !== 'verified') continue;
    const at = o.resolution.verifiedAt;
    if (at === undefined) return undefined;
    if (oldest === undefined || at < oldest) oldest = at;
  }
  return oldest;
}

function fromOutcomes(review: AdmissionReviewRequest, subject: Subject, outcomes: readonly ImageOutcome[], opts: DecideOptions): Decision {
  const failures: Failed[] = [];
  const excluded: Extract<ImageOutcome, { status: 'excluded' }>[] = [];
  const unchecked: Extract<ImageOutcome, { status: 'unchecked' }>[] = [];
  const waived: Waived[] = [];
  for (const o of outcomes) {
    if (o.status === 'failed') failures.push(o);
    else if (o.status === 'waived') waived.push(o);
    else if (o.status === 'excluded') excluded.push(o);
    else if (o.status === 'unchecked') unchecked.push(o);
    else if (o.status === 'pinned') {
      // Verify mode never rewrites; an engine that says "pinned" here is a bug: fail closed.
      failures.push({
        status: 'failed',
        use: o.use,
        error: new PinError({ code: 'INTERNAL', message: 'the engine returned a pin result in verify mode', hint: 'report this bug' }),
      });
    }
  }
  // Not-enforced failures first: the API server keeps only the first warnings.
  const warnings = [...notEnforcedWarnings(waived), ...uncheckedWarnings(unchecked), ...exclusionWarnings(excluded), ...unverifiedWarnings(outcomes)];
  const images = outcomes.length;
  if (failures.some((f) => f.error.code === 'DEADLINE')) {
    const message = deadlineMessage(subject, opts.timeoutMs ?? opts.budgetMs, failures);
    return { response: denyResponse(review, message, warnings), reason: 'timeout', failures, waived, outcomes, images };
  }
  if (failures.length > 0) {
    return { response: denyResponse(review, denialMessage(subject, failures), warnings), reason: 'policy', failures, waived, outcomes, images };
  }
  const reason = waived.length > 0 ? 'not_enforced' : 'verified';
  const decision: Decision = { response: allowResponse(review, warnings), reason, failures: [], waived, outcomes, images };
  const at = oldestVerification(outcomes);
  if (at !== undefined) decision.trustVerifiedAt = at;
  return decision;
}

/** Decides one AdmissionReview; never throws nor overruns `opts.budgetMs` much. dryRun is checked like the rest. */
export async function decide(review: AdmissionReviewRequest, deps: DecideDeps, opts: DecideOptions): Promise<Decision> {
  const { request } = review;
  const subject = subjectOf(request);
  if (!isChecked(request)) {
    return { response: allowResponse(review), reason: 'skipped', failures: [], images: 0 };
  }
  let outcomes: ImageOutcome[] | typeof TIMED_OUT;
  try {
    outcomes = await evaluateWithin(objectForEngine(request), deps, opts.budgetMs);
  } catch (e) {
    const error = toPinError(e);
    // Over the repository cap is a refusal by policy, not a failure to verify.
    const reason = error.code === 'TOO_MANY_IMAGES' ? 'policy' : 'error';
    return { response: denyResponse(review, errorMessage(subject, error)), reason, failures: [], images: 0, error };
  }
  if (outcomes === TIMED_OUT) {
    return { response: denyResponse(review, timeoutMessage(subject, opts.timeoutMs ?? opts.budgetMs)), reason: 'timeout', failures: [], images: 0 };
  }
  return fromOutcomes(review, subject, outcomes, opts);
}
