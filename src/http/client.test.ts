import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import tls from 'node:tls';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realmMayReceiveCredentials } from './token.js';
import { createHttpClient, redactUrl, type HttpClient, type HttpClientOptions } from './client.js';
import { createTestCA, type TestCertAuthority } from '../demo/pki.js';
import { startTestServer, type TestServer } from '../../test/support/http-server.js';
import { failure } from '../../test/support/errors.js';

const clients: HttpClient[] = [];
const servers: TestServer[] = [];
function client(o: Partial<HttpClientOptions> = {}): HttpClient {
  const c = createHttpClient({ timeoutMs: 2000, retryDelayMs: 5, ...o });
  clients.push(c);
  return c;
}
async function server(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const s = await startTestServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});


function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

describe('http client: basics and limits', () => {
  it('returns the body of a 200', async () => {
    const s = await server((_req, res) => json(res, 200, { ok: 1 }));
    const body = await client().get(`${s.url}/x.json`, { maxBytes: 100 });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({ ok: 1 });
  });

  it('reuses keep-alive connections for concurrent requests', async () => {
    const s = await server((_req, res) => json(res, 200, { ok: 1 }));
    const c = client({ connections: 1, pipelining: 4 });
    await Promise.all([1, 2, 3, 4].map((i) => c.get(`${s.url}/${i}.json`, { maxBytes: 100 })));
    await c.get(`${s.url}/5.json`, { maxBytes: 100 });
    const ports = new Set(s.requests.map((r) => r.remotePort));
    expect(s.requests).toHaveLength(5);
    expect(ports.size).toBe(1); // one keep-alive connection carried all five
  });

  it('stops reading an endless body at the cap (TRUST_TOO_LARGE)', async () => {
    let written = 0;
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => undefined);
      pump();
    });
    const started = Date.now();
    const e = await failure(client().get(`${s.url}/root.json`, { maxBytes: 100_000 }));
    expect(e.code).toBe('TRUST_TOO_LARGE');
    expect(e.message).toContain(`${s.url}/root.json`);
    expect(e.message).toContain('100000');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a declared Content-Length above the cap without reading', async () => {
    const s = await server((_req, res) => json(res, 200, { data: 'x'.repeat(500) }));
    const e = await failure(client().get(`${s.url}/t.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_TOO_LARGE');
  });

  it('bounds a server that never sends headers (TRUST_FETCH timeout)', async () => {
    const s = await server(() => undefined);
    const started = Date.now();
    const e = await failure(client({ timeoutMs: 300 }).get(`${s.url}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toMatch(/timed out/);
    expect(e.hint).toMatch(/timeoutSeconds/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.requests).toHaveLength(1); // timeouts are not retried
  });

  it('bounds a body that stalls (TRUST_FETCH timeout)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"a":');
    });
    const started = Date.now();
    const e = await failure(client({ timeoutMs: 300 }).get(`${s.url}/root.json`, { maxBytes: 10_000 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.requests).toHaveLength(1);
  });

  it('retries a connection reset, then succeeds', async () => {
    let n = 0;
    const s = await server((req, res) => {
      if (++n <= 2) return void req.socket.destroy();
      json(res, 200, { ok: true });
    });
    const body = await client({ retries: 2 }).get(`${s.url}/root.json`, { maxBytes: 100 });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({ ok: true });
    expect(s.requests).toHaveLength(3);
  });

  it('gives up after the bounded number of retries', async () => {
    const s = await server((req) => void req.socket.destroy());
    const c = client({ retries: 2 });
    const e = await failure(c.get(`${s.url}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(s.requests).toHaveLength(3);
  });

  it('does not retry an HTTP 500', async () => {
    const s = await server((_req, res) => json(res, 500, { error: 'boom' }));
    const e = await failure(client({ retries: 3 }).get(`${s.url}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain('500');
    expect(s.requests).toHaveLength(1);
  });

  it('maps 404 to TRUST_NOT_FOUND with a hint to sign', async () => {
    const s = await server((_req, res) => json(res, 404, { errors: [] }));
    const e = await failure(client().get(`${s.url}/v2/a/b/_trust/tuf/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_NOT_FOUND');
    expect(e.hint).toMatch(/docker trust sign/);
  });

  it('reports a refused connection as TRUST_FETCH after retries', async () => {
    const s = await server((_req, res) => json(res, 200, {}));
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const e = await failure(client({ retries: 1 }).get(`${url}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('redacts userinfo from URLs', () => {
    expect(redactUrl('https://u:secret@h.example/p?q=1')).toBe('https://h.example/p?q=1');
  });
});

describe('http client: TLS', () => {
  let caA: TestCertAuthority;
  let caB: TestCertAuthority;
  beforeAll(() => {
    caA = createTestCA('CA A');
    caB = createTestCA('CA B');
  });

  it('trusts the configured CA (inline PEM)', async () => {
    const s = await server((_req, res) => json(res, 200, { tls: true }), caA.issue());
    const body = await client({ ca: caA.certPem }).get(`${s.url}/root.json`, { maxBytes: 100 });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({ tls: true });
  });

  it('fails with a trust.ca hint when the CA does not match', async () => {
    const s = await server((_req, res) => json(res, 200, {}), caA.issue());
    const e = await failure(client({ ca: caB.certPem }).get(`${s.url}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toMatch(/TLS/);
    expect(e.hint).toMatch(/trust\.ca/);
    expect(s.requests).toHaveLength(0);
  });

  it('fails with a trust.ca hint against a plain-HTTP server', async () => {
    const s = await server((_req, res) => json(res, 200, {}));
    const e = await failure(client({ ca: caA.certPem }).get(`${s.url.replace('http:', 'https:')}/root.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.hint).toMatch(/trust\.ca/);
  });

  it('parses a configured CA once for all its connections, and still refuses a server the CA did not issue', async () => {
    const s = await server((_req, res) => json(res, 200, { tls: true }), caA.issue());
    const made = vi.spyOn(tls, 'createSecureContext');
    try {
      const c = client({ ca: caA.certPem, connections: 3, pipelining: 1 });
      await Promise.all([1, 2, 3].map((i) => c.get(`${s.url}/r${i}.json`, { maxBytes: 100 })));
      expect(made).toHaveBeenCalledTimes(1);
    } finally {
      made.mockRestore();
    }
    const wrong = await failure(client({ ca: caB.certPem, connections: 2 }).get(`${s.url}/root.json`, { maxBytes: 100 }));
    expect(wrong.message).toMatch(/TLS/);
  });

  it('reports an unreadable CA file as CONFIG_INVALID', () => {
    expect(() => createHttpClient({ timeoutMs: 100, ca: '/nonexistent/ca.pem' })).toThrow(/trust\.ca/);
  });
});

describe('http client: auth', () => {
  const creds = { username: 'alice', password: 's3cret-pw', source: 'test' };
  const basic = `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`;

  async function tokenServer(tokenField: 'token' | 'access_token' = 'token', expiresIn = 300) {
    let issued = 0;
    const s = await server((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/token') {
        if (req.headers.authorization !== basic) return json(res, 401, {});
        issued++;
        expect(u.searchParams.get('service')).toBe('notary-svc');
        return json(res, 200, { [tokenField]: `tok-${issued}-${u.searchParams.get('scope')}`, expires_in: expiresIn });
      }
      if (req.headers.authorization?.startsWith('Bearer tok-')) return json(res, 200, { path: u.pathname });
      json(res, 401, {}, {
        'www-authenticate': `Bearer realm="${s.url}/token",service="notary-svc",scope="repository:srv-scope:pull"`,
      });
    });
    return s;
  }

  it('runs the token flow: 401 → realm with basic credentials → retry with Bearer; caches the token', async () => {
    const s = await tokenServer();
    const c = client({ credentials: creds });
    const scope = 'repository:127.0.0.1:5000/app:pull';
    const body = await c.get(`${s.url}/v2/app/_trust/tuf/root.json`, { maxBytes: 1000, scope });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({ path: '/v2/app/_trust/tuf/root.json' });
    const paths = s.requests.map((r) => new URL(r.url, 'http://x').pathname);
    expect(paths).toEqual(['/v2/app/_trust/tuf/root.json', '/token', '/v2/app/_trust/tuf/root.json']);
    // credentials went to the realm only
    for (const r of s.requests) {
      if (r.url.startsWith('/token')) expect(r.headers.authorization).toBe(basic);
      else expect(r.headers.authorization ?? '').not.toContain('Basic');
    }
    expect(new URL(s.requests[1]!.url, 'http://x').searchParams.get('scope')).toBe(scope);
    expect(s.requests[2]!.headers.authorization).toBe(`Bearer tok-1-${scope}`);
    // second request: cached token sent at once
    await c.get(`${s.url}/v2/app/_trust/tuf/timestamp.json`, { maxBytes: 1000, scope });
    expect(s.requests).toHaveLength(4);
    expect(s.requests[3]!.headers.authorization).toBe(`Bearer tok-1-${scope}`);
  });

  it('accepts access_token and uses the challenge scope when none is given', async () => {
    const s = await tokenServer('access_token');
    const body = await client({ credentials: creds }).get(`${s.url}/v2/x/root.json`, { maxBytes: 1000 });
    expect(body.length).toBeGreaterThan(0);
    expect(s.requests[2]!.headers.authorization).toBe('Bearer tok-1-repository:srv-scope:pull');
  });

  it('fetches a new token when the cached one expired', async () => {
    let now = 1_000_000;
    const s = await tokenServer('token', 60);
    const c = client({ credentials: creds, now: () => now });
    await c.get(`${s.url}/v2/x/root.json`, { maxBytes: 1000, scope: 'a' });
    now += 61_000;
    await c.get(`${s.url}/v2/x/root.json`, { maxBytes: 1000, scope: 'a' });
    expect(s.requests.filter((r) => r.url.startsWith('/token'))).toHaveLength(2);
  });

  it('fails with "check credentials" when the token server refuses, without leaking the password', async () => {
    const s = await tokenServer();
    const e = await failure(
      client({ credentials: { ...creds, password: 'wrong-pw' } }).get(`${s.url}/v2/x/root.json`, { maxBytes: 1000 }),
    );
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain('401');
    expect(e.hint).toMatch(/check credentials/);
    expect(JSON.stringify({ m: e.message, h: e.hint })).not.toContain('wrong-pw');
  });

  it('does Basic auth on a Basic challenge and remembers it', async () => {
    const s = await server((req, res) => {
      if (req.headers.authorization === basic) return json(res, 200, { ok: 1 });
      json(res, 401, {}, { 'www-authenticate': 'Basic realm="notary"' });
    });
    const c = client({ credentials: creds });
    await c.get(`${s.url}/a.json`, { maxBytes: 100 });
    await c.get(`${s.url}/b.json`, { maxBytes: 100 });
    expect(s.requests.map((r) => r.headers.authorization)).toEqual([undefined, basic, basic]);
  });

  it('sends Basic preemptively when configured', async () => {
    const s = await server((req, res) => json(res, req.headers.authorization === basic ? 200 : 401, {}));
    await client({ credentials: creds, preemptiveBasic: true }).get(`${s.url}/a.json`, { maxBytes: 100 });
    expect(s.requests).toHaveLength(1);
  });

  it('fails a 401 without credentials with a hint', async () => {
    const s = await server((_req, res) => json(res, 401, {}, { 'www-authenticate': 'Basic realm="x"' }));
    const e = await failure(client().get(`${s.url}/a.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.hint).toMatch(/check credentials/);
    expect(s.requests).toHaveLength(1);
  });

  it('sends a configured bearer token (tokenEnv) as is', async () => {
    const s = await server((req, res) => json(res, req.headers.authorization === 'Bearer ready' ? 200 : 401, {}));
    await client({ credentials: { token: 'ready', source: 'trust.auth.tokenEnv' } }).get(`${s.url}/a.json`, { maxBytes: 100 });
    expect(s.requests).toHaveLength(1);
  });

  it('answers 403 with TRUST_FETCH and a credentials hint', async () => {
    const s = await server((_req, res) => json(res, 403, {}));
    const e = await failure(client().get(`${s.url}/a.json`, { maxBytes: 100 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain('403');
    expect(e.hint).toMatch(/check credentials/);
  });
});

describe("http client: credentials only to the server's own token realm (auth.tokenRealms)", () => {
  const creds = { username: 'alice', password: 's3cret-pw', source: 'test' };
  const basic = `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`;

  /** A token service on `localhost` (another host name than the 127.0.0.1 server) that records what it got. */
  async function foreignRealm(anonymousOk: boolean) {
    const seen: (string | undefined)[] = [];
    const srv = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== basic && !anonymousOk) return json(res, 401, {});
      json(res, 200, { token: req.headers.authorization ? 'tok-auth' : 'tok-anon' });
    });
    await new Promise<void>((r) => srv.listen(0, 'localhost', r));
    const port = (srv.address() as AddressInfo).port;
    realms.push(srv);
    return { seen, host: `localhost:${port}`, url: `http://localhost:${port}/token` };
  }
  const realms: Server[] = [];
  afterEach(async () => {
    await Promise.all(realms.splice(0).map((r) => new Promise((res) => r.close(res))));
  });
  async function serverWithRealm(realmUrl: string) {
    return server((req, res) => {
      if (req.headers.authorization?.startsWith('Bearer tok-')) return json(res, 200, { who: req.headers.authorization });
      json(res, 401, {}, { 'www-authenticate': `Bearer realm="${realmUrl}",service="svc"` });
    });
  }

  it('does not send Basic credentials to a realm on another host; asks it anonymously', async () => {
    const realm = await foreignRealm(true);
    const s = await serverWithRealm(realm.url);
    const body = await client({ credentials: creds }).get(`${s.url}/v2/x/root.json`, { maxBytes: 1000 });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({ who: 'Bearer tok-anon' });
    expect(realm.seen).toEqual([undefined]);
  });

  it('fails with the realm host and the auth.tokenRealms fix when the foreign realm refuses anonymous access', async () => {
    const realm = await foreignRealm(false);
    const s = await serverWithRealm(realm.url);
    const e = await failure(client({ credentials: creds }).get(`${s.url}/v2/x/root.json`, { maxBytes: 1000 }));
    expect(e.code).toBe('TRUST_FETCH');
    expect(e.message).toContain(realm.host);
    expect(e.hint).toContain(`add "${realm.host}" to trust.auth.tokenRealms`);
    expect(realm.seen).toEqual([undefined]);
  });

  it('sends credentials to a realm listed in tokenRealms (host:port or URL)', async () => {
    for (const entry of ['HOST', 'URL']) {
      const realm = await foreignRealm(false);
      const s = await serverWithRealm(realm.url);
      const tokenRealms = [entry === 'HOST' ? realm.host : realm.url];
      const body = await client({ credentials: { ...creds, tokenRealms } }).get(`${s.url}/v2/x/root.json`, { maxBytes: 1000 });
      expect(JSON.parse(Buffer.from(body).toString())).toEqual({ who: 'Bearer tok-auth' });
      expect(realm.seen).toEqual([basic]);
    }
  });

  it('matches realms: own host name (any port), listed host, host:port, URL origin', () => {
    const srv = new URL('https://reg.example.com:5000/v2/');
    const m = (realm: string, allowed?: string[]) => realmMayReceiveCredentials(new URL(realm), srv, allowed);
    expect(m('https://reg.example.com:5001/token')).toBe(true);
    expect(m('https://evil.example.net/token')).toBe(false);
    expect(m('https://auth.example.com/token', ['auth.example.com'])).toBe(true);
    expect(m('https://auth.example.com:8443/token', ['auth.example.com'])).toBe(true);
    expect(m('https://auth.example.com:8443/token', ['auth.example.com:9443'])).toBe(false);
    expect(m('https://auth.example.com/token', ['https://auth.example.com/other'])).toBe(true);
    expect(m('http://auth.example.com/token', ['https://auth.example.com'])).toBe(false);
    expect(m('https://auth.example.com.evil.net/token', ['auth.example.com'])).toBe(false);
  });
});

describe('http client: request (status, headers, HEAD)', () => {
  it('returns any status with headers, and no body for HEAD', async () => {
    const s = await server((req, res) => {
      if (req.url === '/missing') return json(res, 404, { errors: [] });
      res.writeHead(200, { 'docker-content-digest': 'sha256:abc', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const c = client();
    const head = await c.request(`${s.url}/m`, { method: 'HEAD', maxBytes: 10 });
    expect(head.status).toBe(200);
    expect(head.headers['docker-content-digest']).toBe('sha256:abc');
    expect(head.body).toHaveLength(0);
    const get = await c.request(`${s.url}/m`, { maxBytes: 10 });
    expect(Buffer.from(get.body).toString()).toBe('hello');
    const missing = await c.request(`${s.url}/missing`, { maxBytes: 10 });
    expect(missing.status).toBe(404);
    expect(s.requests.map((r) => r.method)).toEqual(['HEAD', 'GET', 'GET']);
  });

  it('keeps the connection after a HEAD: HEADs and GETs share one keep-alive connection', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'docker-content-digest': 'sha256:abc', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const c = client({ connections: 1, pipelining: 4 });
    await Promise.all([1, 2, 3].map((i) => c.request(`${s.url}/m${i}`, { method: 'HEAD', maxBytes: 0 })));
    await c.request(`${s.url}/m4`, { method: 'HEAD', maxBytes: 0 });
    const get = await c.request(`${s.url}/m5`, { maxBytes: 10 });
    expect(Buffer.from(get.body).toString()).toBe('hello');
    expect(s.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD', 'GET']);
    expect(new Set(s.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it('says "cancelled" when the caller aborts', async () => {
    const s = await server(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    const e = await failure(client({ timeoutMs: 5000 }).request(`${s.url}/m`, { maxBytes: 10, signal: ac.signal }));
    expect(e.message).toMatch(/cancelled/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});
