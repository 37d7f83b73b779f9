/**
 * The HTTP layer for trust data and registries: undici keep-alive pools per origin, custom CA, TLS >= 1.2,
 * per-attempt timeouts plus an overall deadline, a streamed byte cap, retries on transport errors only,
 * and Docker token (distribution spec/auth/token) and Basic auth. Failures are PinErrors worded by an
 * `HttpErrorProfile`; secrets never reach messages or logs.
 */
import tls from 'node:tls';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { PinError } from '../errors/errors.js';
import { parseChallenges, type AuthChallenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { TRUST_PROFILE, errCode, redactUrl, statusError, tooLargeError, transportError, type HttpErrorProfile } from './errors.js';
import { TokenCache, basicHeader, mayCarrySecrets, type Exchange } from './token.js';
import { loadPemSource } from './tls.js';
import { deadline } from '../util/deadline.js';

export { redactUrl } from './errors.js';

export interface HttpClientOptions {
  /** CA bundle (file path or inline PEM); default the system CAs. */
  readonly ca?: string;
  /** Overall deadline of one `get` (auth round trips and retries included), and each attempt's timeouts, in ms. */
  readonly timeoutMs: number;
  readonly credentials?: Credentials;
  /** Send Basic credentials on the first request, before any 401 (default false). */
  readonly preemptiveBasic?: boolean;
  /** Retries after a transport error (reset, refused, closed); default 2. Never on HTTP status or timeouts. */
  readonly retries?: number;
  /** First retry delay (ms), doubled each retry; default 50. */
  readonly retryDelayMs?: number;
  /** Default 4. */
  readonly connections?: number;
  /** Per keep-alive connection; default 4. */
  readonly pipelining?: number;
  readonly debug?: (message: string) => void;
  readonly now?: () => number;
  readonly userAgent?: string;
  /** Error codes and hints; default a Notary v1 trust server's. */
  readonly errors?: HttpErrorProfile;
  /** The config field `ca` came from, for messages (default `trust.ca`). */
  readonly caField?: string;
}

export interface GetOptions {
  /** Reading stops (TRUST_TOO_LARGE) as soon as this is exceeded. */
  readonly maxBytes: number;
  /** E.g. `repository:<gun>:pull`; default the challenge's scope. */
  readonly scope?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

export interface RequestOptions extends GetOptions {
  readonly method?: 'GET' | 'HEAD';
  /** No credentials and no challenges answered (e.g. a redirect to blob storage). */
  readonly anonymous?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** A 2xx body (at most `maxBytes`); empty for HEAD and other statuses. */
  readonly body: Uint8Array;
  readonly sentAuth: boolean;
  /** Why the docker config's credentials for this server could not be used (for a 401/403 message). */
  readonly unusableCredentials?: string;
}

export interface HttpClient {
  /** 2xx only; any other status is an error. */
  get(url: string, opts: GetOptions): Promise<Uint8Array>;
  /** GET or HEAD with auth handled; any status comes back, transport failures and oversize bodies throw. */
  request(url: string, opts: RequestOptions): Promise<HttpResponse>;
  /** HTTP exchanges sent so far (auth round trips included). */
  readonly requestCount: number;
  close(): Promise<void>;
}

/** Transport errors worth a retry: nothing usable came back on that connection. */
const RETRYABLE = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const EMPTY = new Uint8Array(0);

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
  private readonly profile: HttpErrorProfile;
  /** Last Bearer challenge per origin, so later requests send a cached token at once. */
  private readonly bearerByOrigin = new Map<string, AuthChallenge>();
  private readonly basicOrigins = new Set<string>();
  private readonly tokens: TokenCache;
  private count = 0;

  constructor(private readonly opts: HttpClientOptions) {
    this.timeoutMs = opts.timeoutMs;
    this.retries = Math.max(0, Math.min(opts.retries ?? 2, 5));
    this.retryDelayMs = opts.retryDelayMs ?? 50;
    this.creds = opts.credentials;
    this.debug = opts.debug ?? (() => {});
    this.profile = opts.errors ?? TRUST_PROFILE;
    this.tokens = new TokenCache({
      creds: this.creds,
      profile: this.profile,
      exchange: (u, authorization, accept, maxBytes, signal) => this.exchange('GET', u, authorization, accept, maxBytes, signal),
      debug: this.debug,
      now: opts.now ?? Date.now,
    });
    const ca = opts.ca === undefined ? undefined : loadPemSource(opts.ca, opts.caField ?? 'trust.ca');
    // A configured CA is parsed into one TLS context for every connection (tls.connect would parse it for each).
    const tlsOptions = ca === undefined ? { minVersion: 'TLSv1.2' as const } : { secureContext: tls.createSecureContext({ ca, minVersion: 'TLSv1.2' }) };
    this.agent = new Agent({
      connections: opts.connections ?? 4,
      pipelining: opts.pipelining ?? 4,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
      connect: { timeout: this.timeoutMs, ...tlsOptions }, // no ca: the system CAs
    });
  }

  get requestCount(): number {
    return this.count;
  }

  async get(url: string, o: GetOptions): Promise<Uint8Array> {
    const res = await this.request(url, { ...o, method: 'GET' });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw statusError(this.profile, 'GET', new URL(url), res.status, res.sentAuth, this.creds);
  }

  async request(url: string, o: RequestOptions): Promise<HttpResponse> {
    const method = o.method ?? 'GET';
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PinError({ code: 'INTERNAL', message: `not a URL: ${url}` });
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new PinError({ code: this.profile.fetch, message: `unsupported URL scheme ${u.protocol} in ${redactUrl(u)}` });
    }
    const d = deadline(this.timeoutMs, o.signal);
    try {
      return await this.authenticated(method, u, o, d.signal);
    } finally {
      d.done();
    }
  }

  // The auth state machine: at most one fresh token and one Basic attempt per request.
  private async authenticated(method: 'GET' | 'HEAD', u: URL, o: RequestOptions, signal: AbortSignal): Promise<HttpResponse> {
    const ctx = { method, url: u, timeoutMs: this.timeoutMs, callerSignal: o.signal, signal };
    let authorization = o.anonymous ? undefined : this.preemptiveAuthorization(u, o.scope);
    let freshToken = false;
    let basicTried = authorization?.startsWith('Basic ') ?? false;
    for (let round = 0; ; round++) {
      const res = await this.exchange(method, u, authorization, o.accept, o.maxBytes, signal, ctx);
      const answer = {
        status: res.statusCode,
        headers: res.headers,
        body: res.body ?? EMPTY,
        sentAuth: authorization !== undefined,
        unusableCredentials: this.creds?.unusable,
      };
      if (res.statusCode !== 401 || round >= 2 || this.creds?.token !== undefined || o.anonymous) return answer;
      // 401: work out credentials from the challenge and try again (at most once per kind).
      const challenges = parseChallenges(res.headers['www-authenticate']);
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (bearer && !freshToken) {
        this.bearerByOrigin.set(u.origin, bearer);
        const scope = o.scope ?? bearer.params.scope;
        if (authorization?.startsWith('Bearer ')) this.tokens.forget(bearer, scope); // cached token refused
        try {
          authorization = `Bearer ${await this.tokens.token(bearer, scope, u, signal)}`;
        } catch (e) {
          if (e instanceof PinError) throw e;
          throw transportError(this.profile, ctx, e);
        }
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
        this.debug(`${method} ${redactUrl(u)}: the server asks for Basic auth and no credentials are configured`);
      }
      return answer;
    }
  }

  private preemptiveAuthorization(u: URL, scope: string | undefined): string | undefined {
    const c = this.creds;
    if (c?.token !== undefined) return mayCarrySecrets(u) ? `Bearer ${c.token}` : undefined;
    const bearer = this.bearerByOrigin.get(u.origin);
    if (bearer) {
      const cached = this.tokens.cached(bearer, scope ?? bearer.params.scope);
      return cached === undefined ? undefined : `Bearer ${cached}`;
    }
    if (c?.username !== undefined && mayCarrySecrets(u) && (this.opts.preemptiveBasic || this.basicOrigins.has(u.origin))) {
      return basicHeader(c);
    }
    return undefined;
  }

  /** One request, retried on transport errors; a 2xx body is read under the cap. */
  private async exchange(
    method: 'GET' | 'HEAD',
    u: URL,
    authorization: string | undefined,
    accept: string | undefined,
    maxBytes: number,
    signal: AbortSignal,
    ctx = { method, url: u, timeoutMs: this.timeoutMs, signal },
  ): Promise<Exchange> {
    const headers: Record<string, string> = { accept: accept ?? 'application/json' };
    if (authorization) headers.authorization = authorization;
    if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, u, headers, maxBytes, signal);
      } catch (e) {
        if (e instanceof PinError) throw e;
        const code = errCode(e);
        if (!signal.aborted && code !== undefined && RETRYABLE.has(code) && attempt < this.retries) {
          const delay = this.retryDelayMs * 2 ** attempt;
          this.debug(`${method} ${redactUrl(u)}: ${code}, retry ${attempt + 1}/${this.retries} in ${delay} ms`);
          await sleep(delay, signal);
          if (!signal.aborted) continue;
        }
        throw transportError(this.profile, { ...ctx, method, url: u }, e);
      }
    }
  }

  private async once(method: 'GET' | 'HEAD', u: URL, headers: Record<string, string>, maxBytes: number, signal: AbortSignal): Promise<Exchange> {
    this.count++;
    const res = await this.agent.request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method,
      headers,
      signal,
      // Don't block pipelining behind these headers (undici's GET default), or `pipelining` does nothing.
      blocking: false,
      // undici resets the connection after every HEAD unless told not to; keep the pool for tag lookups.
      reset: method === 'HEAD' ? false : undefined,
    });
    if (res.statusCode < 200 || res.statusCode >= 300 || method === 'HEAD') {
      await discard(res.body);
      return { statusCode: res.statusCode, headers: res.headers };
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.on('error', () => {});
      res.body.destroy();
      throw tooLargeError(this.profile, method, u, maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        res.body.destroy();
        throw tooLargeError(this.profile, method, u, maxBytes);
      }
      chunks.push(chunk);
    }
    return { statusCode: res.statusCode, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks, total)) };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  return new UndiciHttpClient(opts);
}
