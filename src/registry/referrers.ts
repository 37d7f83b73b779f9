/**
 * Referrers of a manifest (distribution spec v1.1 "Listing Referrers"): the referrers API with
 * `OCI-Filters-Applied` and `Link` pagination (same origin only, bounded pages), and on 404 the
 * referrers tag schema (`<alg>-<hex>` tag holding an image index). Entries are bounded before any
 * schema validation, so a hostile 10,000-entry index costs one JSON parse.
 */
import type { HttpResponse } from '../http/client.js';
import { digestOf, parseDigest, referrersTag } from './digest.js';
import { MANIFEST_ACCEPT, OciIndexSchema, contentType, parseJsonBytes, toDescriptor } from './schemas.js';
import { NO_REFERRERS_API_MS, apiUrl, checkDeadline, fail, header, httpError, type Target } from './target.js';
import { MediaTypes, type Descriptor, type ReferrersOptions, type RepositoryRef } from './contract.js';

export const DEFAULT_MAX_REFERRERS = 1000;
export const DEFAULT_MAX_PAGES = 50;

interface Listing {
  readonly repo: RepositoryRef;
  readonly subject: string;
  readonly ref: string;
  readonly maxEntries: number;
  seen: number;
}

export async function listReferrers(
  t: Target, repo: RepositoryRef, subject: string, opts: ReferrersOptions, signal: AbortSignal, deadlineMs: number,
): Promise<Descriptor[]> {
  const l: Listing = { repo, subject, ref: `referrers of ${subject}`, maxEntries: opts.maxEntries ?? DEFAULT_MAX_REFERRERS, seen: 0 };
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  // A registry that just answered the API with 404 has none (the API is registry-wide): the tag only.
  if (t.noReferrersApiUntil !== undefined && t.now() < t.noReferrersApiUntil) return fallbackTag(t, l, opts, signal);
  const first = new URL(apiUrl(t, repo, 'referrers', subject));
  if (opts.artifactType !== undefined) first.searchParams.set('artifactType', opts.artifactType);
  // Until the registry has answered the API, read the referrers tag beside it (its own entry
  // count): a registry without the API (404) then costs no extra round trip.
  const tagRead = t.referrersApi === true ? undefined : fallbackTag(t, { ...l, seen: 0 }, opts, signal);
  tagRead?.catch(() => {}); // unused when the API answers; failures surface only where awaited
  const out: Descriptor[] = [];
  const visited = new Set<string>();
  let url: URL | undefined = first;
  for (let page = 0; url !== undefined; page++) {
    if (page >= maxPages) {
      throw fail('REGISTRY_TOO_LARGE', repo, l.ref, `the referrers API has more than ${maxPages} pages`, 'the registry lists too many referrers');
    }
    checkDeadline(signal, repo, l.ref, deadlineMs);
    visited.add(url.href);
    const res = await get(t, repo, url.href, signal);
    if (res.status === 404 && page === 0) {
      // A registry without the route answers a plain 404 page; one with the API may answer 404 with
      // an OCI error (an unknown repository): only the first says the API is missing.
      if (t.referrersApi !== true && !/json/i.test(header(res, 'content-type') ?? '')) t.noReferrersApiUntil = t.now() + NO_REFERRERS_API_MS;
      t.debug(`${repo.host}/${repo.name}: no referrers API (404); reading the referrers tag ${referrersTag(subject)}`);
      return tagRead ?? fallbackTag(t, l, opts, signal);
    }
    if (res.status < 200 || res.status >= 300) throw httpError('GET', url.href, res, repo, l.ref);
    if (page === 0) t.referrersApi = true;
    const filtered = (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    out.push(...keep(indexEntries(l, res.body, `${repo.host}/${repo.name} referrers page ${page + 1}`), opts, filtered));
    url = nextPage(res, url, l, visited);
  }
  return out;
}

async function get(t: Target, repo: RepositoryRef, url: string, signal: AbortSignal): Promise<HttpResponse> {
  return t.http.request(url, { maxBytes: t.cfg.maxManifestBytes, accept: MANIFEST_ACCEPT, scope: `repository:${repo.name}:pull`, signal });
}

/** The descriptors to hand out: the registry's filter, else ours (untyped ones kept only on request). */
function keep(entries: Descriptor[], opts: ReferrersOptions, filteredByRegistry: boolean): Descriptor[] {
  const want = opts.artifactType;
  if (want === undefined || filteredByRegistry) return entries;
  return entries.filter((d) => d.artifactType === want || (d.artifactType === undefined && opts.keepUntyped === true));
}

/** An image index's entries: counted against the bound first, then validated. */
function indexEntries(l: Listing, bytes: Uint8Array, what: string): Descriptor[] {
  const json = parseJsonBytes(bytes, what);
  const manifests = json && typeof json === 'object' ? (json as { manifests?: unknown }).manifests : undefined;
  if (Array.isArray(manifests)) {
    l.seen += manifests.length;
    if (l.seen > l.maxEntries) {
      throw fail('REGISTRY_TOO_LARGE', l.repo, l.ref, `more than ${l.maxEntries} referrers (${l.seen} listed so far); refusing to read them`,
        'the subject has too many referrers: clean them up in the registry, or raise the bound (maxEntries) if legitimate');
    }
  }
  const r = OciIndexSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw fail('REGISTRY_MALFORMED', l.repo, l.ref, `${what} is not a valid OCI image index: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`,
      'the registry served a malformed referrers index');
  }
  return r.data.manifests.map(toDescriptor);
}

/** The `Link: <url>; rel="next"` target, resolved and checked: same origin, not seen before. */
function nextPage(res: HttpResponse, current: URL, l: Listing, visited: Set<string>): URL | undefined {
  const raw = res.headers.link;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const v of values) {
    for (const part of v.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
      if (!m || !/(^|;)\s*rel="?next"?\s*(;|$)/i.test(m[2]!)) continue;
      let next: URL;
      try {
        next = new URL(m[1]!, current);
      } catch {
        throw fail('REGISTRY_MALFORMED', l.repo, l.ref, 'the referrers Link header is not a URL');
      }
      if (next.origin !== current.origin) {
        throw fail('REGISTRY_MALFORMED', l.repo, l.ref, `the referrers Link header points to another origin (${next.origin})`,
          'pagination links must stay on the registry');
      }
      if (visited.has(next.href)) throw fail('REGISTRY_MALFORMED', l.repo, l.ref, 'the referrers Link header loops');
      return next;
    }
  }
  return undefined;
}

/** Distribution spec "Referrers Tag Schema": the `<alg>-<hex>` tag must be an image index, else no referrers. */
async function fallbackTag(t: Target, l: Listing, opts: ReferrersOptions, signal: AbortSignal): Promise<Descriptor[]> {
  const tag = referrersTag(l.subject);
  const url = apiUrl(t, l.repo, 'manifests', tag);
  const res = await get(t, l.repo, url, signal);
  if (res.status === 404) return [];
  if (res.status < 200 || res.status >= 300) throw httpError('GET', url, res, l.repo, tag);
  const announced = header(res, 'docker-content-digest');
  const algorithm = parseDigest(announced ?? '')?.algorithm;
  if (announced !== undefined && (algorithm === undefined || digestOf(res.body, algorithm) !== announced)) {
    throw fail('REGISTRY_DIGEST_MISMATCH', l.repo, tag, `Docker-Content-Digest says ${announced.slice(0, 140)} but the bytes do not hash to it`,
      'the registry is misbehaving or hostile: do not use it');
  }
  const type = contentType(res.headers['content-type']);
  const json = parseJsonBytes(res.body, `${l.repo.host}/${l.repo.name}:${tag}`);
  const bodyType = json && typeof json === 'object' ? (json as { mediaType?: unknown }).mediaType : undefined;
  const isIndex = bodyType === MediaTypes.ociIndex || (bodyType === undefined && type === MediaTypes.ociIndex);
  if (!isIndex) {
    t.debug(`${l.repo.host}/${l.repo.name}:${tag} is a ${String(bodyType ?? type)}, not an image index: no referrers`);
    return [];
  }
  return keep(indexEntries(l, res.body, `${l.repo.host}/${l.repo.name}:${tag}`), opts, false);
}
