/**
 * POST /validate and GET /healthz, /readyz, /metrics. Hostile input gets an HTTP error answer, never a crash.
 * Logs carry the request uid, never the object (a Pod's env may hold secrets) nor credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { toPinError } from '../errors/errors.js';
import { decide, type Decision } from './decide.js';
import type { PolicySnapshot } from './hot-reload.js';
import { HttpError, readJsonBody, sendJson, sendText } from './http-body.js';
import type { InFlight } from './in-flight.js';
import type { RequestOutcome, RequestReason, WebhookMetrics } from './metrics.js';
import { parseAdmissionReview, type AdmissionReviewRequest } from './review.js';
import { requestTimeoutMs, verificationBudgetMs } from './timeout.js';

export interface RouterContext {
  readonly policy: () => PolicySnapshot;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  readonly inFlight: InFlight;
  readonly maxBodyBytes: number;
  /** Readiness; once shutting down, /validate answers close their connection. */
  readonly state: () => 'starting' | 'ready' | 'shutting down';
}

function outcomeOf(d: Decision): RequestOutcome {
  if (d.reason === 'policy') return 'denied';
  if (d.reason === 'timeout' || d.reason === 'error') return 'error';
  return 'allowed';
}

/** Images answered from stale trust data because their server was unreachable (staleIfErrorSeconds). */
function staleAnswers(d: Decision): { field: string; rule: string; error: string }[] {
  const out: { field: string; rule: string; error: string }[] = [];
  for (const o of d.outcomes ?? []) {
    if ((o.status === 'verified' || o.status === 'pinned') && o.resolution.stale !== undefined) {
      out.push({ field: o.use.field, rule: o.rule ?? '(no rule)', error: o.resolution.stale.slice(0, 256) });
    }
  }
  return out;
}

/** Log fields for a decided request: who and what, never the object. */
function logFields(review: AdmissionReviewRequest, d: Decision, ms: number): Record<string, unknown> {
  const r = review.request;
  const fields: Record<string, unknown> = {
    uid: r.uid,
    apiVersion: review.apiVersion,
    kind: `${r.kind.group === '' ? '' : `${r.kind.group}/`}${r.kind.kind}`,
    subResource: r.subResource === '' ? undefined : r.subResource,
    namespace: r.namespace,
    name: r.name,
    operation: r.operation,
    user: r.userInfo?.username,
    dryRun: r.dryRun === true,
    allowed: d.response.response.allowed,
    reason: d.reason,
    images: d.images,
  };
  if (d.failures.length > 0) {
    fields.failures = d.failures.slice(0, 20).map((f) => ({
      field: f.use.field,
      image: typeof f.use.image === 'string' ? f.use.image.slice(0, 256) : typeof f.use.image,
      code: f.error.code,
    }));
  }
  if (d.waived !== undefined && d.waived.length > 0) {
    fields.notEnforced = d.waived.slice(0, 20).map((w) => ({
      field: w.use.field,
      image: typeof w.use.image === 'string' ? w.use.image.slice(0, 256) : typeof w.use.image,
      code: w.error.code,
      rule: w.rule,
      enforcement: w.enforcement,
    }));
  }
  const stale = staleAnswers(d);
  if (stale.length > 0) fields.stale = stale.slice(0, 20);
  if (d.error !== undefined) fields.error = { code: d.error.code, message: d.error.message };
  fields.ms = Math.round(ms);
  return fields;
}

async function validate(ctx: RouterContext, req: IncomingMessage, res: ServerResponse, url: URL, started: number): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
  const parsed = parseAdmissionReview(await readJsonBody(req, ctx.maxBodyBytes));
  if (!parsed.ok) throw new HttpError(400, parsed.message);
  const review = parsed.review;
  const timeoutMs = requestTimeoutMs(url);
  const budget = verificationBudgetMs(timeoutMs) - (performance.now() - started);
  const decision = await decide(review, ctx.policy(), { budgetMs: Math.max(1, Math.floor(budget)), timeoutMs });
  const ms = performance.now() - started;
  ctx.metrics.observeDecision(decision, outcomeOf(decision), ms / 1000);
  const fields = logFields(review, decision, ms);
  if (decision.reason === 'timeout' || decision.reason === 'error') ctx.logger.warn(fields, 'admission request denied: verification did not complete');
  else if (decision.reason === 'policy') ctx.logger.info(fields, 'admission request denied');
  else if (decision.reason === 'not_enforced') ctx.logger.warn(fields, 'admission request allowed: images failed verification but are not enforced');
  else if (fields.stale !== undefined) ctx.logger.warn(fields, 'admission request allowed from stale trust data: the trust server could not be reached');
  else ctx.logger.info(fields, 'admission request allowed');
  sendJson(res, 200, decision.response, ctx.state() === 'shutting down' ? { connection: 'close' } : {});
}

async function guardedValidate(ctx: RouterContext, req: IncomingMessage, res: ServerResponse, url: URL, started: number): Promise<void> {
  const { inFlight, metrics, logger } = ctx;
  if (!inFlight.tryEnter()) {
    metrics.observe('error', 'bad_request', (performance.now() - started) / 1000);
    logger.warn({ inFlight: inFlight.count, maxInFlight: inFlight.max }, '/validate refused: too many requests in flight');
    req.resume();
    return sendJson(res, 429, { error: `too many requests in flight (${inFlight.max}); retry` }, { 'retry-after': '1' });
  }
  try {
    await validate(ctx, req, res, url, started);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    const message = e instanceof HttpError ? e.message : 'internal error';
    const reason: RequestReason = status === 500 ? 'internal' : 'bad_request';
    metrics.observe('error', reason, (performance.now() - started) / 1000);
    if (status === 500) logger.error({ err: toPinError(e).message }, 'internal error while handling /validate');
    else logger.info({ status, error: message, method: req.method }, '/validate request refused');
    sendJson(res, status, { error: message }, e instanceof HttpError ? e.headers : {});
  } finally {
    inFlight.leave();
  }
}

export function createRouter(ctx: RouterContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://webhook.invalid');
    } catch {
      return sendJson(res, 400, { error: 'invalid request URL' }, { connection: 'close' });
    }
    const path = url.pathname;
    if (path === '/validate') return guardedValidate(ctx, req, res, url, started);
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    const known = path === '/healthz' || path === '/livez' || path === '/readyz' || path === '/metrics';
    if (!known) return sendJson(res, 404, { error: `no route for ${path.slice(0, 100)}` });
    if (!readOnly) return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
    if (path === '/metrics') return sendText(res, 200, await ctx.metrics.registry.metrics(), ctx.metrics.registry.contentType);
    if (path !== '/readyz') return sendText(res, 200, 'ok\n');
    const state = ctx.state();
    return sendText(res, state === 'ready' ? 200 : 503, state === 'ready' ? 'ok\n' : `${state}\n`);
  };
}
