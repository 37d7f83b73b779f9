/**
 * The validating admission webhook server (HTTPS, HTTP/1.1): listen, then graceful shutdown.
 *
 *   POST /validate   AdmissionReview (admission.k8s.io/v1 or v1beta1) → AdmissionReview response
 *   GET  /healthz    liveness: the process serves requests
 *   GET  /readyz     readiness: config loaded, listening, not shutting down
 *   GET  /metrics    Prometheus text (own registry)
 *
 * Routes are in routes.ts, reloads in hot-reload.ts. Every wait is bounded (header, request, idle
 * and TLS handshake timeouts, the API server's `?timeout=`, the shutdown grace period).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Spec } from '../config/schema.js';
import { evaluate as engineEvaluate } from '../engine/evaluate.js';
import { toPinError } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';
import type { EvaluateFn } from './decide.js';
import { fixedPolicy, policySnapshot, watchCertificate, watchPolicy, type LivePolicy } from './hot-reload.js';
import { DEFAULT_MAX_BODY_BYTES, sendJson } from './http-body.js';
import { createInFlight, type InFlight } from './in-flight.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import { createRouter } from './routes.js';
import { loadKeyPair, TLS_BASE_OPTIONS, type KeyPair } from './tls.js';

export { DEFAULT_MAX_BODY_BYTES };

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

/** The HTTPS server with the webhook's connection bounds. */
function createHttpsServer(pair: KeyPair, handler: ReturnType<typeof createRouter>, logger: Logger): Server {
  const server = createServer(
    {
      ...TLS_BASE_OPTIONS,
      cert: pair.cert,
      key: pair.key,
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
      handler(req, res).catch((e: unknown) => {
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
  return server;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

interface Stoppable {
  readonly server: Server;
  readonly inFlight: InFlight;
  readonly watchers: readonly { close(): void }[];
  readonly logger: Logger;
  readonly delayMs: number;
  readonly graceMs: number;
}

/** Graceful stop (readiness is already off): drain delay, stop accepting, wait for in-flight (bounded), cut the rest. */
async function stop(s: Stoppable): Promise<void> {
  if (s.delayMs > 0) {
    s.logger.info({ delayMs: s.delayMs }, 'shutting down: readiness off, still serving while endpoints drain');
    await new Promise((r) => setTimeout(r, s.delayMs));
  }
  for (const w of s.watchers) w.close();
  const stopped = new Promise<void>((resolve) => s.server.close(() => resolve()));
  s.server.closeIdleConnections();
  if (s.inFlight.count > 0) s.logger.info({ inFlight: s.inFlight.count, graceMs: s.graceMs }, 'waiting for in-flight requests');
  await s.inFlight.idle(s.graceMs);
  s.server.closeAllConnections();
  await stopped;
  s.logger.info('webhook stopped');
}

/** Starts the HTTPS server; resolves once it listens. */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const logger = opts.logger ?? pino({ base: { component: 'notary-pin-webhook' } });
  const graceMs = opts.shutdownGraceMs ?? 15_000;
  const first = policySnapshot(opts.spec, opts.resolver, opts.evaluate ?? engineEvaluate);
  let live: LivePolicy = fixedPolicy(first);
  const metrics = createMetrics({
    // Cache statistics follow whichever resolver is current.
    resolverStats: opts.resolver.stats === undefined ? undefined : () => live.current().resolver.stats?.(),
    defaultMetrics: opts.defaultMetrics === true,
  });
  let state: 'starting' | 'ready' | 'shutting down' = 'starting';
  const inFlight = createInFlight(opts.maxInFlight ?? 512, (d) => metrics.inFlight.inc(d));
  const handler = createRouter({ policy: () => live.current(), metrics, logger, inFlight, maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, state: () => state });

  const initial = await loadKeyPair(opts.certFile, opts.keyFile);
  const server = createHttpsServer(initial, handler, logger);
  const certs = await watchCertificate(server, initial, {
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    pollIntervalMs: opts.certPollIntervalMs,
    onResult: (result) => metrics.tlsReloads.inc({ result }),
    logger,
  });
  if (opts.config !== undefined) {
    const { file, resolverFor, pollIntervalMs } = opts.config;
    live = await watchPolicy(first, { file, resolverFor, pollIntervalMs, retireAfterMs: graceMs, onResult: (result) => metrics.configReloads.inc({ result }), logger });
  }
  await listen(server, opts.port ?? 8443, opts.host ?? '127.0.0.1').catch((e: unknown) => {
    certs.close();
    live.close();
    throw e;
  });
  server.on('error', (e) => logger.error({ err: e.message }, 'server error'));
  state = 'ready';
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info({ address: address.address, port: address.port, subject: initial.subject, notAfter: initial.notAfter, rules: opts.spec.trust.length }, 'webhook listening');

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    state = 'shutting down';
    await stop({ server, inFlight, watchers: [certs, live], logger, delayMs: opts.shutdownDelayMs ?? 0, graceMs });
  };
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    server,
    metrics,
    ready: () => state === 'ready',
    reloadCertificates: () => certs.check(),
    reloadConfig: () => live.reload(),
    close: () => (closing ??= close()),
  };
}
