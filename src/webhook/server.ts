/**
 * The validating admission webhook server (HTTPS): POST /validate, GET /healthz, /readyz, /metrics
 * (routes.ts), hot reloads (hot-reload.ts), graceful shutdown. Every wait is bounded.
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
  spec: Spec;
  /** The trust resolver (a fake in tests). */
  resolver: Resolver;
  evaluate?: EvaluateFn;
  certFile: string;
  keyFile: string;
  /** Default 8443; 0 picks a free port. */
  port?: number;
  host?: string;
  logger?: Logger;
  maxBodyBytes?: number;
  certPollIntervalMs?: number;
  defaultMetrics?: boolean;
  /** After close() starts: keep serving with /readyz failing so endpoints drain (default 0). */
  shutdownDelayMs?: number;
  /** In-flight requests get this long on close() before connections are cut (default 15 s). */
  shutdownGraceMs?: number;
  /** Most /validate requests at once (default 512); beyond, 429: failurePolicy Fail denies, a flood never admits. */
  maxInFlight?: number;
  /** Reload the policy when this file changes: validated (invalid ignored), then spec, policy, resolver swapped. */
  config?: { file: string; resolverFor: (spec: Spec) => Resolver; pollIntervalMs?: number };
}

export interface WebhookServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly metrics: WebhookMetrics;
  ready(): boolean;
  reloadCertificates(): Promise<boolean>;
  reloadConfig(): Promise<boolean>;
  close(): Promise<void>;
}

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
      // Longer than the API server's idle timeout (Go's 90 s): the client closes idle connections first.
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
