/**
 * Referrers (distribution spec v1.1 "Listing Referrers"): the API with `OCI-Filters-Applied` and same-origin,
 * bounded `Link` pages, else the referrers tag schema. Entries are counted before validation (hostile indexes).
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
  if (noApiNow(t)) return fallbackTag(t, l, opts, signal);
  const first = new URL(apiUrl(t, repo, 'referrers', subject));
  if (opts.artifactType !== undefined) first.searchParams.set('artifactType', opts.artifactType);
  // Until the API has answered, read the referrers tag beside it: a registry without it costs no extra round trip.
  const tagRead = t.referrersApi === true ? undefined : fallbackTag(t, { ...l, seen: 0 }, opts, signal);
  tagRead?.catch(() => {}); // unused when the API answers; failures surface only where awaited
  // One API request at a time while the API is unknown (as oras-go's referrers ping): the rest wait for its answer.
  if (tagRead !== undefined && t.referrersProbe !== undefined) {
    await settledOrAborted(t.referrersProbe, signal);
    if (noApiNow(t)) return tagRead;
  }
  const probe = t.referrersApi === true || t.referrersProbe !== undefined ? undefined : startProbe(t);
  try {
    return await readPages(t, l, first, maxPages, tagRead, opts, signal, deadlineMs, probe);
  } finally {
    probe?.();
  }
}

const noApiNow = (t: Target): boolean => t.noReferrersApiUntil !== undefined && t.now() < t.noReferrersApiUntil;

/** Marks `t` as probing; the returned function ends the probe (idempotent). */
function startProbe(t: Target): () => void {
  let settle: () => void = () => {};
  const probe = new Promise<void>((resolve) => (settle = resolve));
  t.referrersProbe = probe;
  return () => {
    if (t.referrersProbe === probe) t.referrersProbe = undefined;
    settle();
  };
}

/** Resolves when `p` settles or `signal` aborts (the caller then checks the deadline itself). */
function settledOrAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => (signal.removeEventListener('abort', done), resolve());
    signal.addEventListener('abort', done, { once: true });
    void p.then(done, done);
  });
}

/** The API's pages from `first`; on its plain 404 the tag read (`tagRead`, else now). `probe` ends at the first answer. */
async function readPages(
  t: Target, l: Listing, first: URL, maxPages: number, tagRead: Promise<Descriptor[]> | undefined,
  opts: ReferrersOptions, signal: AbortSignal, deadlineMs: number, probe: (() => void) | undefined,
): Promise<Descriptor[]> {
  const { repo, subject } = l;
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
      // A plain 404 page means no API route; a JSON 404 may just be an unknown repository.
      if (t.referrersApi !== true && !/json/i.test(header(res, 'content-type') ?? '')) t.noReferrersApiUntil = t.now() + NO_REFERRERS_API_MS;
      probe?.();
      t.debug(`${repo.host}/${repo.name}: no referrers API (404); reading the referrers tag ${referrersTag(subject)}`);
      return tagRead ?? fallbackTag(t, l, opts, signal);
    }
    if (res.status < 200 || res.status >= 300) throw httpError('GET', url.href, res, repo, l.ref);
    if (page === 0) t.referrersApi = true;
    probe?.();
    const filtered = (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    out.push(...keep(indexEntries(l, res.body, `${repo.host}/${repo.name} referrers page ${page + 1}`), opts, filtered));
    url = nextPage(res, url, l, visited);
  }
  return out;
}

async function get(t: Target, repo: RepositoryRef, url: string, signal: AbortSignal): Promise<HttpResponse> {
  return t.http.request(url, { maxBytes: t.cfg.maxManifestBytes, accept: MANIFEST_ACCEPT, scope: `repository:${repo.name}:pull`, signal });
}

/** The registry's filter, else ours (untyped ones kept only on request). */
function keep(entries: Descriptor[], opts: ReferrersOptions, filteredByRegistry: boolean): Descriptor[] {
  const want = opts.artifactType;
  if (want === undefined || filteredByRegistry) return entries;
  return entries.filter((d) => d.artifactType === want || (d.artifactType === undefined && opts.keepUntyped === true));
}

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

/** The `Link: <url>; rel="next"` target: same origin, not seen before. */
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

/** "Referrers Tag Schema": the `<alg>-<hex>` tag must be an image index, else no referrers. */
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
