/** What every registry call shares: config, pool, base URL, deadline, name checks, errors naming the registry. */
import { PinError, isPinError, type ErrorCode } from '../errors/errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { redactUrl, statusError, REGISTRY_PROFILE } from '../http/errors.js';
import type { RegistryConfig } from './config.js';
import { isDigest } from './digest.js';
import type { RepositoryRef } from './contract.js';

export interface Target {
  readonly cfg: RegistryConfig;
  readonly http: HttpClient;
  readonly base: string;
  readonly debug: (m: string) => void;
  /** True once the registry answered the referrers API: the tag is no longer read beside it. */
  referrersApi?: boolean;
  /** After a 404 on the referrers API: until then (ms) only the referrers tag is read. */
  noReferrersApiUntil?: number;
  /** Settles when the one referrers API request in flight while the API is unknown has its answer. */
  referrersProbe?: Promise<void>;
  readonly now: () => number;
}

/** How long a 404 on the referrers API is believed. */
export const NO_REFERRERS_API_MS = 5 * 60_000;

/** Distribution spec "name" grammar: path components of lower-case alphanumerics and separators. */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function where(repo: RepositoryRef, reference?: string): string {
  return `registry ${repo.host}, repository ${repo.name}${reference === undefined ? '' : `, ${reference}`}`;
}

export function checkRepo(repo: RepositoryRef): void {
  if (!NAME.test(repo.name) || repo.name.length > 255) {
    throw new PinError({
      code: 'REFERENCE_INVALID',
      message: `${where(repo)}: "${repo.name}" is not a valid repository name`,
      hint: 'repository names are lower-case path components (distribution spec)',
    });
  }
}

export function checkReference(repo: RepositoryRef, reference: string): 'tag' | 'digest' {
  if (isDigest(reference)) return 'digest';
  if (TAG.test(reference)) return 'tag';
  throw new PinError({
    code: 'REFERENCE_INVALID',
    message: `${where(repo)}: "${reference}" is neither a tag nor a sha256/sha512 digest`,
    hint: 'use a tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}) or sha256:<64 hex>',
  });
}

export function checkDigest(repo: RepositoryRef, digest: string): void {
  if (!isDigest(digest)) {
    throw new PinError({
      code: 'REFERENCE_INVALID',
      message: `${where(repo)}: "${digest}" is not a sha256:<64 hex> or sha512:<128 hex> digest`,
      hint: 'pass a digest as the registry reports it',
    });
  }
}

/** Throws when the call's deadline passed (the HTTP layer words its own timeouts). */
export function checkDeadline(signal: AbortSignal, repo: RepositoryRef, reference: string, deadlineMs: number): void {
  if (signal.aborted) {
    throw new PinError({
      code: 'REGISTRY_FETCH',
      message: `${where(repo, reference)}: gave up after the call deadline of ${deadlineMs} ms (or the caller cancelled)`,
      hint: `raise spec.registries[].timeoutSeconds for ${repo.host}, or check the registry`,
    });
  }
}

export function httpError(method: string, url: string, res: HttpResponse, repo: RepositoryRef, reference: string): PinError {
  const u = new URL(url);
  const e = statusError(REGISTRY_PROFILE, method, u, res.status, res.sentAuth, { unusable: res.unusableCredentials });
  if (res.status === 404) {
    return new PinError({
      code: 'REGISTRY_NOT_FOUND',
      message: `${where(repo, reference)}: not found (${method} ${redactUrl(u)}: 404)`,
      hint: `check that ${repo.name}:${reference} exists in ${repo.host}`,
      cause: e,
    });
  }
  return new PinError({ code: e.code, message: `${where(repo, reference)}: ${e.message}`, hint: e.hint, cause: e });
}

export function inContext(e: unknown, repo: RepositoryRef, reference: string): unknown {
  if (!isPinError(e) || e.message.startsWith('registry ')) return e;
  return new PinError({ code: e.code, message: `${where(repo, reference)}: ${e.message}`, hint: e.hint, cause: e.cause ?? e });
}

export function fail(code: ErrorCode, repo: RepositoryRef, reference: string, message: string, hint?: string): PinError {
  return new PinError({ code, message: `${where(repo, reference)}: ${message}`, hint });
}

export function apiUrl(t: Target, repo: RepositoryRef, kind: 'manifests' | 'blobs' | 'referrers', reference: string): string {
  return `${t.base}/v2/${repo.name}/${kind}/${reference}`;
}

/** The first value when repeated. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
