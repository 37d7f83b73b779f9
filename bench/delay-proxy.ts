/**
 * A loopback TCP proxy that delays every chunk by `delayMs` in each direction, so one round trip
 * through it costs about 2 × delayMs (10 ms each way ≈ a 20 ms RTT). Order is preserved per
 * direction; the TLS session runs end to end (the proxy only forwards bytes). Listens on
 * 127.0.0.1 only; `close()` destroys every connection.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Forwards `from` → `to`, each chunk released `delayMs` after it arrived (FIFO). */
function pipeDelayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now + 0.5) {
      if (!to.destroyed) to.write(queue.shift()!.chunk);
      else queue.shift();
    }
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()));
    else if (ended && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(flush, delayMs);
  });
}

/** Starts a proxy on 127.0.0.1:0 forwarding to 127.0.0.1:`targetPort`. */
export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pipeDelayed(client, upstream, delayMs);
    pipeDelayed(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs the proxy in its own process (so the timers that release chunks never wait for CPU work of
 * the process under test): `node --import tsx bench/delay-proxy.ts <targetPort> <delayMs>` prints
 * `PORT <n>` and serves until stdin closes (the parent exits or closes the pipe).
 */
if (process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  const proxy = await startDelayProxy(Number(process.argv[2]), Number(process.argv[3]));
  process.stdout.write(`PORT ${proxy.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void proxy.close().then(() => process.exit(0)));
  process.stdin.on('close', () => void proxy.close().then(() => process.exit(0)));
}
