/** `notary-pin webhook`: load config, build the resolver, serve until SIGTERM/SIGINT, then shut down gracefully. */
import { pino } from 'pino';
import { loadConfigFile } from '../config/load.js';
import type { Spec } from '../config/schema.js';
import type { Resolver } from '../engine/port.js';
import { startWebhookServer } from '../webhook/server.js';
import { webhookResolverFor } from './resolver.js';

export interface RunWebhookOptions {
  configPath: string;
  certFile: string;
  keyFile: string;
  port: number;
  host: string;
  resolverFor?: (spec: Spec) => Resolver;
  /** Default 5 s: keep serving after SIGTERM while the Service endpoints drain. */
  shutdownDelayMs?: number;
  shutdownGraceMs?: number;
  /** Most /validate requests at once (default 512). */
  maxInFlight?: number;
}

function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

export async function runWebhook(opts: RunWebhookOptions): Promise<void> {
  const logger = pino({ base: { component: 'notary-pin-webhook' } });
  const spec = await loadConfigFile(opts.configPath);
  if (spec.mode === 'pin') logger.info('spec.mode is "pin"; the webhook never mutates and always verifies');
  const resolverFor = opts.resolverFor ?? ((s: Spec) => webhookResolverFor(s));
  const resolver = resolverFor(spec);
  const delayMs = opts.shutdownDelayMs ?? 5000;
  const graceMs = opts.shutdownGraceMs ?? 15_000;
  const server = await startWebhookServer({
    spec,
    resolver,
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    port: opts.port,
    host: opts.host,
    logger,
    defaultMetrics: true,
    shutdownDelayMs: delayMs,
    shutdownGraceMs: graceMs,
    maxInFlight: opts.maxInFlight,
    config: { file: opts.configPath, resolverFor },
  });
  logger.info({ signal: await firstSignal() }, 'shutdown requested');
  const force = (): never => process.exit(1);
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  const deadline = setTimeout(force, delayMs + graceMs + 5000);
  deadline.unref();
  await server.close();
  await resolver.close?.().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'closing the resolver failed'));
  clearTimeout(deadline);
  process.off('SIGTERM', force);
  process.off('SIGINT', force);
}
