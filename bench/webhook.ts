/**
 * The webhook part of `npm run bench`: the built `notary-pin webhook` against the real
 * notary-server, warm, at a fixed request rate (bench/load.ts), then the same honest load while a
 * hostile client sends reviews naming many distinct repositories of a stalling trust server
 * (bench/attack.ts). The webhook runs on CPU 1 and the generators on CPU 0 when `taskset` works;
 * each phase reports the client's latency and the server's own (its /metrics histogram).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool } from 'undici';
import { freePort } from '../test/support/daemon.js';
import type { ImageInfo, NotaryEnv } from '../test/support/notary-env.js';
import { manyRepositoriesReview, startStallingServer } from './attack.js';
import { onCpu, runLoadIsolated, type IsolatedLoadResult } from './load.js';

export const WEBHOOK_RATE = 500;
export const WEBHOOK_SECONDS = 10;
export const WEBHOOK_WARMUP_SECONDS = 3;
/** Hostile reviews per second during the attack: half over the repository cap, half at it. */
export const HOSTILE_RATE = 2;
/** Repositories named by an over-the-cap hostile review (the red-team run's figure). */
export const HOSTILE_REPOSITORIES = 3000;
/** The product's default spec.maxRepositoriesPerReview: an at-the-cap review names this many. */
const REPOSITORY_CAP = 64;
const ATTACK_DOMAIN = 'attack.invalid';
export const SERVER_HISTOGRAM = { path: '/metrics', name: 'notary_pin_webhook_request_duration_seconds', labels: { outcome: 'allowed' } };

export interface WebhookFigures {
  /** Honest load alone. */
  readonly normal: IsolatedLoadResult;
  /** The same honest load during the attack. */
  readonly underAttack: IsolatedLoadResult;
  /** The hostile client: `ok` = reviews denied as they must be. */
  readonly hostile: IsolatedLoadResult;
  /** Requests that reached the stalling trust server during the attack. */
  readonly stalledRequests: number;
  /** Whether the webhook and the generators ran on separate CPUs. */
  readonly pinned: boolean;
}

/** An AdmissionReview of a Pod with one image pinned by digest. */
export function review(i: number, img: { readonly reference: string; readonly digest: string }): string {
  return podReview(i, `${img.reference}@${img.digest}`);
}

/** An AdmissionReview (CREATE) of Pod `p<i>` in namespace bench with one container running `image`. */
export function podReview(i: number, image: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: `p${i}`,
      namespace: 'bench',
      operation: 'CREATE',
      userInfo: { username: 'bench' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, namespace: 'bench' },
        spec: { containers: [{ name: 'main', image }] },
      },
    },
  });
}

/** The trust rule for the attacker's repositories: served by the stalling server. */
export function attackRuleYaml(server: string, caFile: string, pins: readonly string[]): string {
  return [
    '  - name: attack (a stalling trust server)',
    `    images: [${JSON.stringify(`${ATTACK_DOMAIN}/**`)}]`,
    `    server: ${server}`,
    `    ca: ${JSON.stringify(caFile)}`,
    `    rootKeys: [${pins.map((p) => JSON.stringify(p)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Hostile bodies: alternately over the cap (HOSTILE_REPOSITORIES) and at it (REPOSITORY_CAP, never seen before). */
export function hostileBodies(n: number, digest: string): string[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? manyRepositoriesReview(i, ATTACK_DOMAIN, i * HOSTILE_REPOSITORIES, HOSTILE_REPOSITORIES, digest)
      : manyRepositoriesReview(i, ATTACK_DOMAIN, 10_000_000 + i * REPOSITORY_CAP, REPOSITORY_CAP, digest),
  );
}

/** Starts `notary-pin webhook` (on CPU 1 when possible) and waits until it is ready. */
export async function startWebhook(o: { dist: string; config: string; env: Pick<NotaryEnv, 'tempDir' | 'caPem'>; logFile: string; track: (c: ChildProcess) => void }) {
  const port = await freePort();
  const fd = openSync(o.logFile, 'w');
  const args = [o.dist, 'webhook', '--config', o.config, '--tls-cert-file', join(o.env.tempDir, 'server.pem'), '--tls-private-key-file', join(o.env.tempDir, 'server.key'), '--port', String(port), '--host', '127.0.0.1'];
  const cmd = onCpu(1, process.execPath, args);
  const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  o.track(child);
  const origin = `https://127.0.0.1:${port}`;
  const probe = new Pool(origin, { connect: { ca: o.env.caPem } });
  try {
    for (const deadline = performance.now() + 15_000; ; ) {
      const ok = await probe
        .request({ path: '/readyz', method: 'GET' })
        .then(async (r) => (await r.body.text(), r.statusCode === 200))
        .catch(() => false);
      if (ok) break;
      if (performance.now() > deadline || child.exitCode !== null) throw new Error(`webhook did not become ready: ${await readFile(o.logFile, 'utf8').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await probe.close();
  }
  return { child, origin, pinned: cmd.pinned };
}

export interface WebhookBenchOptions {
  readonly dist: string;
  readonly env: NotaryEnv;
  readonly work: string;
  readonly images: readonly ImageInfo[];
  /** Writes the webhook's config with `extraRule` appended to its trust rules; returns its path. */
  readonly config: (extraRule: string) => Promise<string>;
  readonly pins: readonly string[];
  readonly track: (c: ChildProcess) => void;
  readonly log: (message: string) => void;
}

export async function webhookBench(o: WebhookBenchOptions): Promise<WebhookFigures> {
  const stall = await startStallingServer({ cert: await readFile(join(o.env.tempDir, 'server.pem')), key: await readFile(join(o.env.tempDir, 'server.key')) });
  const logFile = join(o.work, 'webhook.log');
  const config = await o.config(attackRuleYaml(stall.url, o.env.caFile, o.pins));
  const { child, origin, pinned } = await startWebhook({ dist: o.dist, config, env: o.env, logFile, track: o.track });
  try {
    const bodies = (n: number, step: number) => Array.from({ length: n }, (_, i) => review(i, o.images[(i * step) % o.images.length]!));
    const honest = { origin, path: '/validate?timeout=10s', ca: o.env.caPem, check: 'allowed' as const, cpu: 0, serverHistogram: SERVER_HISTOGRAM };
    // Warm-up: every image (the trust cache then holds every GUN), then the measured load itself for
    // a while, so the JIT has compiled the request path: the figures are the steady state.
    const [warm, steady, normal] = await runLoadIsolated({
      ...honest,
      phases: [
        { rate: 200, durationMs: 1000, bodies: bodies(200, 1) },
        { rate: WEBHOOK_RATE, durationMs: WEBHOOK_WARMUP_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_WARMUP_SECONDS, 3), maxInFlight: 2000 },
        { rate: WEBHOOK_RATE, durationMs: WEBHOOK_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_SECONDS, 7), maxInFlight: 2000 },
      ],
    });
    // A warm-up with errors (a machine too busy for the rate) still warms: say so, measure on.
    if (warm!.errors > 0) o.log(`webhook warm-up: ${warm!.errors} errors (see ${logFile})`);
    if (steady!.errors > 0) o.log(`webhook warm-up at ${WEBHOOK_RATE} req/s: ${steady!.errors} errors, ${steady!.dropped} dropped`);
    // The attack: the hostile client runs from the start of the honest client's warm-up to past its end.
    const digest = o.images[0]!.digest;
    const hostileSeconds = WEBHOOK_WARMUP_SECONDS + WEBHOOK_SECONDS + 2;
    const [attacked, hostile] = await Promise.all([
      runLoadIsolated({
        ...honest,
        phases: [
          { rate: WEBHOOK_RATE, durationMs: WEBHOOK_WARMUP_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_WARMUP_SECONDS, 3), maxInFlight: 2000 },
          { rate: WEBHOOK_RATE, durationMs: WEBHOOK_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_SECONDS, 7), maxInFlight: 2000 },
        ],
      }),
      runLoadIsolated({
        origin,
        path: '/validate?timeout=2s',
        ca: o.env.caPem,
        check: 'denied',
        cpu: 0,
        connections: 4,
        phases: [{ rate: HOSTILE_RATE, durationMs: hostileSeconds * 1000, bodies: hostileBodies(HOSTILE_RATE * hostileSeconds, digest), maxInFlight: 100 }],
      }),
    ]);
    return { normal: normal!, underAttack: attacked[1]!, hostile: hostile[0]!, stalledRequests: stall.requests(), pinned };
  } finally {
    child.kill('SIGKILL');
    await stall.close();
  }
}

export const WEBHOOK_TAIL_ROW = 'webhook p99 beside the handler: the generator\'s own send lateness / the webhook\'s event-loop delay (beyond its 10 ms sampling)';

/** Where a client-side p99 goes beside the handler: the generator's own send lateness, the webhook's event-loop delay. */
export function tailShares(r: IsolatedLoadResult): string {
  const eld = r.serverEventLoopDelay;
  return `${r.sendLatenessP99Ms.toFixed(2)} ms / ${eld === undefined ? '?' : `${eld.p99Ms.toFixed(2)} ms (max ${eld.maxMs.toFixed(1)} ms)`}`;
}

/** The figures, one line each (the `--webhook-only` output). */
export function figureLines(f: WebhookFigures): string[] {
  const lat = (r: IsolatedLoadResult) =>
    `client p50 ${r.p50Ms.toFixed(2)} / p99 ${r.p99Ms.toFixed(2)} ms, server p99 ${r.serverP99Ms?.toFixed(2) ?? '?'} ms (${r.serverCount ?? '?'} counted); generator send lateness p99 / webhook event-loop delay p99 ${tailShares(r)}; ${r.ok}/${r.sent} ok, ${r.errors} errors, ${r.dropped} dropped`;
  return [
    `webhook @ ${WEBHOOK_RATE} req/s, ${WEBHOOK_SECONDS} s, warm: ${lat(f.normal)}`,
    `the same during the attack: ${lat(f.underAttack)}`,
    `hostile client: ${f.hostile.ok}/${f.hostile.sent} reviews denied, ${f.hostile.errors} not denied or failed; p99 ${f.hostile.p99Ms.toFixed(0)} ms; ${f.stalledRequests} requests reached the stalling trust server`,
    `webhook on CPU 1, generators on CPU 0: ${f.pinned ? 'yes (taskset)' : 'no (taskset unavailable or one CPU)'}`,
  ];
}

