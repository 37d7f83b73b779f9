/** Webhook Prometheus metrics, in a registry of its own (several servers in one process must not collide). */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResolverStats } from '../engine/port.js';
import type { ImageOutcome } from '../engine/evaluate.js';
import type { Decision, DecisionReason } from './decide.js';

export type RequestOutcome = 'allowed' | 'denied' | 'error';
export type RequestReason = DecisionReason | 'bad_request' | 'internal';

export interface WebhookMetrics {
  registry: Registry;
  observe(outcome: RequestOutcome, reason: RequestReason, seconds: number): void;
  /** Counts per-image failures by error code (TRUST_FETCH also feeds the fetch-error counter). */
  imageFailures(codes: readonly string[]): void;
  observeDecision(decision: Decision, outcome: RequestOutcome, seconds: number): void;
  inFlight: Gauge;
  tlsReloads: Counter<'result'>;
  configReloads: Counter<'result'>;
}

export interface MetricsOptions {
  /** The current resolver's counters, read at scrape time. */
  resolverStats?: () => ResolverStats | undefined;
  defaultMetrics?: boolean;
  now?: () => number;
}

export function createMetrics(opts: MetricsOptions = {}): WebhookMetrics {
  const registry = new Registry();
  // Registration order is the order of the /metrics page.
  const { requests, duration, failures, images, staleImages, fetchErrors } = reviewMetrics(registry);
  const { inFlight, tlsReloads, configReloads } = serverMetrics(registry);
  if (opts.resolverStats !== undefined) mirrorResolverStats(registry, opts.resolverStats);
  const trustAge = new Histogram({
    name: 'notary_pin_webhook_trust_data_age_seconds',
    help: 'Age of the oldest trust data an admitted review relied on (cached answers are reused up to spec.cacheTTLSeconds)',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 21_600, 86_400],
    registers: [registry],
  });
  const now = opts.now ?? Date.now;
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'notary_pin_' });

  const metrics: WebhookMetrics = {
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
    observeDecision(decision, outcome, seconds) {
      metrics.observe(outcome, decision.reason, seconds);
      metrics.imageFailures(decision.failures.map((f) => f.error.code));
      for (const o of decision.outcomes ?? []) {
        const labels = imageLabels(o);
        if (labels !== undefined) images.inc(labels);
        if ((o.status === 'verified' || o.status === 'pinned') && o.resolution.stale !== undefined) staleImages.inc({ rule: o.rule ?? '(no rule)' });
      }
      if (decision.reason === 'verified' && decision.trustVerifiedAt !== undefined) {
        trustAge.observe(Math.max(0, (now() - decision.trustVerifiedAt.getTime()) / 1000));
      }
    },
    inFlight,
    tlsReloads,
    configReloads,
  };
  return metrics;
}

function reviewMetrics(registry: Registry) {
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
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'notary_pin_webhook_image_failures_total',
    help: 'Images that failed verification, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const images = new Counter({
    name: 'notary_pin_webhook_images_total',
    help: 'Images checked, by trust rule, outcome (verified, failed, not_enforced) and the enforcement they were under',
    labelNames: ['rule', 'outcome', 'enforcement'] as const,
    registers: [registry],
  });
  const staleImages = new Counter({
    name: 'notary_pin_webhook_stale_images_total',
    help: 'Images decided from trust data verified earlier because the trust server or registry could not be reached (spec.staleIfErrorSeconds), by trust rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  });
  const fetchErrors = new Counter({
    name: 'notary_pin_trust_fetch_errors_total',
    help: 'Images whose trust data could not be fetched (TRUST_FETCH: connect, TLS, timeout, HTTP status)',
    registers: [registry],
  });
  return { requests, duration, failures, images, staleImages, fetchErrors };
}

function serverMetrics(registry: Registry) {
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
  return { inFlight, tlsReloads, configReloads };
}

/** Per-image labels of an outcome with a trust decision (none for excluded or unchecked fields). */
function imageLabels(o: ImageOutcome): { rule: string; outcome: string; enforcement: string } | undefined {
  switch (o.status) {
    case 'verified':
    case 'pinned':
      return { rule: o.rule ?? '(no rule)', outcome: 'verified', enforcement: o.enforcement ?? 'enforce' };
    case 'failed':
      return { rule: o.rule ?? '(no rule)', outcome: 'failed', enforcement: o.enforcement ?? 'enforce' };
    case 'waived':
      return { rule: o.rule, outcome: 'not_enforced', enforcement: o.enforcement };
    default:
      return undefined;
  }
}

function mirrorResolverStats(registry: Registry, stats: () => ResolverStats | undefined): void {
  const mirror = (name: string, help: string, pick: (s: ResolverStats) => number | undefined): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const s = stats();
        const v = s === undefined ? undefined : pick(s);
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
  if (typeof stats()?.cacheEntries !== 'number') return;
  new Gauge({
    name: 'notary_pin_trust_cache_entries',
    help: 'Verified trust data entries held by the resolver cache',
    registers: [registry],
    collect() {
      const n = stats()?.cacheEntries;
      if (typeof n === 'number') this.set(n);
    },
  });
}
