/**
 * The bench's output: the rows as a Markdown table with PASS/MISS, the notes printed under it
 * (the machine and how each figure was measured), and `--write-results`'s bench/RESULTS.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BASELINE_PARALLEL, CONCURRENCY, GUNS, NOTATION_RUNS, ONE_WAY_DELAY_MS, RESOURCES, ROOT, RTT_MS, RUNS, started, TAGS } from './harness.js';
import type { Row } from './notation.js';
import { NOTATION_REPOSITORIES, NOTATION_TAGS } from './notation-setup.js';
import { HOSTILE_RATE, HOSTILE_REPOSITORIES } from './webhook.js';

/** The rows as a Markdown table with a PASS/MISS column. */
export function formatTable(rows: readonly Row[]): string {
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.toString().length), ['metric', 'value', 'target'][i]!.length));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(w[i] ?? 4)).join(' | ')} |`;
  return [
    line(['metric', 'value', 'target', 'result']),
    line(['-'.repeat(w[0]!), '-'.repeat(w[1]!), '-'.repeat(w[2]!), '------']),
    ...rows.map(([m, v, t, p]) => line([m, v, t, p === undefined ? '' : p ? 'PASS' : 'MISS'])),
  ].join('\n');
}

function machineLine(): string {
  return `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}, ${process.platform} ${process.arch}`;
}

const totalLine = () => `total bench time: ${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Prints the table and the notes under it. */
export function printTable(table: string, notes: readonly string[]): void {
  process.stdout.write(`\n${table}\n\n${notes.join('\n')}\n`);
}

/** The notes under the `--notation-only` table. */
export function notationOnlyNotes(webhookPinned: boolean): string[] {
  return [`machine: ${machineLine()}`, notationNote(webhookPinned), totalLine()];
}

/** The notes under the whole table: how each figure was measured. */
export function benchNotes(o: { uniqueImages: number; webhookPinned: boolean; notationWebhookPinned: boolean }): string[] {
  return [
    `machine: ${machineLine()}`,
    `date: ${new Date().toISOString()}`,
    `setup: real notary-server (in-memory, TLS) + docker-registry; ${GUNS} GUNs × ${TAGS} tags signed in targets/releases; bundle = ${RESOURCES} Deployments, image order shuffled; spec.concurrency ${CONCURRENCY ?? 'default'}; pins = rootKeys`,
    `notary-pin: \`node dist/notary-pin.mjs --config … -i … -o … -q\` as a process; median of ${RUNS} runs; cold = empty cacheDir, warm = cacheDir from an earlier run; both with the bundle's V8 code cache in place (as from the second run on a machine; the first run, without it, is shown separately)`,
    `baseline: one \`notary -s … --tlscacert … -d <shared fresh trust dir> lookup GUN TAG\` process per image use of the bundle (all ${RESOURCES}, not sampled, one after another, as the OPA notary-wrapper is called per image of each resource); deduplicated: once per unique image (${o.uniqueImages}), serially and ${BASELINE_PARALLEL} at a time`,
    `resolve only: createNotaryResolver (the CLI's resolver) in the bench process, all 200 images at once, a fresh resolver (new TLS connections) per run, median of ${RUNS}`,
    `latency: bench/delay-proxy.ts delays every chunk ${ONE_WAY_DELAY_MS} ms each way (RTT ≈ ${RTT_MS} ms), in its own process; wall includes node start-up and local work; each run through the proxy is paired with a loopback run right before or after it, and "added" is the median of the pairs' differences`,
    `webhook: \`notary-pin webhook\` (verify mode, cacheDir), open-loop generator bench/load.ts in a process of its own on the same machine, 32 keep-alive connections, one Pod with one pinned image per request, warmed with every image and then 3 s at the same rate (steady state); ${o.webhookPinned ? 'webhook on CPU 1, generators on CPU 0 (taskset)' : 'not pinned to CPUs (no taskset)'}; server side = the webhook's own request duration histogram (allowed reviews, interpolated in its buckets), scraped before and after the phase`,
    `webhook under attack: the same honest load while a second generator sends ${HOSTILE_RATE} reviews/s (timeout 2 s) alternately naming ${HOSTILE_REPOSITORIES} distinct repositories (over spec.maxRepositoriesPerReview) and 64 never-seen ones (at it) of a trust server that never answers`,
    notationNote(o.notationWebhookPinned),
    totalLine(),
  ];
}

function notationNote(pinnedCpus: boolean): string {
  return `Notation: ${NOTATION_REPOSITORIES} repositories × ${NOTATION_TAGS} tags in the same docker-registry (distribution 2.8, plain HTTP on 127.0.0.1, no referrers API), each image signed once (JWS, RSA-2048 leaf under a test root and intermediate, test/support/notation/signer.ts) and stored as notation 1.x does (signature manifest + \`sha256-<hex>\` referrers tag index); strict trust policy with exact registry scopes, trust store in notation's layout; bundle of the same shape (${RESOURCES} Deployments, shuffled); cold = fresh process, empty cacheDir; the ratio is the median of ${NOTATION_RUNS} paired Notation/Notary v1 cold runs, the CPU rows are from the same runs (the notary-pin process by /usr/bin/time; the server's process tree by /proc, read before and after each run); the RTT rows put bench/delay-proxy.ts in front of the registry (the images then name the proxy's host), each run paired with one through a second proxy that does not delay, so only the round trips differ; the registry floor is bench/registry-floor.ts (the same requests by a bare client, fetch time only, median of ${NOTATION_RUNS} fresh processes); the light registry is the project's own (src/demo/oci-registry.ts, no referrers API) in a process of its own on the same cores, holding the same images signed the same way, ${NOTATION_RUNS} pairs with Notary v1 cold runs; the webhook: verify mode, warmed with every image, ${pinnedCpus ? 'webhook on CPU 1, generators on CPU 0 (taskset)' : 'not pinned to CPUs (no taskset)'}`;
}

/** `--write-results`: bench/RESULTS.md from the table and notes, keeping its hand-written YAML reader section. */
export async function writeResultsFile(table: string, notes: readonly string[]): Promise<void> {
  const md = [
    '# Benchmark results',
    '',
    `Run with \`npm run bench -- --write-results\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    table,
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
  // the YAML reader measurements (bench/yaml-readers.ts, written by hand) are kept
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const previous = await readFile(file, 'utf8').catch(() => '');
  const kept = previous.indexOf('\n## YAML readers');
  await writeFile(file, kept >= 0 ? `${md}${previous.slice(kept)}` : md);
}
