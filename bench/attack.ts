/**
 * The hostile side of the webhook bench: a trust server that accepts every request and never
 * answers (a stalling server), and admission reviews naming many distinct repositories of it.
 * Loopback only; `close()` destroys every held connection.
 */
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StallingServer {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** Requests received (none is ever answered). */
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startStallingServer(tls: { cert: string | Buffer; key: string | Buffer }): Promise<StallingServer> {
  let count = 0;
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    count++;
    req.resume();
    held.push(res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        held.length = 0;
        server.close(() => resolve());
      }),
  };
}

/**
 * An AdmissionReview (v1) of a Pod with one container per repository `<domain>/attack/r<k>` for k
 * in [first, first + count), each pinned to `digest`.
 */
export function manyRepositoriesReview(uid: number, domain: string, first: number, count: number, digest: string): string {
  const containers = Array.from({ length: count }, (_, k) => ({ name: `c${k}`, image: `${domain}/attack/r${first + k}@${digest}` }));
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `ffffffff-0000-4000-8000-${String(uid).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: `hostile-${uid}`,
      namespace: 'bench',
      operation: 'CREATE',
      userInfo: { username: 'hostile' },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `hostile-${uid}`, namespace: 'bench' }, spec: { containers } },
    },
  });
}
