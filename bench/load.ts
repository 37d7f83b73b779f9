/**
 * An open-loop HTTPS load generator (loopback only, bounded): sends `rate` requests per second
 * for `durationMs`, on a fixed schedule whatever the answers do (no coordinated omission: latency
 * is measured from the scheduled send time). At most `maxInFlight` requests are outstanding; a
 * request that would exceed it is counted as dropped, not queued. Every request has a timeout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { histogramDelta, histogramQuantile, parseGauge, parseHistogram } from './prom-histogram.js';

export interface LoadOptions {
  /** `https://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly path: string;
  readonly ca: string;
  readonly rate: number;
  readonly durationMs: number;
  /** Request body for the i-th request. */
  readonly body: (i: number) => string;
  readonly maxInFlight?: number;
  readonly timeoutMs?: number;
  readonly connections?: number;
  /** Checks a 2xx answer's body; false counts as an error. */
  readonly check?: (body: string) => boolean;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly dropped: number;
  /** Completed (ok) requests per second over the whole run, until the last answer. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly elapsedMs: number;
  /** How late the generator itself sent requests (actual − scheduled send time), p99: its own share of the latencies. */
  readonly sendLatenessP99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** What a run has counted so far. */
interface Tally {
  readonly latencies: number[];
  readonly lateness: number[];
  inFlight: number;
  errors: number;
  dropped: number;
  sent: number;
}

/** Sends request `i` (due at `scheduled`) unless `maxInFlight` are out; its latency counts from `scheduled`. */
function sendOne(o: LoadOptions, pool: Pool, t: Tally, i: number, scheduled: number): Promise<void> | undefined {
  if (t.inFlight >= (o.maxInFlight ?? 1000)) {
    t.dropped++;
    return undefined;
  }
  t.inFlight++;
  t.sent++;
  t.lateness.push(performance.now() - scheduled);
  return (async () => {
    try {
      const res = await pool.request({
        path: o.path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: o.body(i),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      const text = await res.body.text();
      const latency = performance.now() - scheduled; // the whole answer is in; checking it is ours
      if (res.statusCode >= 200 && res.statusCode < 300 && (o.check?.(text) ?? true)) t.latencies.push(latency);
      else t.errors++;
    } catch {
      t.errors++;
    } finally {
      t.inFlight--;
    }
  })();
}

/** The schedule: request i is due at start + i × interval; a timer tick sends everything due. */
function onSchedule(start: number, total: number, interval: number, send: (i: number, scheduled: number) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        send(next, start + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const pool = new Pool(o.origin, {
    connections: o.connections ?? 32,
    pipelining: 1,
    connect: { ca: o.ca, rejectUnauthorized: true },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const t: Tally = { latencies: [], lateness: [], inFlight: 0, errors: 0, dropped: 0, sent: 0 };
  const pending: Promise<void>[] = [];
  const start = performance.now();
  await onSchedule(start, Math.round((o.rate * o.durationMs) / 1000), 1000 / o.rate, (i, scheduled) => {
    const p = sendOne(o, pool, t, i, scheduled);
    if (p !== undefined) pending.push(p);
  });
  await Promise.all(pending);
  const elapsedMs = performance.now() - start;
  await pool.close();
  const sorted = t.latencies.slice().sort((a, b) => a - b);
  return {
    sent: t.sent,
    ok: t.latencies.length,
    errors: t.errors,
    dropped: t.dropped,
    throughput: t.latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    elapsedMs,
    sendLatenessP99Ms: percentile(t.lateness.sort((a, b) => a - b), 99),
  };
}

/** One phase of `runLoadIsolated`: a rate, a duration and the bodies to send. */
export interface LoadPhase {
  readonly rate: number;
  readonly durationMs: number;
  /** Request i sends `bodies[i % bodies.length]`. */
  readonly bodies: readonly string[];
  readonly maxInFlight?: number;
}

/** What `runLoadIsolated` sends to its child: the phases, the target, and a named answer check. */
export interface IsolatedLoadOptions extends Pick<LoadOptions, 'origin' | 'path' | 'ca' | 'timeoutMs' | 'connections'> {
  /** Run one after another in the same child (warm-ups first: the generator's JIT is warm too). */
  readonly phases: readonly LoadPhase[];
  /** A 2xx answer counts only if it is an AdmissionReview with `response.allowed` true (`allowed`) or false (`denied`). */
  readonly check?: 'allowed' | 'denied';
  /** Run the generator on this CPU only (`taskset -c`), when the machine allows it. */
  readonly cpu?: number;
  /**
   * The server's own latency histogram: scraped from `path` (GET, same origin) before and after
   * each phase, so each result carries the server-side p50/p99 of that phase's requests.
   */
  readonly serverHistogram?: { readonly path: string; readonly name: string; readonly labels?: Readonly<Record<string, string>> };
}

/** A phase's result with, when `serverHistogram` was given, the server's own view of it. */
export interface IsolatedLoadResult extends LoadResult {
  readonly serverP50Ms?: number;
  readonly serverP99Ms?: number;
  /** Requests the server counted in the histogram during the phase. */
  readonly serverCount?: number;
  /** The server's event-loop delay during the phase, p99 and max (prom-client's default metrics, sampled every 10 ms). */
  readonly serverEventLoopDelay?: { readonly p99Ms: number; readonly maxMs: number };
}

const allowedIs = (want: boolean) => (body: string): boolean => (JSON.parse(body) as { response?: { allowed?: boolean } }).response?.allowed === want;

let tasksetWorks: boolean | undefined;

/**
 * `command args` run on CPU `cpu` only: prefixed with `taskset -c <cpu>` when taskset works here
 * and the machine has that CPU; unchanged (and `pinned: false`) otherwise.
 */
export function onCpu(cpu: number | undefined, command: string, args: readonly string[]): { command: string; args: string[]; pinned: boolean } {
  if (cpu === undefined || cpu >= cpus().length) return { command, args: [...args], pinned: false };
  tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  if (!tasksetWorks) return { command, args: [...args], pinned: false };
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args], pinned: true };
}

/**
 * The phases of `runLoad` in a child process of its own: the generator's timers and GC then do not
 * share a heap and an event loop with the bench (which holds the bundles and the notary-pin runs'
 * bookkeeping), so its own pauses add less to the latencies it measures. One result per phase. The
 * child is killed if it has not answered within the phases' durations plus the request timeout and
 * a margin.
 */
export async function runLoadIsolated(o: IsolatedLoadOptions): Promise<IsolatedLoadResult[]> {
  const cmd = onCpu(o.cpu, process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child']);
  const child = spawn(cmd.command, cmd.args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)), // where `tsx` resolves
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stdin.end(JSON.stringify(o));
  const limit = o.phases.reduce((t, p) => t + p.durationMs + (o.timeoutMs ?? 10_000), 0) + 30_000;
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limit);
    child.once('exit', (c) => (clearTimeout(timer), resolve(c)));
  });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(Buffer.concat(out).toString('utf8')) as IsolatedLoadResult[];
}

/** GETs `path` from the origin (the server's metrics), bounded by a timeout. */
async function scrape(o: IsolatedLoadOptions, path: string): Promise<string> {
  const pool = new Pool(o.origin, { connections: 1, connect: { ca: o.ca, rejectUnauthorized: true } });
  try {
    const res = await pool.request({ path, method: 'GET', signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode}`);
    return text;
  } finally {
    await pool.close();
  }
}

/**
 * The webhook's event-loop delay since the scrape before the phase (prom-client resets its monitor at each
 * scrape), beyond the monitor's 10 ms sampling interval; undefined when the server exports no such gauges.
 */
function eventLoopDelay(metricsText: string): { p99Ms: number; maxMs: number } | undefined {
  const p99 = parseGauge(metricsText, `${EVENT_LOOP_LAG}_p99_seconds`);
  const max = parseGauge(metricsText, `${EVENT_LOOP_LAG}_max_seconds`);
  if (p99 === undefined || max === undefined) return undefined;
  const beyond = (s: number) => Math.max(0, s * 1000 - EVENT_LOOP_SAMPLING_MS);
  return { p99Ms: beyond(p99), maxMs: beyond(max) };
}
const EVENT_LOOP_LAG = 'notary_pin_nodejs_eventloop_lag';
const EVENT_LOOP_SAMPLING_MS = 10;

/** One phase, with the server-side latency of its requests when asked for. */
async function runPhase(o: IsolatedLoadOptions, phase: LoadPhase): Promise<IsolatedLoadResult> {
  const { bodies, ...rest } = phase;
  const accept = o.check === undefined ? undefined : allowedIs(o.check === 'allowed');
  const { phases: _phases, check: _check, cpu: _cpu, serverHistogram: h, ...common } = o;
  const before = h === undefined ? undefined : parseHistogram(await scrape(o, h.path), h.name, h.labels);
  const result = await runLoad({ ...common, ...rest, body: (i) => bodies[i % bodies.length]!, check: accept });
  if (h === undefined || before === undefined) return result;
  const after = await scrape(o, h.path);
  const delta = histogramDelta(before, parseHistogram(after, h.name, h.labels));
  return {
    ...result,
    serverP50Ms: histogramQuantile(0.5, delta) * 1000,
    serverP99Ms: histogramQuantile(0.99, delta) * 1000,
    serverCount: delta.at(-1)?.count ?? 0,
    serverEventLoopDelay: eventLoopDelay(after),
  };
}

async function childMain(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const o = JSON.parse(Buffer.concat(chunks).toString('utf8')) as IsolatedLoadOptions;
  const results: IsolatedLoadResult[] = [];
  for (const phase of o.phases) results.push(await runPhase(o, phase));
  process.stdout.write(JSON.stringify(results));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--child')) {
  childMain().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`load generator: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
