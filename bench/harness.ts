/**
 * What every stage of `npm run bench` shares: the built CLI it measures, the run's sizes, its log,
 * its deadline, and the child processes it must kill at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../test/support/exec.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI measured; NOTARY_PIN_BENCH_DIST=/path/to/dist/notary-pin.mjs measures another build (a before/after pair). */
export const DIST = process.env.NOTARY_PIN_BENCH_DIST ?? join(ROOT, 'dist', 'notary-pin.mjs');
export const GUNS = 50;
export const TAGS = 4;
export const RESOURCES = 2000;
export const BASELINE_PARALLEL = 4;
export const ONE_WAY_DELAY_MS = 10;
export const RTT_MS = 2 * ONE_WAY_DELAY_MS;
export const RUNS = 7;
/** Pairs per Notation comparison (each side a whole CLI run). */
export const NOTATION_RUNS = 7;
export const COLD_START_RUNS = 10;
/** spec.concurrency for the bench runs: undefined = the product's default. */
export const CONCURRENCY: number | undefined = undefined;
/** The whole bench, Notation rows included, on a busy shared machine. */
export const DEADLINE_MS = 15 * 60_000;
/** `--hold`: how long the environment stays up for profiling by hand. */
export const HOLD_MS = 30 * 60_000;
/** Workloads (one image each) in `argoLikeInstall`. */
export const ARGO_WORKLOADS = 7;

export const started = performance.now();
/** Every child process still running; killed at the end, on failure and at the hard deadline. */
export const children = new Set<ChildProcess>();
export const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
export const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Keeps `c` in `children` until it exits. */
export function track(c: ChildProcess): void {
  children.add(c);
  c.on('exit', () => children.delete(c));
}

export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

export function checkDeadline(what: string): void {
  if (performance.now() - started > DEADLINE_MS) throw new Error(`bench: over the ${DEADLINE_MS / 1000} s budget before ${what}`);
}

export function mustOk(r: RunResult, what: string): RunResult {
  if (r.code !== 0 || r.timedOut) throw new Error(`${what} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.slice(-2000)}`);
  return r;
}
