/**
 * The validating admission webhook server (HTTPS, HTTP/1.1).
 *
 *   POST /validate   AdmissionReview (admission.k8s.io/v1 or v1beta1) → AdmissionReview response
 *   GET  /healthz    liveness: the process serves requests
 *   GET  /readyz     readiness: config loaded, listening, not shutting down
 *   GET  /metrics    Prometheus text (own registry)
 *
 * Hostile or broken input gets a proper HTTP answer (400/404/405/413/415) and never takes the
 * server down; every wait is bounded (header, request, idle and TLS handshake timeouts, the API
 * server's `?timeout=`, the shutdown grace period). Logs are JSON (pino) and carry the request uid,
 * never the object (a Pod's env may hold secrets) nor credentials.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadConfigFile } from '../config/load.js';
import { compilePolicy } from '../config/rules.js';
import type { Spec } from '../config/schema.js';
import { evaluate as engineEvaluate } from '../engine/evaluate.js';
import { toPinError } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';
import { decide, type Decision, type EvaluateFn } from './decide.js';
import { createMetrics, type RequestOutcome, type RequestReason, type WebhookMetrics } from './metrics.js';
import { parseAdmissionReview, type AdmissionReviewRequest } from './review.js';
import { requestTimeoutMs, verificationBudgetMs } from './timeout.js';
import { loadKeyPair, TLS_BASE_OPTIONS, type KeyPair } from './tls.js';
import { FileReloader } from './reload.js';

/** Twice the etcd object limit (1.5 MiB): object plus oldObject of an UPDATE, plus envelope. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface WebhookServerOptions {
  /** The validated NotaryPin spec (same schema as the KRM function). */
  spec: Spec;
  /** The trust resolver (inject a fake in tests). */
  resolver: Resolver;
  /** The engine's evaluate; default `src/engine/evaluate.ts`. */
  evaluate?: EvaluateFn;
  certFile: string;
  keyFile: string;
  /** Default 8443. 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1; the CLI passes 0.0.0.0 in a cluster. */
  host?: string;
  /** Default: JSON to stdout at level info. */
  logger?: Logger;
  maxBodyBytes?: number;
  /** Fallback poll interval for certificate changes (default 10 s). */
  certPollIntervalMs?: number;
  /** Collect process metrics (CPU, memory, event loop) too. */
  defaultMetrics?: boolean;
  /** After close() starts: keep serving this long with /readyz failing, so endpoints drain (default 0). */
  shutdownDelayMs?: number;
  /** Bound for in-flight requests to finish on close() before connections are cut (default 15 s). */
  shutdownGraceMs?: number;
  /**
   * Most /validate requests handled at once (default 512). Beyond it the answer is 429 with
   * Retry-After: the API server then applies the webhook's failurePolicy (Fail: denied), so a flood
   * costs bounded memory and never admits anything.
   */
  maxInFlight?: number;
  /**
   * Reload the policy when this config file changes (a ConfigMap edit), without a restart: the new
   * spec is validated first (an invalid one is logged and ignored), then the spec, the compiled
   * policy and a new resolver from `resolverFor` replace the old ones for the next requests.
   */
  config?: { file: string; resolverFor: (spec: Spec) => Resolver; pollIntervalMs?: number };
}

export interface WebhookServer {
  /** `https://host:port`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly metrics: WebhookMetrics;
  /** True once listening and until shutdown begins. */
  ready(): boolean;
  /** Re-reads the certificate files now (the watcher does this by itself). */
  reloadCertificates(): Promise<boolean>;
  /** Re-reads the config file now, when `config` was given (the watcher does this by itself). */
  reloadConfig(): Promise<boolean>;
  /** Graceful stop: readiness off, optional drain delay, stop accepting, wait for in-flight (bounded). */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const media = header.split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
}

/** Reads the body up to `max` bytes; a larger body is a 413 (the rest is not buffered). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    return Promise.reject(new HttpError(413, `request body larger than ${max} bytes`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (e !== undefined) reject(e);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        req.resume(); // discard the rest; the connection is closed after the answer
        finish(new HttpError(413, `request body larger than ${max} bytes`, { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (e) => finish(e));
    req.once('aborted', () => finish(new Error('request aborted')));
  });
}

function outcomeOf(d: Decision): RequestOutcome {
  if (d.reason === 'policy') return 'denied';
  if (d.reason === 'timeout' || d.reason === 'error') return 'error';
  return 'allowed';
}

/** Log fields for a decided request: who and what, never the object. */
function logFields(review: AdmissionReviewRequest, d: Decision, ms: number): Record<string, unknown> {
  const r = review.request;
  return {
    uid: r.uid,
    apiVersion: review.apiVersion,
    kind: `${r.kind.group === '' ? '' : `${r.kind.group}/`}${r.kind.kind}`,
    ...(r.subResource !== undefined && r.subResource !== '' && { subResource: r.subResource }),
    namespace: r.namespace,
    name: r.name,
    operation: r.operation,
    user: r.userInfo?.username,
    dryRun: r.dryRun === true,
    allowed: d.response.response.allowed,
    reason: d.reason,
    images: d.images,
    ...(d.failures.length > 0 && {
      failures: d.failures.slice(0, 20).map((f) => ({
        field: f.use.field,
        image: typeof f.use.image === 'string' ? f.use.image.slice(0, 256) : typeof f.use.image,
        code: f.error.code,
      })),
    }),
    ...(d.error !== undefined && { error: { code: d.error.code, message: d.error.message } }),
    ms: Math.round(ms),
  };
}

/** Starts the HTTPS server; resolves once it listens. */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const logger = opts.logger ?? pino({ base: { component: 'notary-pin-webhook' } });
  const evaluate = opts.evaluate ?? engineEvaluate;
  const policy = compilePolicy(opts.spec);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxInFlight = opts.maxInFlight ?? 512;
  // Mutable: a config reload swaps spec, policy and resolver for the requests that come after it.
  const deps = { spec: opts.spec, resolver: opts.resolver, evaluate, policy };
  // Cache statistics follow whichever resolver is current.
  const statsSource =
    typeof (opts.resolver as { stats?: unknown }).stats === 'function'
      ? { stats: () => (deps.resolver as unknown as { stats: () => unknown }).stats?.() ?? {} }
      : {};
  const metrics = createMetrics({ resolver: statsSource, defaultMetrics: opts.defaultMetrics === true });

  const initial = await loadKeyPair(opts.certFile, opts.keyFile);
  let listening = false;
  let shuttingDown = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  async function handleValidate(req: IncomingMessage, res: ServerResponse, url: URL, started: number): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new HttpError(415, 'Content-Type must be application/json', { connection: 'close' });
    }
    const body = await readBody(req, maxBody);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'request body is not valid JSON');
    }
    const parsed = parseAdmissionReview(json);
    if (!parsed.ok) throw new HttpError(400, parsed.message);
    const review = parsed.review;
    const timeoutMs = requestTimeoutMs(url);
    const budget = verificationBudgetMs(timeoutMs) - (performance.now() - started);
    const decision = await decide(review, deps, { budgetMs: Math.max(1, Math.floor(budget)), timeoutMs });
    const ms = performance.now() - started;
    metrics.observe(outcomeOf(decision), decision.reason, ms / 1000);
    metrics.imageFailures(decision.failures.map((f) => f.error.code));
    const fields = logFields(review, decision, ms);
    if (decision.reason === 'timeout' || decision.reason === 'error') logger.warn(fields, 'admission request denied: verification did not complete');
    else if (decision.reason === 'policy') logger.info(fields, 'admission request denied');
    else logger.info(fields, 'admission request allowed');
    sendJson(res, 200, decision.response, shuttingDown ? { connection: 'close' } : {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://webhook.invalid');
    } catch {
      sendJson(res, 400, { error: 'invalid request URL' }, { connection: 'close' });
      return;
    }
    const path = url.pathname;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/healthz' || path === '/livez') {
      if (!readOnly) return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      return sendText(res, 200, 'ok\n');
    }
    if (path === '/readyz') {
      if (!readOnly) return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      const ready = listening && !shuttingDown;
      return sendText(res, ready ? 200 : 503, ready ? 'ok\n' : shuttingDown ? 'shutting down\n' : 'starting\n');
    }
    if (path === '/metrics') {
      if (!readOnly) return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      return sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
    }
    if (path !== '/validate') return sendJson(res, 404, { error: `no route for ${path.slice(0, 100)}` });
    if (inFlight >= maxInFlight) {
      metrics.observe('error', 'bad_request', (performance.now() - started) / 1000);
      logger.warn({ inFlight, maxInFlight }, '/validate refused: too many requests in flight');
      req.resume();
      return sendJson(res, 429, { error: `too many requests in flight (${maxInFlight}); retry` }, { 'retry-after': '1' });
    }

    inFlight++;
    metrics.inFlight.inc();
    try {
      await handleValidate(req, res, url, started);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof HttpError ? e.message : 'internal error';
      const reason: RequestReason = status === 500 ? 'internal' : 'bad_request';
      metrics.observe('error', reason, (performance.now() - started) / 1000);
      if (status === 500) logger.error({ err: toPinError(e).message }, 'internal error while handling /validate');
      else logger.info({ status, error: message, method: req.method }, '/validate request refused');
      sendJson(res, status, { error: message }, e instanceof HttpError ? e.headers : {});
    } finally {
      inFlight--;
      metrics.inFlight.dec();
      if (inFlight === 0) idle?.();
    }
  }

  const server = createServer(
    {
      ...TLS_BASE_OPTIONS,
      cert: initial.cert,
      key: initial.key,
      handshakeTimeout: 10_000,
      // Header/request bounds are enforced on this check interval.
      connectionsCheckingInterval: 1000,
      headersTimeout: 10_000,
      requestTimeout: 45_000,
      // Longer than the API server's idle-connection timeout (Go's default 90 s), so the client
      // closes idle connections first and never sends a POST on a socket we are closing.
      keepAliveTimeout: 120_000,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((e: unknown) => {
        logger.error({ err: toPinError(e).message }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    },
  );
  server.timeout = 130_000; // idle socket
  server.on('clientError', (e, socket) => {
    logger.debug({ err: e.message }, 'client error');
    if (socket.writable && !(e as NodeJS.ErrnoException).code?.startsWith('ECONNRESET')) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    socket.destroy();
  });
  server.on('tlsClientError', (e) => logger.debug({ err: e.message }, 'TLS handshake failed'));

  const reloader = await FileReloader.start<KeyPair>(
    {
      what: 'TLS certificate',
      files: [opts.certFile, opts.keyFile],
      load: () => loadKeyPair(opts.certFile, opts.keyFile),
      apply: (pair) => server.setSecureContext({ ...TLS_BASE_OPTIONS, cert: pair.cert, key: pair.key }),
      describe: (pair) => ({ subject: pair.subject, notAfter: pair.notAfter, fingerprint256: pair.fingerprint256 }),
      onResult: (result) => metrics.tlsReloads.inc({ result }),
      logger,
      ...(opts.certPollIntervalMs !== undefined && { pollIntervalMs: opts.certPollIntervalMs }),
    },
    initial,
  );

  const configFile = opts.config;
  const configReloader =
    configFile === undefined
      ? undefined
      : await FileReloader.start<{ hash: string; spec: Spec }>(
          {
            what: 'config',
            files: [configFile.file],
            load: async () => {
              const text = await readFile(configFile.file);
              const spec = await loadConfigFile(configFile.file);
              return { hash: createHash('sha256').update(text).digest('hex'), spec };
            },
            apply: ({ spec }) => {
              const nextPolicy = compilePolicy(spec);
              const nextResolver = configFile.resolverFor(spec);
              const previous = deps.resolver;
              Object.assign(deps, { spec, policy: nextPolicy, resolver: nextResolver });
              // Requests already running keep the old resolver; close it once they are surely done.
              setTimeout(() => void previous.close?.().catch(() => {}), opts.shutdownGraceMs ?? 15_000).unref();
            },
            describe: ({ spec, hash }) => ({ rules: spec.trust.length, exclude: spec.exclude.length, sha256: hash.slice(0, 12) }),
            onResult: (result) => metrics.configReloads.inc({ result }),
            logger,
            ...(configFile.pollIntervalMs !== undefined && { pollIntervalMs: configFile.pollIntervalMs }),
          },
          { hash: createHash('sha256').update(await readFile(configFile.file)).digest('hex'), spec: opts.spec },
        );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8443, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    reloader.close();
    configReloader?.close();
    throw e;
  });
  server.on('error', (e) => logger.error({ err: e.message }, 'server error'));
  listening = true;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info(
    { address: address.address, port: address.port, subject: initial.subject, notAfter: initial.notAfter, rules: opts.spec.trust.length },
    'webhook listening',
  );

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    shuttingDown = true;
    const delay = opts.shutdownDelayMs ?? 0;
    if (delay > 0) {
      logger.info({ delayMs: delay }, 'shutting down: readiness off, still serving while endpoints drain');
      await new Promise((r) => setTimeout(r, delay));
    }
    reloader.close();
    configReloader?.close();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = opts.shutdownGraceMs ?? 15_000;
    if (inFlight > 0) {
      logger.info({ inFlight, graceMs: grace }, 'waiting for in-flight requests');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, grace);
        idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    server.closeAllConnections();
    await stopped;
    listening = false;
    logger.info('webhook stopped');
  }

  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    server,
    metrics,
    ready: () => listening && !shuttingDown,
    reloadCertificates: () => reloader.check(),
    reloadConfig: () => configReloader?.check() ?? Promise.resolve(false),
    close: () => (closing ??= close()),
  };
}

export interface RunWebhookOptions {
  configPath: string;
  certFile: string;
  keyFile: string;
  port: number;
  host: string;
  /** Builds the resolver for the loaded spec; default: the CLI's (Notary v1 or Notation, by rule). */
  resolverFor?: (spec: Spec) => Resolver;
  /** Default 5 s: keep serving after SIGTERM while the Service endpoints drain. */
  shutdownDelayMs?: number;
  /** Default 15 s. */
  shutdownGraceMs?: number;
  /** Most /validate requests at once (default 512); see WebhookServerOptions.maxInFlight. */
  maxInFlight?: number;
}

/**
 * The `notary-pin webhook` command: load the config, build the resolver, serve until SIGTERM or
 * SIGINT, then shut down gracefully. Resolves after shutdown.
 */
export async function runWebhook(opts: RunWebhookOptions): Promise<void> {
  const logger = pino({ base: { component: 'notary-pin-webhook' } });
  const spec = await loadConfigFile(opts.configPath);
  if (spec.mode === 'pin') {
    logger.info('spec.mode is "pin"; the webhook never mutates and always verifies');
  }
  const resolverFor = opts.resolverFor ?? (await import('../cli/resolver.js')).webhookResolverFor;
  const resolver = resolverFor(spec);
  const server = await startWebhookServer({
    spec,
    resolver,
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    port: opts.port,
    host: opts.host,
    logger,
    defaultMetrics: true,
    shutdownDelayMs: opts.shutdownDelayMs ?? 5000,
    shutdownGraceMs: opts.shutdownGraceMs ?? 15_000,
    ...(opts.maxInFlight !== undefined && { maxInFlight: opts.maxInFlight }),
    config: { file: opts.configPath, resolverFor },
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutdown requested');
  // A second signal, or a shutdown that overruns its bounds, ends the process regardless.
  const force = (): never => process.exit(1);
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  const deadline = setTimeout(force, (opts.shutdownDelayMs ?? 5000) + (opts.shutdownGraceMs ?? 15_000) + 5000);
  deadline.unref();
  await server.close();
  await resolver.close?.().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'closing the resolver failed'));
  clearTimeout(deadline);
  process.off('SIGTERM', force);
  process.off('SIGINT', force);
}
