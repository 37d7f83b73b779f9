/** A minimal Notary-compatible HTTPS trust server (read API) serving fixed metadata from memory. */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { asFiles, notaryHandler, type TrustData } from './notary-handler.js';

export interface TrustServerOptions {
  /** Metadata by GUN, then by role name. */
  readonly repos: ReadonlyMap<string, Readonly<Record<string, Uint8Array>>>;
  readonly cert: string;
  readonly key: string;
}

export interface TrustServer {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** Metadata requests answered (any status). */
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startTrustServer(opts: TrustServerOptions): Promise<TrustServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const data: TrustData = new Map([...opts.repos].map(([gun, files]) => [gun, asFiles(files)]));
  const handle = notaryHandler(data);
  const server: Server = createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) => {
    count++;
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNSUPPORTED"}]}');
      return;
    }
    handle(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
