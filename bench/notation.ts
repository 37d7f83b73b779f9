/**
 * The Notation rows of `npm run bench`: the built CLI over a 2,000-resource bundle of
 * Notation-signed images (cold: a fresh process and an empty cacheDir), paired with Notary v1 cold
 * runs for the ratio, and through a delay proxy in front of the registry paired with runs through
 * the same proxy without delay for the round trips; the registry's floor (bench/registry-floor.ts);
 * and `notary-pin webhook` with a Notation config, warm, at 500 req/s.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IsolatedLoadResult } from './load.js';
import { runLoadIsolated } from './load.js';
import { bundle, shuffled } from './bundle.js';
import { notationConfigYaml, notationTrustPolicy, onHost, setUpNotation, type NotationImage, type NotationSetup } from './notation-setup.js';
import { withServerCpu } from './proc-cpu.js';
import { median, paired, pairedDifference, pairedRatio } from './stats.js';
import { review, SERVER_HISTOGRAM, startWebhook, tailShares, WEBHOOK_RATE, WEBHOOK_SECONDS, WEBHOOK_TAIL_ROW, WEBHOOK_WARMUP_SECONDS } from './webhook.js';

/** One table row: metric, value, target, PASS/MISS (undefined = no target). */
export type Row = [string, string, string, boolean | undefined];

export interface PinRun {
  readonly wallMs: number;
  readonly maxRssKb: number;
  /** The notary-pin process's user + system CPU time. */
  readonly cpuMs: number;
}

/** One cold run of a ratio pair: its wall and CPU time, and the CPU its server spent meanwhile. */
export interface ColdRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** The registry's (Notation) or notary-server's (Notary v1) CPU ms during the run; undefined without /proc. */
  readonly serverCpuMs: number | undefined;
}

export interface NotationBenchOptions {
  readonly setup: NotationSetup;
  readonly registryHost: string;
  readonly work: string;
  readonly resources: number;
  readonly runs: number;
  readonly oneWayDelayMs: number;
  /** Runs the built CLI (see cli-runs.ts runPin): checks that `expectPinned` images were pinned. */
  readonly runPin: (config: string, input: string, output: string, expectPinned: number, env?: Record<string, string>) => Promise<PinRun>;
  /** One Notary v1 cold run of the same-shaped bundle (fresh cacheDir). */
  readonly notaryCold: (i: number) => Promise<PinRun>;
  /** The servers' watchdog pids (test/support/notary-env.ts): their CPU during the ratio pairs. */
  readonly serverPids: { readonly notaryServer: number; readonly registry: number };
  /** Starts the delay proxy in front of `port`. */
  readonly startProxy: (port: number, delayMs: number) => Promise<{ port: number; close: () => void }>;
  /** Starts bench/light-registry.ts (the project's own registry) in a process of its own. */
  readonly startLightRegistry: () => Promise<{ port: number; close: () => void }>;
  readonly webhook: { readonly dist: string; readonly tempDir: string; readonly caPem: string; readonly track: (c: ChildProcess) => void };
  readonly log: (m: string) => void;
}

export interface NotationFigures {
  readonly cold: number[];
  /** Notation cold runs paired with `notaryCold` (a second set, for the ratio). */
  readonly ratioPairs: { readonly notation: ColdRun[]; readonly notary: ColdRun[] };
  /** Runs through the delay proxy, paired with runs through a second proxy that does not delay. */
  readonly delayed: { readonly undelayed: number[]; readonly delayed: number[] };
  /** bench/registry-floor.ts: the run's registry requests alone, fetch time only. */
  readonly floor: number[];
  /** Notation cold runs against the light registry (same images and signatures), paired with Notary v1 cold runs. */
  readonly lightPairs: { readonly notation: number[]; readonly notary: number[] };
  readonly rttMs: number;
  readonly webhook: IsolatedLoadResult;
  readonly webhookPinned: boolean;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

/** The Notation rows of the table from the figures. */
export function notationRows(f: NotationFigures, resources: number, repositories: number, images: number): Row[] {
  const cold = median(f.cold);
  const { notation, notary } = f.ratioPairs;
  const wall = (runs: readonly ColdRun[]) => runs.map((r) => r.wallMs);
  const cpu = (runs: readonly ColdRun[]) => runs.map((r) => r.cpuMs);
  const ratio = pairedRatio(wall(notary), wall(notation));
  const cpuRatio = pairedRatio(cpu(notary), cpu(notation));
  const serverCpu = (runs: readonly ColdRun[]) => {
    const known = runs.flatMap((r) => (r.serverCpuMs === undefined ? [] : [r.serverCpuMs]));
    return known.length === 0 ? 'n/a (no /proc)' : ms(median(known));
  };
  const added = pairedDifference(f.delayed.undelayed, f.delayed.delayed);
  const rtts = added / f.rttMs;
  const wh = f.webhook;
  return [
    [`Notation cold, ${resources.toLocaleString('en-US')} resources / ${images} images / ${repositories} repositories`, ms(cold), '', undefined],
    [
      'Notation cold / Notary v1 cold (paired runs)',
      `${ratio.toFixed(2)}× (${ms(median(wall(notation)))} / ${ms(median(wall(notary)))})`,
      '<= 1.5×',
      ratio <= 1.5,
    ],
    [
      'Notation / Notary v1 cold: CPU of the notary-pin process (user + system, paired runs)',
      `${cpuRatio.toFixed(2)}× (${ms(median(cpu(notation)))} / ${ms(median(cpu(notary)))})`,
      '',
      undefined,
    ],
    [
      'Notation / Notary v1 cold: CPU of the server during the run (registry / notary-server, same cores)',
      `${serverCpu(notation)} / ${serverCpu(notary)}`,
      '',
      undefined,
    ],
    [
      'Notation: registry floor (the same requests by a bare client, nothing verified; fetch time only)',
      `${ms(median(f.floor))} (Notation cold ${ms(cold)} includes node start-up and reading the bundle)`,
      '',
      undefined,
    ],
    [
      'Notation cold / Notary v1 cold with a light registry (bench/light-registry.ts: same images, signatures and requests; paired runs)',
      `${pairedRatio(f.lightPairs.notary, f.lightPairs.notation).toFixed(2)}× (${ms(median(f.lightPairs.notation))} / ${ms(median(f.lightPairs.notary))})`,
      '',
      undefined,
    ],
    [`Notation cold @ ${f.rttMs} ms RTT: wall`, `${ms(median(f.delayed.delayed))} (${ms(median(f.delayed.undelayed))} through the proxy without delay)`, '', undefined],
    [`Notation cold: wall time added by the ${f.rttMs} ms RTT`, `${added.toFixed(0)} ms = ${rtts.toFixed(1)} RTT`, '<= 6 RTT', rtts <= 6],
    [
      `Notation webhook @ ${WEBHOOK_RATE} req/s, ${WEBHOOK_SECONDS} s, warm: throughput`,
      `${wh.throughput.toFixed(0)} req/s (${wh.ok}/${wh.sent} ok, ${wh.errors} errors, ${wh.dropped} dropped)`,
      `${WEBHOOK_RATE} req/s, 0 errors`,
      wh.throughput >= WEBHOOK_RATE * 0.98 && wh.errors === 0,
    ],
    ['Notation webhook latency p50 / p99 (client)', `${wh.p50Ms.toFixed(2)} ms / ${wh.p99Ms.toFixed(2)} ms`, '< 5 ms', wh.p99Ms < 5],
    [`Notation ${WEBHOOK_TAIL_ROW}`, tailShares(wh), '', undefined],
    ['Notation webhook latency p99, server side (its own histogram)', `${wh.serverP99Ms?.toFixed(2) ?? '?'} ms`, '< 5 ms', wh.serverP99Ms !== undefined && wh.serverP99Ms < 5],
  ];
}

/** Measures everything the Notation rows need. */
export async function notationBench(o: NotationBenchOptions): Promise<NotationFigures> {
  const { setup, work } = o;
  const registryPort = Number(o.registryHost.split(':').pop());
  const proxy = await o.startProxy(registryPort, o.oneWayDelayMs);
  // The round trips are the difference to the same path without delay (the proxy's own work cancels out).
  const zero = await o.startProxy(registryPort, 0);
  const hosts = { loopback: o.registryHost, undelayed: `127.0.0.1:${zero.port}`, delayed: `127.0.0.1:${proxy.port}` };
  try {
    const policy = join(work, 'notation-trustpolicy.json');
    await writeFile(policy, JSON.stringify(notationTrustPolicy(Object.values(hosts), setup.names)));
    const images = shuffled(setup.images);
    const inputs = { loopback: join(work, 'notation-bundle.yaml'), undelayed: join(work, 'notation-bundle-undelayed.yaml'), delayed: join(work, 'notation-bundle-delayed.yaml') };
    await writeFile(inputs.loopback, bundle(images, o.resources));
    await writeFile(inputs.undelayed, bundle(onHost(images, hosts.undelayed), o.resources));
    await writeFile(inputs.delayed, bundle(onHost(images, hosts.delayed), o.resources));
    const output = join(work, 'notation-out.yaml');
    const coldRun = (side: keyof typeof hosts) => (i: number): Promise<PinRun> =>
      notationColdRun(o, { name: `${side}-${i}`, registryHost: hosts[side], policy, trustStore: setup.trustStore, input: inputs[side], output });
    const cold = (side: keyof typeof hosts) => async (i: number) => (await coldRun(side)(i)).wallMs;
    const withServer = (pid: number, run: (i: number) => Promise<PinRun>) => async (i: number): Promise<ColdRun> => {
      const { value, serverCpuMs } = await withServerCpu(pid, () => run(i));
      return { wallMs: value.wallMs, cpuMs: value.cpuMs, serverCpuMs };
    };
    o.log(`Notation cold vs Notary v1 cold, ${o.runs} pairs`);
    const [notation, notary] = await paired(o.runs, withServer(o.serverPids.registry, coldRun('loopback')), withServer(o.serverPids.notaryServer, o.notaryCold));
    o.log(`Notation cold against a light registry (bench/light-registry.ts) vs Notary v1 cold, ${o.runs} pairs`);
    const lightPairs = await lightRegistryPairs(o);
    o.log(`Notation cold through a proxy in front of the registry, without delay vs at a ${2 * o.oneWayDelayMs} ms RTT, ${o.runs} pairs`);
    const [undelayed, delayed] = await paired(o.runs, cold('undelayed'), cold('delayed'));
    o.log(`Notation: the registry floor, ${o.runs} runs`);
    const floor = await registryFloor(o, images);
    o.log(`Notation webhook: ${WEBHOOK_RATE} req/s for ${WEBHOOK_SECONDS} s`);
    const wh = await notationWebhook(o, policy, images);
    return {
      cold: notation.map((r) => r.wallMs),
      ratioPairs: { notation, notary },
      delayed: { undelayed, delayed },
      floor,
      lightPairs,
      rttMs: 2 * o.oneWayDelayMs,
      webhook: wh.result,
      webhookPinned: wh.pinned,
    };
  } finally {
    proxy.close();
    zero.close();
  }
}

/** One cold Notation run of the built CLI: its own config and a fresh cacheDir (removed after). */
async function notationColdRun(
  o: NotationBenchOptions,
  r: { name: string; registryHost: string; policy: string; trustStore: string; input: string; output: string },
): Promise<PinRun> {
  const cacheDir = join(o.work, 'cache', `notation-${r.name}-${Math.random().toString(36).slice(2)}`);
  const config = join(o.work, `notation-${r.name}.yaml`);
  await writeFile(config, notationConfigYaml({ registryHost: r.registryHost, trustPolicy: r.policy, trustStore: r.trustStore, cacheDir }));
  try {
    return await o.runPin(config, r.input, r.output, o.resources);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** The same images pushed and signed into the light registry; Notation cold runs against it paired with Notary v1 cold runs. */
async function lightRegistryPairs(o: NotationBenchOptions): Promise<{ notation: number[]; notary: number[] }> {
  const server = await o.startLightRegistry();
  try {
    const host = `127.0.0.1:${server.port}`;
    const setup = await setUpNotation({ registryHost: host, dir: join(o.work, 'notation-light'), log: () => {} });
    const policy = join(o.work, 'notation-light-trustpolicy.json');
    await writeFile(policy, JSON.stringify(notationTrustPolicy([host], setup.names)));
    const input = join(o.work, 'notation-light-bundle.yaml');
    await writeFile(input, bundle(shuffled(setup.images), o.resources));
    const output = join(o.work, 'notation-light-out.yaml');
    const light = async (i: number): Promise<number> =>
      (await notationColdRun(o, { name: `light-${i}`, registryHost: host, policy, trustStore: setup.trustStore, input, output })).wallMs;
    const [notation, notary] = await paired(o.runs, light, async (i) => (await o.notaryCold(i)).wallMs);
    return { notation, notary };
  } finally {
    server.close();
  }
}

/** bench/registry-floor.ts `o.runs` times, each in a fresh process (60 s bound each). */
async function registryFloor(o: NotationBenchOptions, images: readonly NotationImage[]): Promise<number[]> {
  const file = join(o.work, 'notation-floor-images.json');
  await writeFile(file, JSON.stringify(images.map((i) => ({ name: i.name, tag: i.tag }))));
  const script = fileURLToPath(new URL('./registry-floor.ts', import.meta.url));
  const out: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script, o.registryHost, file], { timeout: 60_000 }, (e, so) => (e ? reject(e) : resolve(so))),
    );
    out.push((JSON.parse(stdout) as { wallMs: number }).wallMs);
  }
  return out;
}

/** For `--hold`: a Notation config (cacheDir under `work`) and bundle to run by hand. */
export async function writeNotationHold(setup: NotationSetup, registryHost: string, work: string): Promise<{ config: string; input: string }> {
  const policy = join(work, 'notation-trustpolicy-hold.json');
  await writeFile(policy, JSON.stringify(notationTrustPolicy([registryHost], setup.names)));
  const config = join(work, 'notation-hold.yaml');
  await writeFile(config, notationConfigYaml({ registryHost, trustPolicy: policy, trustStore: setup.trustStore, cacheDir: join(work, 'cache', 'notation-hold') }));
  const input = join(work, 'notation-bundle-hold.yaml');
  await writeFile(input, bundle(shuffled(setup.images), 2000));
  return { config, input };
}

/** `notary-pin webhook` with the Notation config (verify mode), warmed with every image, then measured. */
async function notationWebhook(o: NotationBenchOptions, policy: string, images: readonly { reference: string; digest: string }[]) {
  const config = join(o.work, 'notation-webhook.yaml');
  const cacheDir = join(o.work, 'cache', 'notation-webhook');
  await writeFile(config, notationConfigYaml({ registryHost: o.registryHost, trustPolicy: policy, trustStore: o.setup.trustStore, cacheDir, mode: 'verify' }));
  const logFile = join(o.work, 'notation-webhook.log');
  const { child, origin, pinned } = await startWebhook({ dist: o.webhook.dist, config, env: o.webhook, logFile, track: o.webhook.track });
  try {
    const bodies = (n: number, step: number) => Array.from({ length: n }, (_, i) => review(i, images[(i * step) % images.length]!));
    const [warm, steady, measured] = await runLoadIsolated({
      origin,
      path: '/validate?timeout=10s',
      ca: o.webhook.caPem,
      check: 'allowed',
      cpu: 0,
      serverHistogram: SERVER_HISTOGRAM,
      phases: [
        { rate: 200, durationMs: 1000, bodies: bodies(200, 1) },
        { rate: WEBHOOK_RATE, durationMs: WEBHOOK_WARMUP_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_WARMUP_SECONDS, 3), maxInFlight: 2000 },
        { rate: WEBHOOK_RATE, durationMs: WEBHOOK_SECONDS * 1000, bodies: bodies(WEBHOOK_RATE * WEBHOOK_SECONDS, 7), maxInFlight: 2000 },
      ],
    });
    if (warm!.errors > 0) o.log(`Notation webhook warm-up: ${warm!.errors} errors (see ${logFile})`);
    if (steady!.errors > 0) o.log(`Notation webhook warm-up at ${WEBHOOK_RATE} req/s: ${steady!.errors} errors, ${steady!.dropped} dropped`);
    return { result: measured!, pinned };
  } finally {
    child.kill('SIGKILL');
  }
}
