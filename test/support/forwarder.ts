/** A TCP forwarder on 127.0.0.1 to a local port that tests take down and up again (a server outage). */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Forwarder {
  readonly port: number;
  /** Closes the listener and every connection: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
}

export async function startForwarder(targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const x of [client, upstream]) {
          sockets.add(x);
          x.on('close', () => sockets.delete(x));
          x.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    down: () =>
      new Promise<void>((resolve) => {
        for (const x of sockets) x.destroy();
        if (server) server.close(() => resolve());
        else resolve();
        server = undefined;
      }),
    up: listen,
  };
}
