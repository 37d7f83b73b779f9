/**
 * Long-running helper processes (notary-server, the registry) for the test harness.
 *
 * Each daemon runs under a tiny `bash` watchdog whose stdin is a pipe from this Node process: when
 * the pipe closes (we call `stop()`, or this process exits or is killed, even with SIGKILL) the
 * watchdog terminates the daemon (TERM, then KILL after 3 s); when the daemon exits on its own,
 * the watchdog exits too, so a failed start is seen at once. The watchdog and daemon form their
 * own process group, which an `exit` handler SIGKILLs synchronously as a last resort. When the
 * parent died without `stop()`, the watchdog also removes the environment's temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const WATCHDOG = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- & child=$!',
  // Builtins only (no fork per tick): leave when the daemon is gone or our stdin hits EOF.
  // stop() writes a line; EOF without one means our parent died (even by SIGKILL).
  'orphaned=0',
  'while kill -0 "$child" 2>/dev/null; do',
  '  read -r -t 0.25 -u 3 _; r=$?',
  '  if [ "$r" -eq 0 ]; then break; fi',
  '  if [ "$r" -eq 1 ]; then orphaned=1; break; fi',
  'done',
  'if kill -0 "$child" 2>/dev/null; then',
  '  kill -TERM "$child" 2>/dev/null',
  '  i=0; while kill -0 "$child" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
  '  kill -KILL "$child" 2>/dev/null',
  'fi',
  'wait "$child"; rc=$?',
  // Our parent died without stop() (SIGKILL, SIGTERM): remove its temp dir as well.
  'if [ -n "$WATCHDOG_RM_DIR" ] && [ "$orphaned" -eq 1 ]; then rm -rf -- "$WATCHDOG_RM_DIR"; fi',
  'exit $rc',
].join('\n');

/** A started daemon. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** Path of the file that receives the daemon's stdout and stderr. */
  readonly logFile: string;
  /** Resolves when the daemon has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the daemon's watchdog has exited. */
  hasExited(): boolean;
  /** Stops the daemon (bounded: 5 s, then SIGKILL of the process group). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child);
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort at exit */
      }
    }
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Registers a directory to be removed when this process exits (if `stop()` did not already). */
export function registerTempDir(dir: string): () => void {
  installExitHook();
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

/**
 * Starts `cmd args` as a watched daemon writing its output to `logFile`. If this process dies
 * without calling `stop()`, the watchdog kills the daemon and removes `orphanCleanupDir` (if given).
 */
export function startDaemon(
  name: string,
  cmd: string,
  args: readonly string[],
  logFile: string,
  orphanCleanupDir?: string,
): Daemon {
  installExitHook();
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('bash', ['-c', WATCHDOG, 'watchdog', cmd, ...args], {
      detached: true,
      stdio: ['pipe', logFd, logFd],
      env: { ...process.env, WATCHDOG_RM_DIR: orphanCleanupDir ?? '' },
    });
  } finally {
    closeSync(logFd);
  }
  live.add(child);
  child.stdin?.on('error', () => {
    /* watchdog gone */
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => {
      done = true;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
    child.on('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });
  // The watchdog must not keep the event loop alive on its own.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    name,
    pid: child.pid ?? -1,
    logFile,
    exited,
    hasExited: () => done,
    async stop() {
      if (done) return;
      child.stdin?.end('stop\n');
      const timer = setTimeout(() => killGroup(child), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Asks the kernel for a free loopback TCP port (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns true, the daemon exits, or `timeoutMs` passes.
 * Rejects with the last probe error and the tail of the daemon's log.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; daemon?: Daemon; readLog?: () => string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastErr = '';
  for (;;) {
    if (opts.daemon?.hasExited()) {
      throw new Error(`${what}: ${opts.daemon.name} exited before it was ready\n${opts.readLog?.() ?? ''}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${what}: not ready after ${opts.timeoutMs} ms (last error: ${lastErr || 'none'})\n${opts.readLog?.() ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
