/** Per-server wording of HTTP failures (codes, hints), so a trust server and a registry get the right config hint. */
import { PinError, type ErrorCode } from '../errors/errors.js';

export interface HttpErrorProfile {
  /** Transport, TLS, timeout and HTTP status failures. */
  readonly fetch: ErrorCode;
  readonly tooLarge: ErrorCode;
  readonly notFound: ErrorCode;
  /** In messages: `trust server`, `registry`. */
  readonly server: string;
  /** Hints, given the server's host[:port]. */
  readonly hints: {
    readonly tls: (host: string) => string;
    readonly timeout: (host: string) => string;
    readonly tooLarge: (host: string) => string;
    readonly unreachable: (host: string) => string;
    readonly credentials: (host: string) => string;
    readonly redirect: (host: string) => string;
    readonly status: (host: string, status: number) => string;
    readonly notFound: (host: string) => string;
    readonly tokenRealmsField: string;
  };
}

export const TRUST_PROFILE: HttpErrorProfile = {
  fetch: 'TRUST_FETCH',
  tooLarge: 'TRUST_TOO_LARGE',
  notFound: 'TRUST_NOT_FOUND',
  server: 'trust server',
  hints: {
    tls: () => "check trust.ca: it must hold the CA that issued the trust server's certificate (and the server must speak https)",
    timeout: () => 'the trust server did not answer in time: check that it is up, or raise trust.timeoutSeconds',
    tooLarge: () =>
      'the trust server sent more than the signed length or trust.maxMetadataBytes allows; check the server, ' +
      'or raise trust.maxMetadataBytes if the metadata is legitimately that large',
    unreachable: () => 'check trust.server and that the trust server is reachable',
    credentials: (host) => `check credentials: trust.auth, or docker login for ${host}`,
    redirect: () => 'set trust.server to the URL the trust data is really served from',
    status: (_host, status) => (status >= 500 ? 'the trust server failed: check it or retry later' : 'check trust.server'),
    notFound: () => 'the repository has no trust data: sign it with `notary` / `docker trust sign`, or exclude it',
    tokenRealmsField: 'trust.auth.tokenRealms',
  },
};

export const REGISTRY_PROFILE: HttpErrorProfile = {
  fetch: 'REGISTRY_FETCH',
  tooLarge: 'REGISTRY_TOO_LARGE',
  notFound: 'REGISTRY_NOT_FOUND',
  server: 'registry',
  hints: {
    tls: (host) =>
      `set spec.registries[].ca for ${host} to the CA that issued the registry's certificate ` +
      '(or plainHTTP: true for a loopback registry without TLS)',
    timeout: (host) => `the registry did not answer in time: check that it is up, or raise spec.registries[].timeoutSeconds for ${host}`,
    tooLarge: (host) => `the registry sent more than allowed: check it, or raise spec.registries[].maxManifestBytes / maxBlobBytes for ${host}`,
    unreachable: (host) => `check that the registry ${host} is reachable (spec.registries[].host, plainHTTP)`,
    credentials: (host) => `check credentials: spec.registries[].auth for ${host}, or docker login ${host}`,
    redirect: (host) => `the registry ${host} redirected; redirects are not followed`,
    status: (host, status) => (status >= 500 ? `the registry ${host} failed: check it or retry later` : `check the registry ${host}`),
    notFound: (host) => `check the repository and reference in ${host}`,
    tokenRealmsField: 'spec.registries[].auth.tokenRealms',
  },
};

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

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The most telling `code` in an error's cause chain (undici wraps socket errors). */
export function errCode(e: unknown): string | undefined {
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

export interface TransportContext {
  readonly method: string;
  readonly url: URL;
  readonly timeoutMs: number;
  /** The caller's own signal (aborted = cancelled by the caller, not our deadline). */
  readonly callerSignal?: AbortSignal;
  readonly signal: AbortSignal;
}

export function transportError(p: HttpErrorProfile, c: TransportContext, e: unknown): PinError {
  const code = errCode(e);
  const where = `${c.method} ${redactUrl(c.url)}`;
  const host = c.url.host;
  if (c.callerSignal?.aborted) {
    return new PinError({
      code: p.fetch,
      message: `${where}: cancelled (the caller's deadline passed or it gave up)`,
      hint: p.hints.timeout(host),
      cause: e,
    });
  }
  if (c.signal.aborted || (code !== undefined && TIMEOUTS.has(code))) {
    return new PinError({
      code: p.fetch,
      message: `${where}: timed out after ${c.timeoutMs} ms${code && TIMEOUTS.has(code) ? ` (${code})` : ''}`,
      hint: p.hints.timeout(host),
      cause: e,
    });
  }
  if (isTlsCode(code)) {
    return new PinError({
      code: p.fetch,
      message: `${where}: TLS failed (${code}: ${(e as Error).message})`,
      hint: p.hints.tls(host),
      cause: e,
    });
  }
  return new PinError({
    code: p.fetch,
    message: `${where}: ${code ? `${code}: ` : ''}${(e as Error)?.message ?? String(e)}`,
    hint: p.hints.unreachable(host),
    cause: e,
  });
}

export function tooLargeError(p: HttpErrorProfile, method: string, u: URL, maxBytes: number): PinError {
  return new PinError({
    code: p.tooLarge,
    message: `${method} ${redactUrl(u)}: response exceeds the cap of ${maxBytes} bytes`,
    hint: p.hints.tooLarge(u.host),
  });
}

/** Where the credentials came from, or why the docker config's could not be used (credentials.ts `unusable`). */
export interface CredentialsNote {
  readonly source?: string;
  readonly unusable?: string;
}

/** A non-2xx answer as a PinError; `creds` says where sent credentials came from, or why there were none. */
export function statusError(
  p: HttpErrorProfile,
  method: string,
  u: URL,
  status: number,
  sentAuth: boolean,
  creds: CredentialsNote | undefined,
  what = p.server,
): PinError {
  const where = `${method} ${redactUrl(u)}`;
  const cause = Object.assign(new Error(`HTTP ${status}`), { status, url: redactUrl(u) });
  if (status === 404) {
    return new PinError({ code: p.notFound, message: `${where}: 404 Not Found`, hint: p.hints.notFound(u.host), cause });
  }
  if (status === 401 || status === 403) {
    const answered = `${where}: ${what} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}`;
    if (creds?.unusable !== undefined) {
      return new PinError({
        code: p.fetch,
        message: `${answered} (no credentials sent: ${creds.unusable})`,
        hint: `${p.hints.credentials(u.host)}; a docker config auths entry with "auth" or username/password works, and so does a credential helper or store (docker-credential-<name> on PATH) that holds the login; identity tokens do not`,
        cause,
      });
    }
    return new PinError({
      code: p.fetch,
      message: `${answered}${sentAuth ? ` (credentials from ${creds?.source ?? 'a token'} were sent)` : ' (no credentials sent)'}`,
      hint: p.hints.credentials(u.host),
      cause,
    });
  }
  if (status >= 300 && status < 400) {
    return new PinError({
      code: p.fetch,
      message: `${where}: ${what} answered ${status} (redirects are not followed)`,
      hint: p.hints.redirect(u.host),
      cause,
    });
  }
  return new PinError({
    code: p.fetch,
    message: `${where}: ${what} answered HTTP ${status}`,
    hint: p.hints.status(u.host, status),
    cause,
  });
}
