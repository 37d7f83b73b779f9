/**
 * Bounded process execution for the test harness: every command has a timeout, is killed
 * (SIGKILL) when it runs over, and its output is capped. Nothing goes through a shell.
 */
import { spawn } from 'node:child_process';

/** Options for {@link run}. */
export interface RunOptions {
  /** Milliseconds before the process is killed (default 30 s). */
  timeoutMs?: number;
  /** Extra environment variables (merged over `process.env`). */
  env?: Record<string, string>;
  cwd?: string;
  /** Bytes written to stdin (stdin is closed either way). */
  input?: string | Buffer;
  /** Cap for each of stdout and stderr, in bytes (default 1 MiB). */
  maxOutputBytes?: number;
}

/** What a finished process produced. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** A command that failed (non-zero exit, signal, timeout or spawn error). */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly result: RunResult | undefined,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/** Runs `cmd args` to completion (bounded) and resolves with its result, whatever the exit code. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      reject(new ExecError(`cannot start ${cmd}: ${(err as Error).message}`, undefined));
      return;
    }
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < cap) out.push(b.subarray(0, cap - outLen));
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < cap) errOut.push(b.subarray(0, cap - errLen));
      errLen += b.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new ExecError(`cannot start ${cmd}: ${err.message}`, undefined));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errOut).toString('utf8'),
        timedOut,
        durationMs: performance.now() - started,
      });
    });
    child.stdin.on('error', () => {
      /* the process may exit before reading its stdin */
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like {@link run} but rejects with an {@link ExecError} unless the process exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.timedOut) {
    throw new ExecError(
      `${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms (killed)\n${tail(res.stderr)}`,
      res,
    );
  }
  if (res.code !== 0) {
    throw new ExecError(
      `${cmd} ${args.join(' ')} exited ${res.code ?? res.signal}\nstderr: ${tail(res.stderr)}\nstdout: ${tail(res.stdout)}`,
      res,
    );
  }
  return res;
}

function tail(s: string, n = 2000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}
