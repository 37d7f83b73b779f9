/**
 * Test helper: an in-process HTTP(S) server bound to 127.0.0.1:0 (certificates for HTTPS come from
 * `src/demo/pki.ts`).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TestKeyPair } from '../../src/demo/pki.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every request seen: method, URL and headers. */
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; remotePort?: number }[];
  /** Replace the handler. */
  handle(h: Handler): void;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1:0; `tls` (e.g. `createTestCA().issue()`) makes it HTTPS. `close()`
 * destroys every open socket.
 */
export async function startTestServer(handler: Handler, tls?: TestKeyPair): Promise<TestServer> {
  let current = handler;
  const requests: TestServer['requests'] = [];
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, remotePort: req.socket.remotePort });
    Promise.resolve(current(req, res)).catch(() => res.destroy());
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, listener) : createHttpServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    handle(h) {
      current = h;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
