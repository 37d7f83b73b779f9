/**
 * A minimal Notary-compatible trust server over HTTPS, serving fixed metadata from memory:
 * `GET /v2/<GUN>/_trust/tuf/<role>.json` and by checksum `<role>.<sha256 hex>.json`, as
 * notary-server does (read API only). Used by the demo and by tests that need an in-process server;
 * the integration tests use the real notary-server.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface TrustServerOptions {
  /** Metadata by GUN, then by role name (`root`, `targets/releases`, ...). */
  readonly repos: ReadonlyMap<string, Readonly<Record<string, Uint8Array>>>;
  readonly cert: string;
  readonly key: string;
}

export interface TrustServer {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** Number of metadata requests answered (any status). */
  readonly requests: () => number;
  close(): Promise<void>;
}

const PREFIX = '/v2/';
const MARKER = '/_trust/tuf/';

/** Looks up a request path: role by name or by checksum. */
function lookup(repos: TrustServerOptions['repos'], path: string): Uint8Array | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const at = path.lastIndexOf(MARKER);
  if (at < 0) return undefined;
  const gun = decodeURIComponent(path.slice(PREFIX.length, at));
  const file = path.slice(at + MARKER.length);
  if (!file.endsWith('.json')) return undefined;
  const files = repos.get(gun);
  if (!files) return undefined;
  const name = file.slice(0, -'.json'.length);
  const direct = files[name];
  if (direct) return direct;
  const m = /^(.+)\.([0-9a-f]{64})$/.exec(name);
  if (!m) return undefined;
  const bytes = files[m[1]!];
  return bytes && createHash('sha256').update(bytes).digest('hex') === m[2] ? bytes : undefined;
}

export async function startTrustServer(opts: TrustServerOptions): Promise<TrustServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) => {
    count++;
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const body = req.method === 'GET' ? lookup(opts.repos, url.pathname) : undefined;
    if (!body) {
      res.writeHead(req.method === 'GET' ? 404 : 405, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"METADATA_NOT_FOUND","message":"trust data not found"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
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
