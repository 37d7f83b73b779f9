/**
 * `npm run bench`: notary-pin against the REAL notary-server and registry, in one run.
 *
 * Sets up 50 GUNs × 4 tags = 200 signed images (targets/releases delegation, as Docker content
 * trust signs), writes a bundle of 2,000 Deployments using them (and a 10× bundle), then measures:
 *
 * - notary-pin (the built dist/notary-pin.mjs, as a process) cold and warm (on-disk cache);
 * - the baseline: one `notary lookup` process per image use of the bundle, one after another (what
 *   the OPA notary-wrapper does: it is called for every image of every resource), sharing one trust
 *   dir; plus a deduplicated baseline (once per unique image, serial and BASELINE_PARALLEL at a time);
 * - both under an injected 20 ms round trip (bench/delay-proxy.ts), in round trips;
 * - peak RSS of the notary-pin process (/usr/bin/time) for the bundle and the 10× bundle;
 * - cold start of `node dist/notary-pin.mjs --version` vs `node -e 0`;
 * - the webhook (`notary-pin webhook`, warm) at a fixed request rate, alone and during an attack by
 *   reviews naming many repositories of a stalling trust server (bench/webhook.ts).
 * - Notation (bench/notation.ts): 50 repositories × 4 tags pushed to the same registry and signed
 *   as notation 1.x does without the referrers API; the same-shaped bundle cold, its ratio to
 *   Notary v1 cold (paired runs), the round trips a 20 ms RTT in front of the registry adds, and the
 *   webhook with a Notation config at the same rate.
 *
 * Prints one table with targets and PASS/MISS, and the machine. `--write-results` also writes
 * bench/RESULTS.md; `--webhook-only` measures just the webhook (after the same set-up);
 * `--notation-only` just the Notation rows (after the same set-up: the ratio needs Notary v1 runs);
 * `--hold` leaves the servers up for profiling by hand. Everything is bounded; every process is killed at
 * the end. The stages: bench/setup.ts (servers, images, inputs), bench/notary-rows.ts,
 * bench/webhook-rows.ts, bench/notation-stage.ts, bench/report.ts (table, notes, RESULTS.md).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../test/support/exec.js';
import { startNotaryEnv, type NotaryEnv } from '../test/support/notary-env.js';
import { checkDeadline, DEADLINE_MS, DIST, HOLD_MS, killChildren, log, mustOk, RESOURCES, ROOT } from './harness.js';
import { notationRows } from './notation.js';
import { NOTATION_REPOSITORIES } from './notation-setup.js';
import { runNotation } from './notation-stage.js';
import { measureNotary, notaryRows, type Held } from './notary-rows.js';
import { benchNotes, formatTable, notationOnlyNotes, printTable, writeResultsFile } from './report.js';
import { holdForProfiling, setUp, type BenchSetup } from './setup.js';
import { figureLines, WEBHOOK_RATE, WEBHOOK_SECONDS } from './webhook.js';
import { runWebhook, webhookRows } from './webhook-rows.js';

const flags = {
  writeResults: process.argv.includes('--write-results'),
  webhookOnly: process.argv.includes('--webhook-only'),
  notationOnly: process.argv.includes('--notation-only'),
  hold: process.argv.includes('--hold'),
};

async function main(): Promise<void> {
  if (!existsSync(DIST)) {
    log('dist/notary-pin.mjs missing: npm run build');
    mustOk(await run('npm', ['run', 'build'], { cwd: ROOT, timeoutMs: 120_000 }), 'npm run build');
  }
  const work = await mkdtemp(join(tmpdir(), 'notary-pin-bench-'));
  let env: NotaryEnv | undefined;
  const held: Held = {};
  try {
    log('starting notary-server and the registry');
    env = await startNotaryEnv({ readyTimeoutMs: 20_000 });
    const s = await setUp(env, work, flags.webhookOnly);
    if (flags.hold) return await holdForProfiling(s);
    if (flags.notationOnly) return await notationOnly(s);
    if (flags.webhookOnly) {
      for (const line of figureLines(await runWebhook(s))) console.log(line);
      return;
    }
    await everything(s, held);
  } finally {
    killChildren();
    held.proxy?.close();
    await env?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** `--notation-only`: the Notation rows alone. */
async function notationOnly(s: BenchSetup): Promise<void> {
  const f = await runNotation(s);
  printTable(formatTable(notationRows(f, RESOURCES, NOTATION_REPOSITORIES, s.notation!.images.length)), notationOnlyNotes(f.webhookPinned));
}

/** The whole table: Notary v1 rows, webhook rows, Notation rows, then the notes (and RESULTS.md with `--write-results`). */
async function everything(s: BenchSetup, held: Held): Promise<void> {
  const notary = await measureNotary(s, held);
  log(`webhook: ${WEBHOOK_RATE} req/s for ${WEBHOOK_SECONDS} s`);
  checkDeadline('webhook');
  const webhook = await runWebhook(s);
  log('Notation rows');
  const notation = await runNotation(s);

  const rows = [...notaryRows(notary), ...webhookRows(webhook), ...notationRows(notation, RESOURCES, NOTATION_REPOSITORIES, s.notation!.images.length)];
  const table = formatTable(rows);
  const notes = benchNotes({ uniqueImages: s.images.length, webhookPinned: webhook.pinned, notationWebhookPinned: notation.webhookPinned });
  printTable(table, notes);
  if (flags.writeResults) await writeResultsFile(table, notes);
}

const hardStop = setTimeout(() => {
  log('hard deadline reached; killing everything');
  killChildren();
  process.exit(2);
}, DEADLINE_MS + 60_000 + (flags.hold ? HOLD_MS : 0));
hardStop.unref();

main().then(
  () => {
    clearTimeout(hardStop);
    process.exit(0);
  },
  (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    killChildren();
    process.exit(1);
  },
);
