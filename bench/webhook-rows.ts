/**
 * The webhook rows of `npm run bench`: `notary-pin webhook` (verify mode, warm) at a fixed rate,
 * alone and during an attack (bench/webhook.ts measures; this writes its config and its rows).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configYaml } from './cli-runs.js';
import { DIST, log, track } from './harness.js';
import type { Row } from './notation.js';
import type { BenchSetup } from './setup.js';
import { HOSTILE_RATE, HOSTILE_REPOSITORIES, tailShares, webhookBench, WEBHOOK_RATE, WEBHOOK_SECONDS, WEBHOOK_TAIL_ROW, type WebhookFigures } from './webhook.js';

/** Measures the webhook with a fresh cache dir and a verify-mode config for the bench's trust server. */
export async function runWebhook(s: BenchSetup): Promise<WebhookFigures> {
  const { env, work, images, pins } = s;
  const cacheDir = await s.freshCache('webhook');
  const config = async (extraRule: string) => {
    const file = join(work, 'webhook.yaml');
    await writeFile(file, configYaml({ server: env.notaryUrl, caFile: env.caFile, registryHost: env.registryHost, pins, cacheDir, mode: 'verify', extraRule }));
    return file;
  };
  return webhookBench({ dist: DIST, env, work, images, config, pins, track, log });
}

/** The webhook rows of the table, with their targets. */
export function webhookRows(f: WebhookFigures): Row[] {
  const wh = f.normal;
  const attacked = f.underAttack;
  return [
    [`webhook @ ${WEBHOOK_RATE} req/s, ${WEBHOOK_SECONDS} s, warm: throughput`, `${wh.throughput.toFixed(0)} req/s (${wh.ok}/${wh.sent} ok, ${wh.errors} errors, ${wh.dropped} dropped)`, `${WEBHOOK_RATE} req/s, 0 errors`, wh.throughput >= WEBHOOK_RATE * 0.98 && wh.errors === 0],
    ['webhook latency p50', `${wh.p50Ms.toFixed(2)} ms`, '', undefined],
    ['webhook latency p99', `${wh.p99Ms.toFixed(2)} ms`, '< 5 ms', wh.p99Ms < 5],
    ['webhook latency p99, server side (its own histogram)', `${wh.serverP99Ms?.toFixed(2)} ms`, '', undefined],
    [WEBHOOK_TAIL_ROW, tailShares(wh), '', undefined],
    [
      `webhook during an attack (${HOSTILE_RATE} hostile reviews/s of ${HOSTILE_REPOSITORIES} or 64 repositories, stalling trust server): honest p99 client / server`,
      `${attacked.p99Ms.toFixed(2)} ms / ${attacked.serverP99Ms?.toFixed(2)} ms (${attacked.errors} errors)`,
      '< 5 ms, 0 errors',
      attacked.p99Ms < 5 && attacked.errors === 0,
    ],
    ['hostile reviews denied / trust requests they caused', `${f.hostile.ok}/${f.hostile.sent} / ${f.stalledRequests}`, 'all denied', f.hostile.ok === f.hostile.sent],
  ];
}
