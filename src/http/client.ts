/**
 * The HTTP layer for trust data: undici keep-alive pools (one per origin, pipelined, bounded
 * connections), custom CA, TLS >= 1.2, connect/headers/body timeouts plus an overall deadline per
 * `get`, a streamed byte cap per response, bounded retries on transport errors only, and Docker
 * registry auth (token flow https://distribution.github.io/distribution/spec/auth/token/ and Basic).
 *
 * Every failure is a PinError: TRUST_FETCH (transport, TLS, timeout, HTTP status), TRUST_NOT_FOUND
 * (404), TRUST_TOO_LARGE (cap exceeded). Secrets (passwords, tokens) never reach messages or logs.
 */
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import { parseChallenges, type AuthChallenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { loadPemSource } from './tls.js';

export interface HttpClientOptions {
  /** CA bundle for TLS (a file path or inline PEM, as `trust.ca`); default: the system CAs. */
  readonly ca?: string;
  /**
   * Overall deadline of one `get` in ms: connect, headers, body, auth round trips and retries
   * together (from `trust.timeoutSeconds`). Also the connect/headers/body timeout of each attempt.
   */
  readonly timeoutMs: number;
  readonly credentials?: Credentials;
  /** Send Basic credentials on the first request, before any 401 (default false). */
  readonly preemptiveBasic?: boolean;
  /** Retries after a transport error (reset, refused, socket closed); default 2. Never on HTTP status or timeouts. */
  readonly retries?: number;
  /** First retry delay in ms, doubled each retry; default 50. */
  readonly retryDelayMs?: number;
  /** Connections per origin; default 4. */
  readonly connections?: number;
  /** Requests pipelined per keep-alive connection; default 4. */
  readonly pipelining?: number;
  readonly debug?: (message: string) => void;
  /** Clock for the token cache (ms); default Date.now. */
  readonly now?: () => number;
  readonly userAgent?: string;
}

export interface GetOptions {
  /** Byte cap for this response: reading stops (TRUST_TOO_LARGE) as soon as it is exceeded. */
  readonly maxBytes: number;
  /** Token scope for the Docker token flow, e.g. `repository:<gun>:pull`; default: the challenge's scope. */
  readonly scope?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

export interface HttpClient {
  /** GET `url` and return the body (at most `maxBytes`); 2xx only, any other status is an error. */
  get(url: string, opts: GetOptions): Promise<Uint8Array>;
  /** Number of HTTP exchanges sent so far (attempts, auth round trips included); for tests and metrics. */
  readonly requestCount: number;
  close(): Promise<void>;
}

/** Transport errors worth a retry: nothing (or nothing usable) came back on that connection. */
const RETRYABLE = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TOKEN_MAX_BYTES = 1024 * 1024;

const TokenResponse = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().positive().optional(),
});

interface Exchange {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body for 2xx answers; undefined otherwise (discarded). */
  readonly body?: Uint8Array;
}

/** `https://user:pw@host/p?q` → `https://host/p?q`: URLs in messages never carry userinfo. */
export function redactUrl(url: URL | string): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

function errCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (code === 'UND_ERR_SOCKET') {
      const inner = (cur as { cause?: unknown }).cause;
      const innerCode = inner && typeof inner === 'object' ? (inner as { code?: unknown }).code : undefined;
      return typeof innerCode === 'string' ? innerCode : code;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsCode(code: string | undefined): boolean {
  return code !== undefined && (code === 'EPROTO' || /CERT|SSL|TLS|UNABLE_TO|SELF_SIGNED|ALTNAME/.test(code));
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** Secrets only travel over https, or plain http to a loopback address. */
function mayCarrySecrets(url: URL): boolean {
  return url.protocol === 'https:' || isLoopback(url.hostname);
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: 64 * 1024 });
  } catch {
    /* connection is discarded instead */
  }
}

class UndiciHttpClient implements HttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly creds: Credentials | undefined;
  private readonly debug: (m: string) => void;
  private readonly now: () => number;
  /** Bearer challenge last seen per origin, so later requests can send a cached token at once. */
  private readonly bearerByOrigin = new Map<string, AuthChallenge>();
  private readonly basicOrigins = new Set<string>();
  /** Tokens per (realm, service, scope). */
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly tokenFlights = new Map<string, Promise<string>>();
  private count = 0;

  constructor(private readonly opts: HttpClientOptions) {
    this.timeoutMs = opts.timeoutMs;
    this.retries = Math.max(0, Math.min(opts.retries ?? 2, 5));
    this.retryDelayMs = opts.retryDelayMs ?? 50;
    this.creds = opts.credentials;
    this.debug = opts.debug ?? (() => {});
    this.now = opts.now ?? Date.now;
    const ca = opts.ca === undefined ? undefined : loadPemSource(opts.ca, 'trust.ca');
    this.agent = new Agent({
      connections: opts.connections ?? 4,
      pipelining: opts.pipelining ?? 4,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
      connect: {
        timeout: this.timeoutMs,
        minVersion: 'TLSv1.2',
        ...(ca !== undefined && { ca }),
      },
    });
  }

  get requestCount(): number {
    return this.count;
  }

  async get(url: string, o: GetOptions): Promise<Uint8Array> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PinError({ code: 'INTERNAL', message: `not a URL: ${url}` });
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new PinError({ code: 'TRUST_FETCH', message: `unsupported URL scheme ${u.protocol} in ${redactUrl(u)}` });
    }
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = o.signal ? AbortSignal.any([deadline, o.signal]) : deadline;
    let authorization = this.preemptiveAuthorization(u, o.scope);
    let freshToken = false;
    let basicTried = authorization?.startsWith('Basic ') ?? false;
    for (let round = 0; round < 3; round++) {
      const res = await this.exchange(u, authorization, o.accept, o.maxBytes, signal);
      if (res.statusCode >= 200 && res.statusCode < 300 && res.body) return res.body;
      if (res.statusCode !== 401) throw this.statusError(u, res.statusCode, authorization !== undefined);
      // 401: work out credentials from the challenge and try again (at most once per kind).
      const challenges = parseChallenges(res.headers['www-authenticate']);
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (this.creds?.token !== undefined) throw this.statusError(u, 401, true);
      if (bearer && !freshToken) {
        this.bearerByOrigin.set(u.origin, bearer);
        const scope = o.scope ?? bearer.params.scope;
        if (authorization?.startsWith('Bearer ')) this.tokens.delete(this.tokenKey(bearer, scope)); // cached token refused
        authorization = `Bearer ${await this.token(bearer, scope, signal)}`;
        freshToken = true;
        continue;
      }
      if (basic && !bearer && !basicTried && this.creds?.username !== undefined && mayCarrySecrets(u)) {
        this.basicOrigins.add(u.origin);
        authorization = basicHeader(this.creds);
        basicTried = true;
        continue;
      }
      if (basic && !bearer && this.creds?.username === undefined) {
        this.debug(`GET ${redactUrl(u)}: the server asks for Basic auth and no credentials are configured`);
      }
      throw this.statusError(u, 401, authorization !== undefined);
    }
    throw this.statusError(u, 401, true);
  }

  private preemptiveAuthorization(u: URL, scope: string | undefined): string | undefined {
    const c = this.creds;
    if (c?.token !== undefined) return mayCarrySecrets(u) ? `Bearer ${c.token}` : undefined;
    const bearer = this.bearerByOrigin.get(u.origin);
    if (bearer) {
      const cached = this.tokens.get(this.tokenKey(bearer, scope ?? bearer.params.scope));
      if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
      return undefined;
    }
    if (c?.username !== undefined && mayCarrySecrets(u) && (this.opts.preemptiveBasic || this.basicOrigins.has(u.origin))) {
      return basicHeader(c);
    }
    return undefined;
  }

  private tokenKey(ch: AuthChallenge, scope: string | undefined): string {
    return `${ch.params.realm}\u0000${ch.params.service ?? ''}\u0000${scope ?? ''}`;
  }

  /** A bearer token for (realm, service, scope): cached until `expires_in`, one fetch at a time. */
  private async token(ch: AuthChallenge, scope: string | undefined, signal: AbortSignal): Promise<string> {
    const key = this.tokenKey(ch, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.token;
    const inflight = this.tokenFlights.get(key);
    if (inflight) return inflight;
    const p = this.fetchToken(ch, scope, key, signal).finally(() => this.tokenFlights.delete(key));
    this.tokenFlights.set(key, p);
    return p;
  }

  private async fetchToken(ch: AuthChallenge, scope: string | undefined, key: string, signal: AbortSignal): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(ch.params.realm ?? '');
    } catch {
      throw new PinError({
        code: 'TRUST_FETCH',
        message: `the trust server's token realm "${ch.params.realm}" is not a URL`,
        hint: 'check the trust server configuration',
      });
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new PinError({ code: 'TRUST_FETCH', message: `unsupported token realm scheme in ${redactUrl(realm)}` });
    }
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    if (scope) realm.searchParams.set('scope', scope);
    let authorization: string | undefined;
    const c = this.creds;
    if (c?.username !== undefined) {
      if (mayCarrySecrets(realm)) authorization = basicHeader(c);
      else this.debug(`token realm ${redactUrl(realm)} is plain http: not sending credentials (${c.source}) there`);
    }
    const res = await this.exchange(realm, authorization, 'application/json', TOKEN_MAX_BYTES, signal);
    if (res.statusCode < 200 || res.statusCode >= 300 || !res.body) {
      throw this.statusError(realm, res.statusCode, authorization !== undefined, 'token server');
    }
    let parsed: z.infer<typeof TokenResponse> | undefined;
    try {
      const r = TokenResponse.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
      if (r.success) parsed = r.data;
    } catch {
      /* reported below */
    }
    const token = parsed?.token || parsed?.access_token;
    if (!token) {
      throw new PinError({
        code: 'TRUST_FETCH',
        message: `token server ${redactUrl(realm)} answered without a "token" or "access_token"`,
        hint: 'check the trust server / token service configuration',
      });
    }
    // Docker token spec: expires_in defaults to 60 s. Renew a little early.
    const lifetimeMs = (parsed?.expires_in ?? 60) * 1000;
    this.tokens.set(key, { token, expiresAt: this.now() + Math.max(0, lifetimeMs - Math.min(5000, lifetimeMs / 10)) });
    this.debug(`got a token from ${redactUrl(realm)}${c ? ` with credentials from ${c.source}` : ' anonymously'}`);
    return token;
  }

  /** One request, retried on transport errors; the body of a 2xx answer is read under the cap. */
  private async exchange(
    u: URL,
    authorization: string | undefined,
    accept: string | undefined,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Exchange> {
    const headers: Record<string, string> = { accept: accept ?? 'application/json' };
    if (authorization) headers.authorization = authorization;
    if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(u, headers, maxBytes, signal);
      } catch (e) {
        if (e instanceof PinError) throw e;
        const code = errCode(e);
        if (!signal.aborted && code !== undefined && RETRYABLE.has(code) && attempt < this.retries) {
          const delay = this.retryDelayMs * 2 ** attempt;
          this.debug(`GET ${redactUrl(u)}: ${code}, retry ${attempt + 1}/${this.retries} in ${delay} ms`);
          await sleep(delay, signal);
          if (!signal.aborted) continue;
        }
        throw this.transportError(u, e, signal);
      }
    }
  }

  private async once(u: URL, headers: Record<string, string>, maxBytes: number, signal: AbortSignal): Promise<Exchange> {
    this.count++;
    const res = await this.agent.request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers,
      signal,
      // Trust metadata answers at once: let undici pipeline further GETs on the connection
      // instead of waiting for these headers (its default for GET), or `pipelining` does nothing.
      blocking: false,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await discard(res.body);
      return { statusCode: res.statusCode, headers: res.headers };
    }
    const tooLarge = () =>
      new PinError({
        code: 'TRUST_TOO_LARGE',
        message: `GET ${redactUrl(u)}: response exceeds the cap of ${maxBytes} bytes`,
        hint:
          'the trust server sent more than the signed length or trust.maxMetadataBytes allows; check the server, ' +
          'or raise trust.maxMetadataBytes if the metadata is legitimately that large',
      });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.on('error', () => {});
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        res.body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    return { statusCode: res.statusCode, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks, total)) };
  }

  private transportError(u: URL, e: unknown, signal: AbortSignal): PinError {
    const code = errCode(e);
    const where = `GET ${redactUrl(u)}`;
    if (signal.aborted || (code !== undefined && TIMEOUTS.has(code))) {
      return new PinError({
        code: 'TRUST_FETCH',
        message: `${where}: timed out after ${this.timeoutMs} ms${code && TIMEOUTS.has(code) ? ` (${code})` : ''}`,
        hint: 'the trust server did not answer in time: check that it is up, or raise trust.timeoutSeconds',
        cause: e,
      });
    }
    if (isTlsCode(code)) {
      return new PinError({
        code: 'TRUST_FETCH',
        message: `${where}: TLS failed (${code}: ${(e as Error).message})`,
        hint: "check trust.ca: it must hold the CA that issued the trust server's certificate (and the server must speak https)",
        cause: e,
      });
    }
    return new PinError({
      code: 'TRUST_FETCH',
      message: `${where}: ${code ? `${code}: ` : ''}${(e as Error)?.message ?? String(e)}`,
      hint: 'check trust.server and that the trust server is reachable',
      cause: e,
    });
  }

  private statusError(u: URL, status: number, sentAuth: boolean, what = 'trust server'): PinError {
    const where = `GET ${redactUrl(u)}`;
    const cause = Object.assign(new Error(`HTTP ${status}`), { status, url: redactUrl(u) });
    if (status === 404 && what === 'trust server') {
      return new PinError({
        code: 'TRUST_NOT_FOUND',
        message: `${where}: 404 Not Found`,
        hint: 'the repository has no trust data: sign it with `notary` / `docker trust sign`, or exclude it',
        cause,
      });
    }
    if (status === 401 || status === 403) {
      const c = this.creds;
      return new PinError({
        code: 'TRUST_FETCH',
        message: `${where}: ${what} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}${
          sentAuth ? ` (credentials from ${c?.source ?? 'a token'} were sent)` : ' (no credentials sent)'
        }`,
        hint: `check credentials: trust.auth, or docker login for ${u.host}`,
        cause,
      });
    }
    if (status >= 300 && status < 400) {
      return new PinError({
        code: 'TRUST_FETCH',
        message: `${where}: ${what} answered ${status} (redirects are not followed)`,
        hint: 'set trust.server to the URL the trust data is really served from',
        cause,
      });
    }
    return new PinError({
      code: 'TRUST_FETCH',
      message: `${where}: ${what} answered HTTP ${status}`,
      hint: status >= 500 ? 'the trust server failed: check it or retry later' : 'check trust.server',
      cause,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** An HTTP client with its own keep-alive pools; close it when done. */
export function createHttpClient(opts: HttpClientOptions): HttpClient {
  return new UndiciHttpClient(opts);
}
