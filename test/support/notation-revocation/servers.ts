/**
 * Test servers on the fixed ports the upstream e2e chains name: CRLs on localhost:10086 and OCSP on
 * localhost:10087. Each binds 127.0.0.1 (and ::1 when available, since `localhost` may resolve to
 * either) and `close()` releases the port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import * as pkijs from 'pkijs';
import type { RevocationFetcher } from '../../../src/trust/notation/revocation/source.js';

export const CRL_PORT = 10086;
export const OCSP_PORT = 10087;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface PortServer {
  /** Request paths seen, in order. */
  readonly requests: string[];
  handle(h: Handler): void;
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => (host === '::1' ? resolve(false) : reject(e));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

/** Serves `handler` on `port` (loopback only) until `close()`. */
export async function serveOn(port: number, handler: Handler): Promise<PortServer> {
  let current = handler;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const s = createServer((req, res) => {
      requests.push(req.url ?? '');
      Promise.resolve(current(req, res)).catch(() => res.destroy());
    });
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    if (await listen(s, port, host)) servers.push(s);
  }
  return {
    requests,
    handle(h) {
      current = h;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** A handler serving files by path (`/leaf.crl` → bytes); anything else is 404. */
export function files(map: Record<string, Uint8Array>): Handler {
  return (req, res) => {
    const body = map[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': body.length }).end(Buffer.from(body));
  };
}

/** An OCSP responder (GET, RFC 6960 A.1) answering with `answer(serialHex)`; 404 when it returns undefined. */
export function ocspResponder(answer: (serialHex: string) => Uint8Array | undefined): Handler {
  return (req, res) => {
    try {
      const b64 = decodeURIComponent((req.url ?? '/').slice(1));
      const parsed = pkijs.OCSPRequest.fromBER(new Uint8Array(Buffer.from(b64, 'base64')));
      const serial = parsed.tbsRequest.requestList[0]?.reqCert.serialNumber.toBigInt().toString(16) ?? '';
      const body = answer(serial);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(Buffer.from(body));
    } catch {
      res.writeHead(400).end();
    }
  };
}

/** Wraps a fetcher so tests never resolve or contact any host but localhost (e.g. `localhost.test`). */
export function loopbackOnly(inner: RevocationFetcher): RevocationFetcher {
  const guard = (url: string) => {
    const h = new URL(url).hostname;
    if (h !== 'localhost' && h !== '127.0.0.1' && h !== '[::1]') throw new Error(`test guard: ${h} is not a loopback host`);
  };
  return {
    kind: inner.kind,
    offline: inner.offline,
    crl: async (url, signal) => (guard(url), inner.crl(url, signal)),
    ocsp: async (url, req, signal) => (guard(url), inner.ocsp(url, req, signal)),
    close: () => inner.close(),
  };
}
