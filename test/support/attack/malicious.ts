/**
 * A malicious Notary trust server for the attack-matrix tests: an in-process HTTPS server on
 * 127.0.0.1 that serves whatever metadata it is given for a GUN — by role name, IGNORING the
 * checksum in `<role>.<sha256>.json` (a hostile server answers what it likes) — and can instead
 * stream an endless body or stall. Plus helpers to re-chain snapshot/timestamp after tampering.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTestServer, type TestServer } from '../http-server.js';
import { createTestCA } from '../../../src/demo/pki.js';
import { fileMeta, parseFile, resign, type RepoFiles, type TufRepoBuilder } from '../../../src/trust/notary/sign/repo.js';

/** What the server does for one role of one GUN. */
export type RoleBehaviour = Uint8Array | 'endless' | 'stall' | 'stall-body' | 404;

/** GUN → role → behaviour. */
export type Served = Record<string, Record<string, RoleBehaviour>>;

export interface MaliciousServer {
  readonly url: string;
  /** PEM of the CA that issued the server's certificate (a trust rule's `ca`). */
  readonly caPem: string;
  /** Every metadata path requested since the last `serve`. */
  readonly requests: () => string[];
  /** Replaces what is served. */
  serve(served: Served): void;
  close(): Promise<void>;
}

const ROLE_PATH = /^\/v2\/(.+)\/_trust\/tuf\/(.+?)(?:\.[0-9a-f]{64})?\.json$/;

/** Starts the server (HTTPS with a certificate for 127.0.0.1 from a throw-away CA). */
export async function startMaliciousServer(): Promise<MaliciousServer> {
  const ca = createTestCA();
  let served: Served = {};
  let seen: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://127.0.0.1').pathname);
    seen.push(path);
    const m = ROLE_PATH.exec(path);
    const b = m ? served[m[1]!]?.[m[2]!] : undefined;
    if (b === undefined || b === 404) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
      return;
    }
    if (b === 'stall') return; // never answers; the socket is destroyed by close()
    if (b === 'stall-body') {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length to refuse early
      res.write('{"signed":{');
      return;
    }
    if (b === 'endless') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let closed = false;
      res.on('close', () => {
        closed = true;
      });
      res.write('{"signed":');
      let sent = 0;
      const pump = (): void => {
        // bounded: at most 1 GiB in all; stops at once when the client hangs up
        while (!closed && sent < 1024 ** 3) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!closed) res.end();
      };
      pump();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': b.length });
    res.end(Buffer.from(b));
  };
  const server: TestServer = await startTestServer(handler, ca.issue());
  return {
    url: server.url,
    caPem: ca.certPem,
    requests: () => seen,
    serve(s) {
      served = s;
      seen = [];
    },
    close: () => server.close(),
  };
}

/**
 * After `files[role]` was replaced: writes the new length and hashes of each changed role into the
 * snapshot, re-signs it with the repository's snapshot key, then does the same for the timestamp.
 * The result is consistent and correctly signed above the changed files.
 */
export function rechain(b: TufRepoBuilder, files: RepoFiles, changed: readonly string[]): RepoFiles {
  const out: RepoFiles = { ...files };
  const snap = parseFile(out['snapshot']!);
  const meta = snap.signed['meta'] as Record<string, unknown>;
  for (const role of changed) meta[role] = fileMeta(out[role]!);
  out['snapshot'] = resign(serialize(snap), [b.keys.snapshot]);
  const ts = parseFile(out['timestamp']!);
  (ts.signed['meta'] as Record<string, unknown>)['snapshot'] = fileMeta(out['snapshot']);
  out['timestamp'] = resign(serialize(ts), [b.keys.timestamp]);
  return out;
}

function serialize(f: ReturnType<typeof parseFile>): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(f), 'utf8'));
}
