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
 * the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../test/support/exec.js';
import { startNotaryEnv, type ImageInfo, type NotaryEnv } from '../test/support/notary-env.js';
import { TrustRuleSchema } from '../src/config/schema.js';
import { createNotaryResolver } from '../src/trust/notary/resolver.js';
import { RUN_FETCHES_PER_SERVER } from '../src/cli/resolver.js';
import { parseReference } from '../src/reference/parse.js';
import { shuffled } from './bundle.js';
import { notationBench, notationRows, writeNotationHold, type PinRun, type Row } from './notation.js';
import { NOTATION_REPOSITORIES, NOTATION_TAGS, setUpNotation, type NotationSetup } from './notation-setup.js';
import { median, paired, pairedDifference } from './stats.js';
import { figureLines, HOSTILE_RATE, HOSTILE_REPOSITORIES, tailShares, webhookBench, WEBHOOK_RATE, WEBHOOK_SECONDS, WEBHOOK_TAIL_ROW, type WebhookFigures } from './webhook.js';
import { argoLikeInstall, deploymentBundle } from './inputs.js';

/** Starts `bench/<script>` (tsx) as a process of its own; it prints `PORT <n>` once it serves. */
async function startChildServer(script: string, args: readonly string[]): Promise<{ port: number; close: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: ROOT,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 15 s`)), 15_000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error(`${script} exited`)));
  });
  return { port, close: () => void child.kill('SIGKILL') };
}

const startProxyProcess = (targetPort: number, delayMs: number) => startChildServer('delay-proxy.ts', [String(targetPort), String(delayMs)]);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI measured; NOTARY_PIN_BENCH_DIST=/path/to/dist/notary-pin.mjs measures another build (a before/after pair). */
const DIST = process.env.NOTARY_PIN_BENCH_DIST ?? join(ROOT, 'dist', 'notary-pin.mjs');
const GUNS = 50;
const TAGS = 4;
const RESOURCES = 2000;
const BASELINE_PARALLEL = 4;
const ONE_WAY_DELAY_MS = 10;
const RTT_MS = 2 * ONE_WAY_DELAY_MS;
const RUNS = 7;
/** Pairs per Notation comparison (each side a whole CLI run). */
const NOTATION_RUNS = 7;
const COLD_START_RUNS = 10;
/** spec.concurrency for the bench runs: undefined = the product's default. */
const CONCURRENCY: number | undefined = undefined;
/** The whole bench, Notation rows included, on a busy shared machine. */
const DEADLINE_MS = 15 * 60_000;
/** `--hold`: how long the environment stays up for profiling by hand. */
const HOLD_MS = 30 * 60_000;

const started = performance.now();
const children = new Set<ChildProcess>();
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
/** Workloads (one image each) in `argoLikeInstall`. */
const ARGO_WORKLOADS = 7;
const ms = (x: number) => `${x.toFixed(0)} ms`;

function checkDeadline(what: string): void {
  if (performance.now() - started > DEADLINE_MS) throw new Error(`bench: over the ${DEADLINE_MS / 1000} s budget before ${what}`);
}

function mustOk(r: RunResult, what: string): RunResult {
  if (r.code !== 0 || r.timedOut) throw new Error(`${what} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.slice(-2000)}`);
  return r;
}

function configYaml(o: { server: string; caFile: string; registryHost: string; pins: string[]; cacheDir?: string; mode?: string; extraRule?: string }): string {
  return [
    'apiVersion: notary-pin.dev/v1alpha1',
    'kind: NotaryPin',
    'metadata:',
    '  name: bench',
    'spec:',
    `  mode: ${o.mode ?? 'pin'}`,
    ...(CONCURRENCY === undefined ? [] : [`  concurrency: ${CONCURRENCY}`]),
    ...(o.cacheDir ? [`  cacheDir: ${JSON.stringify(o.cacheDir)}`] : []),
    '  trust:',
    '  - name: bench registry',
    `    images: [${JSON.stringify(`${o.registryHost}/**`)}]`,
    `    server: ${o.server}`,
    `    ca: ${JSON.stringify(o.caFile)}`,
    `    rootKeys: [${o.pins.map((p) => JSON.stringify(p)).join(', ')}]`,
    '',
  ].join('\n') + (o.extraRule ?? '');
}

/** Runs the built CLI like a user would, under /usr/bin/time for the peak RSS and its CPU time. */
async function runPin(config: string, input: string, output: string, expectPinned: number, env: Record<string, string> = {}): Promise<PinRun> {
  const t = performance.now();
  const r = await run('/usr/bin/time', ['-f', 'MAXRSS_KB=%M CPU_S=%U+%S', process.execPath, DIST, '--config', config, '-i', input, '-o', output, '-q'], {
    timeoutMs: 60_000,
    env: { NOTARY_PIN_DEBUG: '0', ...env },
  });
  const wallMs = performance.now() - t;
  mustOk(r, `notary-pin ${input}`);
  const m = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  const out = await readFile(output, 'utf8');
  const pinned = out.match(/@sha256:[0-9a-f]{64}/g)?.length ?? 0;
  if (pinned !== expectPinned) throw new Error(`notary-pin pinned ${pinned} images, expected ${expectPinned}`);
  const cpu = /CPU_S=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { wallMs, maxRssKb: m ? Number(m[1]) : Number.NaN, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

/**
 * The baseline: `notary lookup` for every image, as the OPA notary-wrapper does (one process per
 * image); `parallel` at a time, one shared fresh trust dir (so later lookups of a GUN are warm).
 */
async function baseline(env: NotaryEnv, images: readonly ImageInfo[], trustDir: string, parallel: number): Promise<number> {
  await mkdir(trustDir, { recursive: true });
  const queue = images.slice();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let img = queue.shift(); img; img = queue.shift()) {
        const r = mustOk(await env.notary(['lookup', img.gun, img.tag], { trustDir, timeoutMs: 30_000 }), `notary lookup ${img.reference}`);
        const hex = img.digest.slice(7);
        if (!r.stdout.includes(hex)) throw new Error(`notary lookup ${img.reference}: ${r.stdout} does not name ${img.digest}`);
      }
    }),
  );
  return performance.now() - t;
}

/**
 * The network part alone: the production resolver (same code as the CLI), in this process,
 * resolving every image of the bundle at once; a fresh resolver per run (new connections, new TLS
 * handshakes). No process start, no YAML: what is left is round trips plus verification.
 */
async function resolveOnly(server: string, caFile: string, pins: string[], images: readonly ImageInfo[], cacheDir: string): Promise<number> {
  const rule = TrustRuleSchema.parse({ images: ['**'], server, ca: caFile, rootKeys: pins });
  const r = createNotaryResolver({ cacheDir, env: {}, maxFetchesPerServer: RUN_FETCHES_PER_SERVER });
  try {
    const t = performance.now();
    const out = await Promise.all(images.map((img) => r.resolve(parseReference(img.reference), rule)));
    const elapsed = performance.now() - t;
    const bad = out.findIndex((o, i) => !o.ok || o.value.digest !== images[i]!.digest);
    if (bad >= 0) throw new Error(`resolveOnly: ${images[bad]!.reference}: ${JSON.stringify(out[bad])}`);
    return elapsed;
  } finally {
    await r.close();
  }
}

async function coldStart(): Promise<{ cli: number; cliNoCache: number; node: number }> {
  const cli: number[] = [];
  const cliNoCache: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < COLD_START_RUNS; i++) {
    for (const [args, into, env] of [
      [[DIST, '--version'], cli, {}],
      [[DIST, '--version'], cliNoCache, { NODE_DISABLE_COMPILE_CACHE: '1' }],
      [['-e', '0'], node, {}],
    ] as const) {
      const t = performance.now();
      mustOk(await run(process.execPath, args, { timeoutMs: 10_000, env }), `node ${args.join(' ')}`);
      into.push(performance.now() - t);
    }
  }
  return { cli: median(cli), cliNoCache: median(cliNoCache), node: median(node) };
}

/** The rows as a Markdown table with a PASS/MISS column. */
function formatTable(rows: readonly Row[]): string {
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

async function main(): Promise<void> {
  const writeResults = process.argv.includes('--write-results');
  const webhookOnly = process.argv.includes('--webhook-only');
  const notationOnly = process.argv.includes('--notation-only');
  if (!existsSync(DIST)) {
    log('dist/notary-pin.mjs missing: npm run build');
    mustOk(await run('npm', ['run', 'build'], { cwd: ROOT, timeoutMs: 120_000 }), 'npm run build');
  }
  const work = await mkdtemp(join(tmpdir(), 'notary-pin-bench-'));
  let env: NotaryEnv | undefined;
  let proxy: { port: number; close: () => void } | undefined;
  try {
    log('starting notary-server and the registry');
    env = await startNotaryEnv({ readyTimeoutMs: 20_000 });
    const names = Array.from({ length: GUNS }, (_, g) => `bench/app${String(g).padStart(2, '0')}`);
    const tags = Array.from({ length: TAGS }, (_, t) => `v${t + 1}.0`);
    const tSign = performance.now();
    for (let i = 0; i < names.length; i += 10) {
      checkDeadline('signing');
      await env.addRepos(names.slice(i, i + 10).map((name) => ({ name, tags, sign: 'releases' as const })));
      log(`pushed and signed ${Math.min(i + 10, names.length) * TAGS} images`);
    }
    log(`setup: ${ms(performance.now() - tSign)} for ${GUNS * TAGS} images`);
    let notation: NotationSetup | undefined;
    if (!webhookOnly) {
      const tNotation = performance.now();
      checkDeadline('Notation signing');
      notation = await setUpNotation({ registryHost: env.registryHost, dir: join(work, 'notation'), log });
      log(`Notation setup: ${ms(performance.now() - tNotation)} for ${notation.images.length} images in ${NOTATION_REPOSITORIES} repositories`);
    }
    const images = shuffled(Object.values(env.images));
    const pins = [...new Set(Object.values(env.rootKeyIds).flat())];

    const input = join(work, 'bundle.yaml');
    const input10 = join(work, 'bundle-10x.yaml');
    await writeFile(input, deploymentBundle(images, RESOURCES));
    await writeFile(input10, deploymentBundle(images, RESOURCES * 10));
    const inputArgo = join(work, 'argo-like-install.yaml');
    await writeFile(inputArgo, argoLikeInstall(images[0]!.reference));
    const output = join(work, 'out.yaml');
    const cfg = async (name: string, server: string, cacheDir?: string, mode?: string) => {
      const file = join(work, `${name}.yaml`);
      await writeFile(file, configYaml({ server, caFile: env!.caFile, registryHost: env!.registryHost, pins, ...(cacheDir && { cacheDir }), ...(mode && { mode }) }));
      return file;
    };
    const freshCache = async (name: string) => {
      const d = join(work, 'cache', name);
      await rm(d, { recursive: true, force: true });
      return d;
    };

    if (process.argv.includes('--hold')) {
      // For profiling by hand: leave the environment up (HOLD_MS at most) and say where it is.
      const config = await cfg('hold', env.notaryUrl, join(work, 'cache', 'hold'));
      log(`holding: node ${DIST} --config ${config} -i ${input} -o ${output} -q   (10×: ${input10}); Ctrl-C ends`);
      const n = await writeNotationHold(notation!, env.registryHost, work);
      log(`holding, Notation: node ${DIST} --config ${n.config} -i ${n.input} -o ${output} -q`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HOLD_MS);
        process.once('SIGINT', () => (clearTimeout(timer), resolve()));
        process.once('SIGTERM', () => (clearTimeout(timer), resolve()));
      });
      return;
    }

    const runWebhookBench = async (): Promise<WebhookFigures> => {
      const cacheDir = await freshCache('webhook');
      const config = async (extraRule: string) => {
        const file = join(work, 'webhook.yaml');
        await writeFile(file, configYaml({ server: env!.notaryUrl, caFile: env!.caFile, registryHost: env!.registryHost, pins, cacheDir, mode: 'verify', extraRule }));
        return file;
      };
      return webhookBench({ dist: DIST, env: env!, work, images, config, pins, track, log });
    };
    const track = (c: ChildProcess) => {
      children.add(c);
      c.on('exit', () => children.delete(c));
    };
    const runNotationBench = async () => {
      checkDeadline('Notation runs');
      return notationBench({
        setup: notation!,
        registryHost: env!.registryHost,
        work,
        resources: RESOURCES,
        runs: NOTATION_RUNS,
        oneWayDelayMs: ONE_WAY_DELAY_MS,
        runPin,
        notaryCold: async (i) => {
          const name = `ratio-notary-${i}`;
          return runPin(await cfg(name, env!.notaryUrl, await freshCache(name)), input, output, RESOURCES);
        },
        serverPids: env!.daemonPids,
        startProxy: startProxyProcess,
        startLightRegistry: () => startChildServer('light-registry.ts', []),
        webhook: { dist: DIST, tempDir: env!.tempDir, caPem: env!.caPem, track },
        log,
      });
    };
    const notationNote = (pinnedCpus: boolean) =>
      `Notation: ${NOTATION_REPOSITORIES} repositories × ${NOTATION_TAGS} tags in the same docker-registry (distribution 2.8, plain HTTP on 127.0.0.1, no referrers API), each image signed once (JWS, RSA-2048 leaf under a test root and intermediate, test/support/notation/signer.ts) and stored as notation 1.x does (signature manifest + \`sha256-<hex>\` referrers tag index); strict trust policy with exact registry scopes, trust store in notation's layout; bundle of the same shape (${RESOURCES} Deployments, shuffled); cold = fresh process, empty cacheDir; the ratio is the median of ${NOTATION_RUNS} paired Notation/Notary v1 cold runs, the CPU rows are from the same runs (the notary-pin process by /usr/bin/time; the server's process tree by /proc, read before and after each run); the RTT rows put bench/delay-proxy.ts in front of the registry (the images then name the proxy's host), each run paired with one through a second proxy that does not delay, so only the round trips differ; the registry floor is bench/registry-floor.ts (the same requests by a bare client, fetch time only, median of ${NOTATION_RUNS} fresh processes); the light registry is the project's own (src/demo/oci-registry.ts, no referrers API) in a process of its own on the same cores, holding the same images signed the same way, ${NOTATION_RUNS} pairs with Notary v1 cold runs; the webhook: verify mode, warmed with every image, ${pinnedCpus ? 'webhook on CPU 1, generators on CPU 0 (taskset)' : 'not pinned to CPUs (no taskset)'}`;
    if (notationOnly) {
      const f = await runNotationBench();
      const rows = notationRows(f, RESOURCES, NOTATION_REPOSITORIES, notation!.images.length);
      process.stdout.write(`\n${formatTable(rows)}\n\n${[`machine: ${machineLine()}`, notationNote(f.webhookPinned), `total bench time: ${((performance.now() - started) / 1000).toFixed(0)} s`].join('\n')}\n`);
      return;
    }
    if (webhookOnly) {
      for (const line of figureLines(await runWebhookBench())) console.log(line);
      return;
    }

    // notary-pin at loopback speed and through the delay proxy, cold (fresh cache dir each run) and
    // warm (after a cold run). The two are measured in pairs, one right after the other (the order
    // alternating), and the round trips the latency adds are the median of the pairs' differences:
    // a machine whose speed drifts during the bench (a shared VM) then shifts both sides of a pair
    // alike instead of biasing one median against the other.
    log(`notary-pin at loopback and through a ${RTT_MS} ms RTT proxy, in pairs`);
    checkDeadline('notary-pin runs');
    proxy = await startProxyProcess(Number(new URL(env.notaryUrl).port), ONE_WAY_DELAY_MS);
    const proxied = `https://127.0.0.1:${proxy.port}`;
    const notaryUrl = env.notaryUrl;
    const differences = pairedDifference;
    /**
     * `run` at loopback and through the proxy, in pairs: cold (a fresh cache dir each run), then
     * warm (a cache dir from one earlier run on each side).
     */
    const atBothSpeeds = async <T>(label: string, run: (server: string, cacheDir: string, name: string) => Promise<T>) => {
      const cold = (server: string, side: string) => async (i: number) => {
        const name = `${label}-${side}-cold${i}`;
        return run(server, await freshCache(name), name);
      };
      const [loopbackCold, delayedCold] = await paired(RUNS, cold(notaryUrl, 'loopback'), cold(proxied, 'delayed'));
      const warm = async (server: string, side: string) => {
        const name = `${label}-${side}-warm`;
        const dir = await freshCache(name);
        await run(server, dir, name);
        return () => run(server, dir, name);
      };
      const [loopbackWarm, delayedWarm] = await paired(RUNS, await warm(notaryUrl, 'loopback'), await warm(proxied, 'delayed'));
      return { loopbackCold, delayedCold, loopbackWarm, delayedWarm };
    };
    const pin = await atBothSpeeds('pin', async (server, cacheDir, name) => runPin(await cfg(name, server, cacheDir), input, output, RESOURCES));
    const wall = (r: readonly PinRun[]) => r.map((x) => x.wallMs);
    const local = { cold: median(wall(pin.loopbackCold)), warm: median(wall(pin.loopbackWarm)), rss: Math.max(...pin.loopbackCold.map((r) => r.maxRssKb)) };
    const slow = { cold: median(wall(pin.delayedCold)), warm: median(wall(pin.delayedWarm)) };
    const added = { cold: differences(wall(pin.loopbackCold), wall(pin.delayedCold)), warm: differences(wall(pin.loopbackWarm), wall(pin.delayedWarm)) };

    // Resolution alone, in this process, paired the same way: what is left at loopback is
    // verification and cache I/O (CPU), not the network.
    const caFile = env.caFile;
    const res = await atBothSpeeds('resolve', (server, cacheDir) => resolveOnly(server, caFile, pins, images, cacheDir));
    const loc = { cold: median(res.loopbackCold), warm: median(res.loopbackWarm) };
    const net = { cold: median(res.delayedCold), warm: median(res.delayedWarm) };
    const netAdded = { cold: differences(res.loopbackCold, res.delayedCold), warm: differences(res.loopbackWarm, res.delayedWarm) };

    // The OPA notary-wrapper is called for every image of every resource it evaluates: one process
    // per image use of the bundle (RESOURCES of them), one after another.
    const uses = Array.from({ length: RESOURCES }, (_, i) => images[i % images.length]!);
    log(`baseline: notary lookup × ${uses.length} (every image use of the bundle), one after another`);
    checkDeadline('baseline');
    const base = await baseline(env, uses, join(work, 'baseline-trust'), 1);
    log(`baseline, deduplicated: notary lookup × ${images.length} unique images, one after another and ${BASELINE_PARALLEL} at a time`);
    const baseUnique = await baseline(env, images, join(work, 'baseline-trust-unique'), 1);
    const baseParallel = await baseline(env, images, join(work, 'baseline-trust-parallel'), BASELINE_PARALLEL);

    log('peak memory, 10× bundle');
    checkDeadline('memory runs');
    const big = await runPin(await cfg('big', env.notaryUrl, await freshCache('big')), input10, output, RESOURCES * 10);

    log('argo-cd-install-shaped input');
    const argo: number[] = [];
    for (let i = 0; i < RUNS; i++) argo.push((await runPin(await cfg(`argo${i}`, env.notaryUrl, await freshCache(`argo${i}`)), inputArgo, output, ARGO_WORKLOADS)).wallMs);

    log('cold start');
    const start = await coldStart();
    const firstRun = await runPin(await cfg('first-run', env.notaryUrl, await freshCache('first-run')), input, output, RESOURCES, { NODE_DISABLE_COMPILE_CACHE: '1' });

    log(`webhook: ${WEBHOOK_RATE} req/s for ${WEBHOOK_SECONDS} s`);
    checkDeadline('webhook');
    const whFigures = await runWebhookBench();
    const wh = whFigures.normal;
    const attacked = whFigures.underAttack;

    log('Notation rows');
    const notationFigures = await runNotationBench();

    // ------------------------------------------------------------------ report
    const rows: Row[] = [];
    const add = (m: string, v: string, target: string, pass?: boolean) => rows.push([m, v, target, pass]);
    add('notary-pin cold, 2,000 resources / 200 images / 50 GUNs', ms(local.cold), '', undefined);
    add('notary-pin warm (on-disk cache)', ms(local.warm), '', undefined);
    add(`baseline: notary lookup per image use (× ${uses.length}), one after another`, ms(base), '', undefined);
    add('speed-up vs baseline, cold', `${(base / local.cold).toFixed(1)}×`, '>= 50×', base / local.cold >= 50);
    add('speed-up vs baseline, warm', `${(base / local.warm).toFixed(1)}×`, '>= 50×', base / local.warm >= 50);
    add(`deduplicated baseline: × ${images.length} unique images, serial / ${BASELINE_PARALLEL} parallel`, `${ms(baseUnique)} / ${ms(baseParallel)}`, '', undefined);
    add('speed-up vs the deduplicated baselines, cold (serial / parallel)', `${(baseUnique / local.cold).toFixed(1)}× / ${(baseParallel / local.cold).toFixed(1)}×`, '', undefined);
    // Round trips on the critical path: what the injected latency adds to the wall time.
    const addedCold = added.cold / RTT_MS;
    const addedWarm = added.warm / RTT_MS;
    add(`cold @ ${RTT_MS} ms RTT: wall`, `${ms(slow.cold)} (${ms(local.cold)} at loopback)`, '', undefined);
    add(`cold: wall time added by the ${RTT_MS} ms RTT`, `${added.cold.toFixed(0)} ms = ${addedCold.toFixed(1)} RTT`, '<= 6 RTT', addedCold <= 6);
    add(`warm @ ${RTT_MS} ms RTT: wall`, `${ms(slow.warm)} (${ms(local.warm)} at loopback)`, '', undefined);
    add(`warm: wall time added by the ${RTT_MS} ms RTT`, `${added.warm.toFixed(0)} ms = ${addedWarm.toFixed(1)} RTT`, '<= 6 RTT', addedWarm <= 6);
    add(`resolve only (in-process), cold / warm @ ${RTT_MS} ms RTT`, `${ms(net.cold)} / ${ms(net.warm)}`, '', undefined);
    add('resolve only (in-process), cold / warm at loopback', `${ms(loc.cold)} / ${ms(loc.warm)}`, '', undefined);
    add(`resolve only: added by the ${RTT_MS} ms RTT, cold / warm`, `${(netAdded.cold / RTT_MS).toFixed(1)} / ${(netAdded.warm / RTT_MS).toFixed(1)} RTT`, '<= 6 RTT', netAdded.cold / RTT_MS <= 6 && netAdded.warm / RTT_MS <= 6);
    add('peak RSS, 2,000 resources', `${(local.rss / 1024).toFixed(0)} MiB`, '', undefined);
    add('peak RSS, 20,000 resources (10×)', `${(big.maxRssKb / 1024).toFixed(0)} MiB (${(big.maxRssKb / local.rss).toFixed(2)}×)`, '<= 1.5× (flat)', big.maxRssKb / local.rss <= 1.5);
    add('notary-pin cold, 20,000 resources', ms(big.wallMs), '', undefined);
    add('notary-pin cold, argo-cd-install-shaped input (1.9 MB, 59 documents, 3 CRDs with wrapped plain scalars)', ms(median(argo)), '', undefined);
    add(`cold start: node dist/notary-pin.mjs --version (median of ${COLD_START_RUNS})`, ms(start.cli), '', undefined);
    add('cold start without the V8 code cache (first run after install)', ms(start.cliNoCache), '', undefined);
    add('notary-pin cold, 2,000 resources, without the V8 code cache', ms(firstRun.wallMs), '', undefined);
    add('cold start: node -e 0', ms(start.node), '', undefined);
    add('cold start: overhead of the bundle over bare node', ms(start.cli - start.node), '', undefined);
    add(`webhook @ ${WEBHOOK_RATE} req/s, ${WEBHOOK_SECONDS} s, warm: throughput`, `${wh.throughput.toFixed(0)} req/s (${wh.ok}/${wh.sent} ok, ${wh.errors} errors, ${wh.dropped} dropped)`, `${WEBHOOK_RATE} req/s, 0 errors`, wh.throughput >= WEBHOOK_RATE * 0.98 && wh.errors === 0);
    add('webhook latency p50', `${wh.p50Ms.toFixed(2)} ms`, '', undefined);
    add('webhook latency p99', `${wh.p99Ms.toFixed(2)} ms`, '< 5 ms', wh.p99Ms < 5);
    add('webhook latency p99, server side (its own histogram)', `${wh.serverP99Ms?.toFixed(2)} ms`, '', undefined);
    add(WEBHOOK_TAIL_ROW, tailShares(wh), '', undefined);
    add(
      `webhook during an attack (${HOSTILE_RATE} hostile reviews/s of ${HOSTILE_REPOSITORIES} or 64 repositories, stalling trust server): honest p99 client / server`,
      `${attacked.p99Ms.toFixed(2)} ms / ${attacked.serverP99Ms?.toFixed(2)} ms (${attacked.errors} errors)`,
      '< 5 ms, 0 errors',
      attacked.p99Ms < 5 && attacked.errors === 0,
    );
    add('hostile reviews denied / trust requests they caused', `${whFigures.hostile.ok}/${whFigures.hostile.sent} / ${whFigures.stalledRequests}`, 'all denied', whFigures.hostile.ok === whFigures.hostile.sent);

    rows.push(...notationRows(notationFigures, RESOURCES, NOTATION_REPOSITORIES, notation!.images.length));
    const table = formatTable(rows);
    const machine = machineLine();
    const notes = [
      `machine: ${machine}`,
      `date: ${new Date().toISOString()}`,
      `setup: real notary-server (in-memory, TLS) + docker-registry; ${GUNS} GUNs × ${TAGS} tags signed in targets/releases; bundle = ${RESOURCES} Deployments, image order shuffled; spec.concurrency ${CONCURRENCY ?? 'default'}; pins = rootKeys`,
      `notary-pin: \`node dist/notary-pin.mjs --config … -i … -o … -q\` as a process; median of ${RUNS} runs; cold = empty cacheDir, warm = cacheDir from an earlier run; both with the bundle's V8 code cache in place (as from the second run on a machine; the first run, without it, is shown separately)`,
      `baseline: one \`notary -s … --tlscacert … -d <shared fresh trust dir> lookup GUN TAG\` process per image use of the bundle (all ${RESOURCES}, not sampled, one after another, as the OPA notary-wrapper is called per image of each resource); deduplicated: once per unique image (${images.length}), serially and ${BASELINE_PARALLEL} at a time`,
      `resolve only: createNotaryResolver (the CLI's resolver) in the bench process, all 200 images at once, a fresh resolver (new TLS connections) per run, median of ${RUNS}`,
      `latency: bench/delay-proxy.ts delays every chunk ${ONE_WAY_DELAY_MS} ms each way (RTT ≈ ${RTT_MS} ms), in its own process; wall includes node start-up and local work; each run through the proxy is paired with a loopback run right before or after it, and "added" is the median of the pairs' differences`,
      `webhook: \`notary-pin webhook\` (verify mode, cacheDir), open-loop generator bench/load.ts in a process of its own on the same machine, 32 keep-alive connections, one Pod with one pinned image per request, warmed with every image and then 3 s at the same rate (steady state); ${whFigures.pinned ? 'webhook on CPU 1, generators on CPU 0 (taskset)' : 'not pinned to CPUs (no taskset)'}; server side = the webhook's own request duration histogram (allowed reviews, interpolated in its buckets), scraped before and after the phase`,
      `webhook under attack: the same honest load while a second generator sends ${HOSTILE_RATE} reviews/s (timeout 2 s) alternately naming ${HOSTILE_REPOSITORIES} distinct repositories (over spec.maxRepositoriesPerReview) and 64 never-seen ones (at it) of a trust server that never answers`,
      notationNote(notationFigures.webhookPinned),
      `total bench time: ${((performance.now() - started) / 1000).toFixed(0)} s`,
    ];
    process.stdout.write(`\n${table}\n\n${notes.join('\n')}\n`);
    if (writeResults) {
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
  } finally {
    for (const c of children) c.kill('SIGKILL');
    proxy?.close();
    await env?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const hardStop = setTimeout(() => {
  log('hard deadline reached; killing everything');
  for (const c of children) c.kill('SIGKILL');
  process.exit(2);
}, DEADLINE_MS + 60_000 + (process.argv.includes('--hold') ? HOLD_MS : 0));
hardStop.unref();

main().then(
  () => {
    clearTimeout(hardStop);
    process.exit(0);
  },
  (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
);
