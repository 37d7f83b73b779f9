/**
 * Bearer tokens for the Docker/OCI token flow (distribution spec/auth/token), one fetch per
 * (realm, service, scope), cached until `expires_in`. Credentials go only to a realm on the server's host
 * or in `auth.tokenRealms`, so a server cannot send the password to a host of its choosing.
 */
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import type { AuthChallenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { redactUrl, statusError, type HttpErrorProfile } from './errors.js';

const TOKEN_MAX_BYTES = 1024 * 1024;

const TokenResponse = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().positive().optional(),
});

export interface Exchange {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** 2xx only; otherwise discarded. */
  readonly body?: Uint8Array;
}

export type ExchangeFn = (u: URL, authorization: string | undefined, accept: string, maxBytes: number, signal: AbortSignal) => Promise<Exchange>;

export interface TokenCacheDeps {
  readonly creds: Credentials | undefined;
  readonly profile: HttpErrorProfile;
  readonly exchange: ExchangeFn;
  readonly debug: (m: string) => void;
  readonly now: () => number;
}

/** Secrets only travel over https, or plain http to a loopback address. */
export function mayCarrySecrets(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'https:' || h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Whether `realm` may get `server`'s credentials: same host name, or in `allowed` (host, `host:port`, URL origin). */
export function realmMayReceiveCredentials(realm: URL, server: URL, allowed: readonly string[] = []): boolean {
  if (realm.hostname.toLowerCase() === server.hostname.toLowerCase()) return true;
  for (const raw of allowed) {
    const entry = raw.trim().toLowerCase();
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(entry)) {
      try {
        if (new URL(entry).origin === realm.origin) return true;
      } catch {
        /* not a URL: no match */
      }
      continue;
    }
    if (entry === realm.host.toLowerCase() || entry === realm.hostname.toLowerCase()) return true;
  }
  return false;
}

export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly flights = new Map<string, Promise<string>>();

  constructor(private readonly d: TokenCacheDeps) {}

  key(ch: AuthChallenge, scope: string | undefined): string {
    return `${ch.params.realm}\u0000${ch.params.service ?? ''}\u0000${scope ?? ''}`;
  }

  cached(ch: AuthChallenge, scope: string | undefined): string | undefined {
    const hit = this.tokens.get(this.key(ch, scope));
    return hit && hit.expiresAt > this.d.now() ? hit.token : undefined;
  }

  forget(ch: AuthChallenge, scope: string | undefined): void {
    this.tokens.delete(this.key(ch, scope));
  }

  /** Cached until `expires_in`, one fetch at a time. */
  async token(ch: AuthChallenge, scope: string | undefined, server: URL, signal: AbortSignal): Promise<string> {
    const key = this.key(ch, scope);
    const hit = this.cached(ch, scope);
    if (hit) return hit;
    const inflight = this.flights.get(key);
    if (inflight) return inflight;
    const p = this.fetch(ch, scope, key, server, signal).finally(() => this.flights.delete(key));
    this.flights.set(key, p);
    return p;
  }

  private realmUrl(ch: AuthChallenge, scope: string | undefined): URL {
    let realm: URL;
    try {
      realm = new URL(ch.params.realm ?? '');
    } catch {
      throw new PinError({
        code: this.d.profile.fetch,
        message: `the ${this.d.profile.server}'s token realm "${ch.params.realm}" is not a URL`,
        hint: `check the ${this.d.profile.server} configuration`,
      });
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new PinError({ code: this.d.profile.fetch, message: `unsupported token realm scheme in ${redactUrl(realm)}` });
    }
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    if (scope) realm.searchParams.set('scope', scope);
    return realm;
  }

  private authorizationFor(realm: URL, server: URL): { authorization?: string; withheld: boolean } {
    const c = this.d.creds;
    if (c?.username === undefined) return { withheld: false };
    if (!realmMayReceiveCredentials(realm, server, c.tokenRealms)) {
      this.d.debug(
        `token realm ${realm.host} is not ${server.host}'s host nor listed in ${this.d.profile.hints.tokenRealmsField}: ` +
          `asking it for a token anonymously (credentials from ${c.source} not sent)`,
      );
      return { withheld: true };
    }
    if (!mayCarrySecrets(realm)) {
      this.d.debug(`token realm ${redactUrl(realm)} is plain http: not sending credentials (${c.source}) there`);
      return { withheld: false };
    }
    return { authorization: basicHeader(c), withheld: false };
  }

  private async fetch(ch: AuthChallenge, scope: string | undefined, key: string, server: URL, signal: AbortSignal): Promise<string> {
    const realm = this.realmUrl(ch, scope);
    const { authorization, withheld } = this.authorizationFor(realm, server);
    const res = await this.d.exchange(realm, authorization, 'application/json', TOKEN_MAX_BYTES, signal);
    if (res.statusCode < 200 || res.statusCode >= 300 || !res.body) {
      if (withheld) {
        throw new PinError({
          code: this.d.profile.fetch,
          message:
            `GET ${redactUrl(realm)}: token server answered ${res.statusCode} to an anonymous request; the ${this.d.profile.server} ` +
            `${server.host} sent its token realm to another host (${realm.host}), which does not receive credentials ` +
            `unless listed in ${this.d.profile.hints.tokenRealmsField}`,
          hint: `if ${realm.host} is the token service of ${server.host}, add "${realm.host}" to ${this.d.profile.hints.tokenRealmsField}`,
        });
      }
      throw statusError(this.d.profile, 'GET', realm, res.statusCode, authorization !== undefined, this.d.creds, 'token server');
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
        code: this.d.profile.fetch,
        message: `token server ${redactUrl(realm)} answered without a "token" or "access_token"`,
        hint: `check the ${this.d.profile.server} / token service configuration`,
      });
    }
    // Docker token spec: expires_in defaults to 60 s. Renew a little early.
    const lifetimeMs = (parsed?.expires_in ?? 60) * 1000;
    this.tokens.set(key, { token, expiresAt: this.d.now() + Math.max(0, lifetimeMs - Math.min(5000, lifetimeMs / 10)) });
    this.d.debug(`got a token from ${redactUrl(realm)}${authorization ? ` with credentials from ${this.d.creds?.source}` : ' anonymously'}`);
    return token;
  }
}
