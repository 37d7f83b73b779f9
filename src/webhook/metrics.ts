/**
 * Prometheus metrics for the webhook, in a Registry of its own (nothing global, so several servers
 * in one process — tests — do not collide).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionReason } from './decide.js';

/** Request outcome as counted: allowed, denied by policy, or an error (timeout, bad request, internal). */
export type RequestOutcome = 'allowed' | 'denied' | 'error';
/** Finer reason: the decision's reason, or why the HTTP request itself was refused. */
export type RequestReason = DecisionReason | 'bad_request' | 'internal';

/** What a caching resolver may expose (optional: `resolver.stats()`). */
export interface ResolverStats {
  cacheHits?: number;
  cacheMisses?: number;
  fetchErrors?: number;
}

function statsOf(resolver: unknown): (() => ResolverStats) | undefined {
  if (typeof resolver !== 'object' || resolver === null) return undefined;
  const fn = (resolver as { stats?: unknown }).stats;
  return typeof fn === 'function' ? () => (fn as () => ResolverStats).call(resolver) : undefined;
}

export interface WebhookMetrics {
  registry: Registry;
  /** Counts one answered /validate request. */
  observe(outcome: RequestOutcome, reason: RequestReason, seconds: number): void;
  /** Counts per-image failures by error code (TRUST_FETCH also feeds the fetch-error counter). */
  imageFailures(codes: readonly string[]): void;
  inFlight: Gauge;
  tlsReloads: Counter<'result'>;
  configReloads: Counter<'result'>;
}

export function createMetrics(opts: { resolver?: unknown; defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'notary_pin_webhook_requests_total',
    help: 'Admission requests answered, by outcome (allowed, denied, error) and reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'notary_pin_webhook_request_duration_seconds',
    help: 'Time to answer an admission request, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'notary_pin_webhook_image_failures_total',
    help: 'Images that failed verification, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const fetchErrors = new Counter({
    name: 'notary_pin_trust_fetch_errors_total',
    help: 'Images whose trust data could not be fetched (TRUST_FETCH: connect, TLS, timeout, HTTP status)',
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'notary_pin_webhook_in_flight_requests',
    help: 'Admission requests being processed',
    registers: [registry],
  });
  const tlsReloads = new Counter({
    name: 'notary_pin_webhook_tls_reloads_total',
    help: 'Serving certificate reloads',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  const configReloads = new Counter({
    name: 'notary_pin_webhook_config_reloads_total',
    help: 'Policy (config file) reloads',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  const stats = statsOf(opts.resolver);
  if (stats !== undefined) {
    const mirror = (name: string, help: string, pick: (s: ResolverStats) => number | undefined): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const v = pick(stats());
          if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
            this.reset();
            this.inc(v);
          }
        },
      });
    };
    mirror('notary_pin_trust_cache_hits_total', 'Trust data lookups answered from the resolver cache', (s) => s.cacheHits);
    mirror('notary_pin_trust_cache_misses_total', 'Trust data lookups that had to fetch', (s) => s.cacheMisses);
    mirror('notary_pin_resolver_fetch_errors_total', 'Trust data fetch errors counted by the resolver', (s) => s.fetchErrors);
  }
  const cache = (opts.resolver as { cache?: { size?: unknown } } | undefined)?.cache;
  if (cache !== undefined && typeof cache.size === 'number') {
    new Gauge({
      name: 'notary_pin_trust_cache_entries',
      help: 'Verified trust data entries held by the resolver cache',
      registers: [registry],
      collect() {
        const n = cache.size;
        if (typeof n === 'number') this.set(n);
      },
    });
  }
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'notary_pin_' });

  return {
    registry,
    observe(outcome, reason, seconds) {
      requests.inc({ outcome, reason });
      duration.observe({ outcome }, seconds);
    },
    imageFailures(codes) {
      for (const code of codes) {
        failures.inc({ code });
        if (code === 'TRUST_FETCH') fetchErrors.inc();
      }
    },
    inFlight,
    tlsReloads,
    configReloads,
  };
}
