/**
 * Network behaviour of the resolver, observed from the server side: every GUN's round 1 goes out at
 * once (not one GUN after another), delegations only after round 1, keep-alive connections are
 * reused, and a reconnect resumes the TLS session instead of a full handshake. No timing asserts.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TrustRuleSchema } from '../../config/schema.js';
import type { ImageReference } from '../../reference/image-reference.js';
import { TufRepoBuilder } from './sign/repo.js';
import { createNotaryResolver } from './resolver.js';
import { notaryHandler, type TrustData } from '../../demo/notary-handler.js';
import { D, asFiles , useTestTls } from '../../../test/support/notary/helpers.js';

const gunN = (i: number) => `registry.example:5000/team/app${i}`;
const ref = (gun: string, tag: string): ImageReference => ({
  original: `${gun}:${tag}`,
  domain: gun.slice(0, gun.indexOf('/')),
  path: gun.slice(gun.indexOf('/') + 1),
  repository: gun,
  tag,
});

const tls = useTestTls();
const { cleanup } = tls;

interface Observed {
  url: string;
  /** How many requests had arrived when this one arrived (0-based). */
  seq: number;
  socket: number;
}

/** An HTTPS notary read API that records requests, TLS handshakes and session resumption. */
async function server(data: TrustData, gate?: { until: number; maxWaitMs: number }) {
  const handle = notaryHandler(data);
  const seen: Observed[] = [];
  const handshakes: { resumed: boolean }[] = [];
  const sockets = new Set<TLSSocket>();
  const socketIds = new WeakMap<object, number>();
  let waiting: (() => void)[] = [];
  let gateOpenedBy: 'count' | 'timeout' | undefined;
  const s: Server = createServer({ cert: tls.leaf.certPem, key: tls.leaf.keyPem }, (req, res) => {
    seen.push({ url: req.url ?? '', seq: seen.length, socket: socketIds.get(req.socket) ?? -1 });
    const go = () => handle(req, res);
    if (!gate || gateOpenedBy) return go();
    waiting.push(go);
    if (seen.length >= gate.until) {
      gateOpenedBy = 'count';
      for (const w of waiting.splice(0)) w();
    }
  });
  s.on('secureConnection', (sock: TLSSocket) => {
    socketIds.set(sock, handshakes.length);
    handshakes.push({ resumed: sock.isSessionReused() });
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const timer = gate
    ? setTimeout(() => {
        gateOpenedBy ??= 'timeout';
        for (const w of waiting.splice(0)) w();
      }, gate.maxWaitMs)
    : undefined;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        clearTimeout(timer);
        for (const sock of sockets) sock.destroy();
        s.close(() => r());
      }),
  );
  return {
    url: `https://127.0.0.1:${(s.address() as AddressInfo).port}`,
    seen,
    handshakes,
    gateOpenedBy: () => gateOpenedBy,
    /** Destroys every open connection except the first `keep`. */
    dropConnections: (keep = 0) => {
      for (const sock of [...sockets].slice(keep)) sock.destroy();
      waiting = [];
    },
  };
}

function repos(n: number) {
  const data: TrustData = new Map();
  const pins: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = new TufRepoBuilder({ gun: gunN(i) });
    b.addTarget('v1', { digest: D(1), length: 10 });
    b.addDelegation('targets/releases');
    b.addTarget('v1', { digest: D(2), length: 20 }, 'targets/releases');
    data.set(gunN(i), asFiles(b.build()));
    pins.push(...b.rootKeyIds().keyIds);
  }
  return { data, pins };
}

describe('resolver network behaviour', () => {
  it('sends round 1 (root, timestamp, snapshot, targets) of every GUN before any answer comes back', async () => {
    const n = 3;
    const { data, pins } = repos(n);
    // The server answers nothing until all 4 × n round-1 requests have arrived (bounded wait).
    // One request per connection here: Node's server does not see a pipelined request before the
    // previous answer, so the gate could not tell parallel GUNs from pipelined ones.
    const srv = await server(data, { until: 4 * n, maxWaitMs: 5000 });
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', http: { connections: 4 * n, pipelining: 1 } });
    cleanup.push(() => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], server: srv.url, ca: tls.ca.certPem, rootKeys: pins });
    const out = await Promise.all(Array.from({ length: n }, (_, i) => r.resolve(ref(gunN(i), 'v1'), rule)));
    expect(out.map((o) => o.ok && o.value.digest)).toEqual(Array(n).fill(D(2)));
    expect(srv.gateOpenedBy()).toBe("count");
    const tuf = srv.seen.map((x) => x.url.replace(/^.*\/_trust\/tuf\//, '').replace(/\.[0-9a-f]{64}\./, '.'));
    expect(tuf.slice(0, 4 * n).every((u) => /^(root|timestamp|snapshot|targets)\.json$/.test(u))).toBe(true);
    expect(tuf.slice(4 * n)).toEqual(Array(n).fill('targets/releases.json'));
  });

  it('reuses keep-alive connections, and a reconnect resumes the TLS session', async () => {
    const { data, pins } = repos(4);
    const srv = await server(data);
    // pipelining 1 so that 4 concurrent requests need all 4 connections
    const r = createNotaryResolver({ env: {}, homeDir: '/nonexistent', http: { connections: 4, pipelining: 1 } });
    cleanup.push(() => r.close());
    const rule = TrustRuleSchema.parse({ images: ['**'], server: srv.url, ca: tls.ca.certPem, rootKeys: pins });
    expect((await r.resolve(ref(gunN(0), 'v1'), rule)).ok).toBe(true);
    // more GUNs on the same pool: requests ride the open connections (no handshake per request)
    for (let i = 1; i < 3; i++) expect((await r.resolve(ref(gunN(i), 'v1'), rule)).ok).toBe(true);
    expect(srv.seen.length).toBe(15);
    expect(srv.handshakes.length).toBeLessThanOrEqual(4);
    // the server drops all connections but one (as idle timeouts would): reconnects resume the session
    srv.dropConnections(1);
    const before = srv.handshakes.length;
    expect((await r.resolve(ref(gunN(3), 'v1'), rule)).ok).toBe(true);
    const later = srv.handshakes.slice(before);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((h) => h.resumed)).toBe(true);
  });
});
