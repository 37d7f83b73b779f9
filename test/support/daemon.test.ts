import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDaemon, waitUntil } from './daemon.js';

describe('startDaemon / freePort / waitUntil', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notary-pin-daemon-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stop() terminates a running daemon promptly and the process is gone', async () => {
    const d = startDaemon('sleeper', 'sleep', ['30'], join(dir, 'sleep.log'));
    expect(d.hasExited()).toBe(false);
    const started = performance.now();
    await d.stop();
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(d.hasExited()).toBe(true);
    const { code } = await d.exited;
    expect(code).toBe(143); // SIGTERM'd child, reported by the watchdog
  });

  it('notices a daemon that exits on its own and keeps its output in the log file', async () => {
    const log = join(dir, 'fail.log');
    const d = startDaemon('failing', 'sh', ['-c', 'echo broken config >&2; exit 3'], log);
    const res = await Promise.race([
      d.exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3_000)),
    ]);
    expect(res).toEqual({ code: 3, signal: null });
    expect(await readFile(log, 'utf8')).toContain('broken config');
    await expect(
      waitUntil('never ready', async () => false, { timeoutMs: 2_000, daemon: d, readLog: () => 'LOG' }),
    ).rejects.toThrow(/failing exited before it was ready/);
  });

  it('waitUntil gives up after its bound with the last probe error', async () => {
    await expect(
      waitUntil('probe', async () => Promise.reject(new Error('nope')), { timeoutMs: 150, intervalMs: 20 }),
    ).rejects.toThrow(/not ready after 150 ms \(last error: nope\)/);
  });

  it('freePort returns a loopback port that can be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => srv.close(r));
  });
});
