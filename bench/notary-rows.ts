/**
 * The Notary v1 rows of `npm run bench`: notary-pin cold and warm at loopback and through a 20 ms
 * RTT proxy (paired), the production resolver alone, the `notary lookup` baselines, peak memory
 * with a 10× bundle, the argo-cd-install-shaped input, and cold start.
 */
import { join } from 'node:path';
import { baseline, coldStart, resolveOnly, runPin, startProxyProcess } from './cli-runs.js';
import { ARGO_WORKLOADS, BASELINE_PARALLEL, checkDeadline, COLD_START_RUNS, log, ms, ONE_WAY_DELAY_MS, RESOURCES, RTT_MS, RUNS } from './harness.js';
import type { PinRun, Row } from './notation.js';
import type { BenchSetup } from './setup.js';
import { median, paired, pairedDifference } from './stats.js';

/** What the caller must close at the end (the delay proxy, once started). */
export interface Held {
  proxy?: { port: number; close: () => void };
}

type Sides<T> = { loopbackCold: T[]; delayedCold: T[]; loopbackWarm: T[]; delayedWarm: T[] };
type ColdWarm = { cold: number; warm: number };

export interface NotaryFigures {
  /** notary-pin as a process: medians at loopback (and the cold runs' peak RSS), through the proxy, and what the RTT adds. */
  readonly local: ColdWarm & { rss: number };
  readonly slow: ColdWarm;
  readonly added: ColdWarm;
  /** The resolver alone, in this process: at loopback, through the proxy, and what the RTT adds. */
  readonly loc: ColdWarm;
  readonly net: ColdWarm;
  readonly netAdded: ColdWarm;
  readonly baselines: { uses: number; images: number; base: number; baseUnique: number; baseParallel: number };
  readonly big: PinRun;
  readonly argo: number[];
  readonly start: { cli: number; cliNoCache: number; node: number };
  readonly firstRun: PinRun;
}

/** Measures every Notary v1 figure, in the order the rows were always measured. */
export async function measureNotary(s: BenchSetup, held: Held): Promise<NotaryFigures> {
  const pairs = await measurePairs(s, held);
  const baselines = await measureBaselines(s);
  log('peak memory, 10× bundle');
  checkDeadline('memory runs');
  const big = await runPin(await s.cfg('big', s.env.notaryUrl, await s.freshCache('big')), s.input10, s.output, RESOURCES * 10);

  log('argo-cd-install-shaped input');
  const argo: number[] = [];
  for (let i = 0; i < RUNS; i++) argo.push((await runPin(await s.cfg(`argo${i}`, s.env.notaryUrl, await s.freshCache(`argo${i}`)), s.inputArgo, s.output, ARGO_WORKLOADS)).wallMs);

  log('cold start');
  const start = await coldStart();
  const firstRun = await runPin(await s.cfg('first-run', s.env.notaryUrl, await s.freshCache('first-run')), s.input, s.output, RESOURCES, { NODE_DISABLE_COMPILE_CACHE: '1' });
  return { ...pairs, baselines, big, argo, start, firstRun };
}

/**
 * notary-pin at loopback speed and through the delay proxy, cold (fresh cache dir each run) and
 * warm (after a cold run). The two are measured in pairs, one right after the other (the order
 * alternating), and the round trips the latency adds are the median of the pairs' differences:
 * a machine whose speed drifts during the bench (a shared VM) then shifts both sides of a pair
 * alike instead of biasing one median against the other.
 */
async function measurePairs(s: BenchSetup, held: Held): Promise<Pick<NotaryFigures, 'local' | 'slow' | 'added' | 'loc' | 'net' | 'netAdded'>> {
  log(`notary-pin at loopback and through a ${RTT_MS} ms RTT proxy, in pairs`);
  checkDeadline('notary-pin runs');
  held.proxy = await startProxyProcess(Number(new URL(s.env.notaryUrl).port), ONE_WAY_DELAY_MS);
  const servers = { loopback: s.env.notaryUrl, delayed: `https://127.0.0.1:${held.proxy.port}` };
  const pin = await atBothSpeeds(s, servers, 'pin', async (server, cacheDir, name) => runPin(await s.cfg(name, server, cacheDir), s.input, s.output, RESOURCES));
  const wall = (r: readonly PinRun[]) => r.map((x) => x.wallMs);
  const local = { cold: median(wall(pin.loopbackCold)), warm: median(wall(pin.loopbackWarm)), rss: Math.max(...pin.loopbackCold.map((r) => r.maxRssKb)) };
  const slow = { cold: median(wall(pin.delayedCold)), warm: median(wall(pin.delayedWarm)) };
  const added = { cold: pairedDifference(wall(pin.loopbackCold), wall(pin.delayedCold)), warm: pairedDifference(wall(pin.loopbackWarm), wall(pin.delayedWarm)) };

  // Resolution alone, in this process, paired the same way: what is left at loopback is
  // verification and cache I/O (CPU), not the network.
  const caFile = s.env.caFile;
  const res = await atBothSpeeds(s, servers, 'resolve', (server, cacheDir) => resolveOnly(server, caFile, s.pins, s.images, cacheDir));
  const loc = { cold: median(res.loopbackCold), warm: median(res.loopbackWarm) };
  const net = { cold: median(res.delayedCold), warm: median(res.delayedWarm) };
  const netAdded = { cold: pairedDifference(res.loopbackCold, res.delayedCold), warm: pairedDifference(res.loopbackWarm, res.delayedWarm) };
  return { local, slow, added, loc, net, netAdded };
}

/**
 * `run` at loopback and through the proxy, in pairs: cold (a fresh cache dir each run), then
 * warm (a cache dir from one earlier run on each side).
 */
async function atBothSpeeds<T>(s: BenchSetup, servers: { loopback: string; delayed: string }, label: string, run: (server: string, cacheDir: string, name: string) => Promise<T>): Promise<Sides<T>> {
  const cold = (server: string, side: string) => async (i: number) => {
    const name = `${label}-${side}-cold${i}`;
    return run(server, await s.freshCache(name), name);
  };
  const [loopbackCold, delayedCold] = await paired(RUNS, cold(servers.loopback, 'loopback'), cold(servers.delayed, 'delayed'));
  const warm = async (server: string, side: string) => {
    const name = `${label}-${side}-warm`;
    const dir = await s.freshCache(name);
    await run(server, dir, name);
    return () => run(server, dir, name);
  };
  const [loopbackWarm, delayedWarm] = await paired(RUNS, await warm(servers.loopback, 'loopback'), await warm(servers.delayed, 'delayed'));
  return { loopbackCold, delayedCold, loopbackWarm, delayedWarm };
}

/**
 * The OPA notary-wrapper is called for every image of every resource it evaluates: one process
 * per image use of the bundle (RESOURCES of them), one after another; then deduplicated.
 */
async function measureBaselines(s: BenchSetup): Promise<NotaryFigures['baselines']> {
  const { env, images, work } = s;
  const uses = Array.from({ length: RESOURCES }, (_, i) => images[i % images.length]!);
  log(`baseline: notary lookup × ${uses.length} (every image use of the bundle), one after another`);
  checkDeadline('baseline');
  const base = await baseline(env, uses, join(work, 'baseline-trust'), 1);
  log(`baseline, deduplicated: notary lookup × ${images.length} unique images, one after another and ${BASELINE_PARALLEL} at a time`);
  const baseUnique = await baseline(env, images, join(work, 'baseline-trust-unique'), 1);
  const baseParallel = await baseline(env, images, join(work, 'baseline-trust-parallel'), BASELINE_PARALLEL);
  return { uses: uses.length, images: images.length, base, baseUnique, baseParallel };
}

/** The Notary v1 rows of the table, with their targets. */
export function notaryRows(f: NotaryFigures): Row[] {
  const { local, slow, added, loc, net, netAdded, big, start } = f;
  const { base, baseUnique, baseParallel } = f.baselines;
  const rows: Row[] = [];
  const add = (m: string, v: string, target: string, pass?: boolean) => rows.push([m, v, target, pass]);
  add('notary-pin cold, 2,000 resources / 200 images / 50 GUNs', ms(local.cold), '', undefined);
  add('notary-pin warm (on-disk cache)', ms(local.warm), '', undefined);
  add(`baseline: notary lookup per image use (× ${f.baselines.uses}), one after another`, ms(base), '', undefined);
  add('speed-up vs baseline, cold', `${(base / local.cold).toFixed(1)}×`, '>= 50×', base / local.cold >= 50);
  add('speed-up vs baseline, warm', `${(base / local.warm).toFixed(1)}×`, '>= 50×', base / local.warm >= 50);
  add(`deduplicated baseline: × ${f.baselines.images} unique images, serial / ${BASELINE_PARALLEL} parallel`, `${ms(baseUnique)} / ${ms(baseParallel)}`, '', undefined);
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
  add('notary-pin cold, argo-cd-install-shaped input (1.9 MB, 59 documents, 3 CRDs with wrapped plain scalars)', ms(median(f.argo)), '', undefined);
  add(`cold start: node dist/notary-pin.mjs --version (median of ${COLD_START_RUNS})`, ms(start.cli), '', undefined);
  add('cold start without the V8 code cache (first run after install)', ms(start.cliNoCache), '', undefined);
  add('notary-pin cold, 2,000 resources, without the V8 code cache', ms(f.firstRun.wallMs), '', undefined);
  add('cold start: node -e 0', ms(start.node), '', undefined);
  add('cold start: overhead of the bundle over bare node', ms(start.cli - start.node), '', undefined);
  return rows;
}
