/**
 * An in-process OCI registry (distribution spec v1.1) on 127.0.0.1 for tests and the demo: pull, push,
 * referrers API (switchable off like distribution 2.8), optional Bearer auth, hooks for hostile behaviour.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MAX_BODY = 64 * 1024 * 1024;

export interface OciRegistryAuth {
  readonly username: string;
  readonly password: string;
  /** Default this registry's `/token`. */
  readonly realm?: string;
  readonly service?: string;
}

export interface OciRegistryOptions {
  /** Serve HTTPS with this key pair (e.g. from `createTestCA().issue()`). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Default true; false = 404 like distribution 2.8. */
  readonly referrersApi?: boolean;
  /** Default 100; more pages linked with `Link: rel="next"`. */
  readonly referrersPageSize?: number;
  /** Filter by `artifactType` and say so in `OCI-Filters-Applied` (default true). */
  readonly referrersFilter?: boolean;
  /** Require `Authorization: Bearer` on /v2/ (tokens from the realm for these Basic credentials). */
  readonly auth?: OciRegistryAuth;
  /** Runs first for every request; return true when it answered (tests: stall, lie, oversize). */
  readonly hook?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Rewrites the Docker-Content-Digest header (undefined = leave it out); tests for lying registries. */
  readonly digestHeader?: (real: string) => string | undefined;
}

interface Manifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

interface Repo {
  readonly blobs: Map<string, Buffer>;
  readonly manifests: Map<string, Manifest>;
  readonly tags: Map<string, string>;
}

export interface OciRegistry {
  /** `127.0.0.1:PORT`, the host in image references. */
  readonly host: string;
  readonly url: string;
  /** Every request: method, path+query, Authorization header. */
  readonly requests: { method: string; url: string; authorization?: string }[];
  putBlob(repo: string, bytes: Uint8Array): string;
  /** Returns its digest; `digest` overrides the key (tests: lies). */
  putManifest(repo: string, bytes: Uint8Array, mediaType: string, tag?: string, digest?: string): string;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function send(res: ServerResponse, status: number, body: Buffer | string = '', headers: Record<string, string> = {}, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': String(buf.length), ...headers });
  res.end(head ? undefined : buf);
}

function error(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }), { 'content-type': 'application/json', ...headers });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The referrer descriptor of a stored manifest whose `subject` is `digest`, or undefined. */
function referrerOf(digest: string, m: Manifest, subject: string): Record<string, unknown> | undefined {
  let j: { subject?: { digest?: string }; artifactType?: string; config?: { mediaType?: string }; annotations?: Record<string, string> };
  try {
    j = JSON.parse(m.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (j.subject?.digest !== subject) return undefined;
  const artifactType = j.artifactType ?? j.config?.mediaType;
  return { mediaType: m.mediaType, digest, size: m.bytes.length, artifactType, annotations: j.annotations };
}

class Registry {
  readonly repos = new Map<string, Repo>();
  readonly tokens = new Set<string>();
  readonly uploads = new Map<string, string>();
  readonly requests: OciRegistry['requests'] = [];
  /** Set once the server listens. */
  base = '';

  constructor(private readonly opts: OciRegistryOptions) {}

  repo(name: string): Repo {
    let r = this.repos.get(name);
    if (!r) this.repos.set(name, (r = { blobs: new Map(), manifests: new Map(), tags: new Map() }));
    return r;
  }

  putBlob(name: string, bytes: Uint8Array): string {
    const d = sha256(bytes);
    this.repo(name).blobs.set(d, Buffer.from(bytes));
    return d;
  }

  putManifest(name: string, bytes: Uint8Array, mediaType: string, tag?: string, digest?: string): string {
    const d = digest ?? sha256(bytes);
    const r = this.repo(name);
    r.manifests.set(d, { bytes: Buffer.from(bytes), mediaType });
    if (tag !== undefined) r.tags.set(tag, d);
    return d;
  }

  // The router: /v2/, /token, then /v2/<name>/{manifests,blobs,referrers,blobs/uploads}/<ref>.
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    if (this.opts.hook && (await this.opts.hook(req, res))) return;
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/token') return this.token(req, res);
    if (u.pathname === '/v2/' || u.pathname === '/v2') return this.authorized(req, res, undefined) ? send(res, 200, '{}') : undefined;
    const up = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(u.pathname);
    const m = up ? null : /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(u.pathname);
    const name = up?.[1] ?? m?.[1];
    if (!name) return error(res, 404, 'NAME_UNKNOWN');
    if (!this.authorized(req, res, name)) return;
    if (up) return this.uploadsReq(req, res, name, up[2]!, u.searchParams);
    const [, , kind, ref] = m!;
    if (kind === 'manifests') return this.manifests(req, res, name, ref!);
    if (kind === 'referrers') return this.referrers(req, res, name, ref!, u.searchParams);
    return this.blob(req, res, name, ref!);
  }

  private digestHeaders(d: string): Record<string, string> {
    const v = this.opts.digestHeader ? this.opts.digestHeader(d) : d;
    return v === undefined ? {} : { 'docker-content-digest': v };
  }

  private authorized(req: IncomingMessage, res: ServerResponse, name: string | undefined): boolean {
    const a = this.opts.auth;
    if (!a) return true;
    const h = req.headers.authorization ?? '';
    if (h.startsWith('Bearer ') && this.tokens.has(h.slice(7))) return true;
    const realm = a.realm ?? `${this.base}/token`;
    const scope = name ? `,scope="repository:${name}:pull"` : '';
    error(res, 401, 'UNAUTHORIZED', { 'www-authenticate': `Bearer realm="${realm}",service="${a.service ?? 'oci-registry'}"${scope}` });
    return false;
  }

  private token(req: IncomingMessage, res: ServerResponse): void {
    const a = this.opts.auth;
    const expected = a ? `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` : undefined;
    if (!a || req.headers.authorization !== expected) return error(res, 401, 'UNAUTHORIZED');
    const t = randomBytes(16).toString('hex');
    this.tokens.add(t);
    send(res, 200, JSON.stringify({ token: t, expires_in: 300 }), { 'content-type': 'application/json' });
  }

  private referrers(req: IncomingMessage, res: ServerResponse, name: string, subject: string, query: URLSearchParams): void {
    // A registry without the API has no such route: distribution 2.x answers its plain 404 page.
    if (this.opts.referrersApi === false) return send(res, 404, '404 page not found\n', { 'content-type': 'text/plain; charset=utf-8' });
    const r = this.repos.get(name);
    let all: Record<string, unknown>[] = [];
    for (const [d, m] of r?.manifests ?? []) {
      const ref = referrerOf(d, m, subject);
      if (ref) all.push(ref);
    }
    const want = query.get('artifactType');
    const filter = want !== null && this.opts.referrersFilter !== false;
    if (filter) all = all.filter((d) => d.artifactType === want);
    const size = this.opts.referrersPageSize ?? 100;
    const start = Number(query.get('last') ?? '0') || 0;
    const page = all.slice(start, start + size);
    const headers: Record<string, string> = { 'content-type': INDEX };
    if (filter) headers['oci-filters-applied'] = 'artifactType';
    if (start + size < all.length) {
      const next = new URLSearchParams(query);
      next.set('last', String(start + size));
      headers.link = `</v2/${name}/referrers/${subject}?${next}>; rel="next"`;
    }
    send(res, 200, JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: page }), headers, req.method === 'HEAD');
  }

  private manifests(req: IncomingMessage, res: ServerResponse, name: string, ref: string): void | Promise<void> {
    const r = this.repo(name);
    if (req.method === 'PUT') return this.putManifestReq(req, res, name, ref);
    const digest = ref.includes(':') ? ref : r.tags.get(ref);
    const m = digest === undefined ? undefined : r.manifests.get(digest);
    if (!m || digest === undefined) return error(res, 404, 'MANIFEST_UNKNOWN');
    send(res, 200, m.bytes, { 'content-type': m.mediaType, ...this.digestHeaders(digest) }, req.method === 'HEAD');
  }

  private async putManifestReq(req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
    const bytes = await readBody(req);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const d = this.putManifest(name, bytes, mediaType, ref.includes(':') ? undefined : ref);
    if (ref.includes(':') && ref !== d) return error(res, 400, 'DIGEST_INVALID');
    send(res, 201, '', { location: `/v2/${name}/manifests/${d}`, 'docker-content-digest': d });
  }

  private blob(req: IncomingMessage, res: ServerResponse, name: string, ref: string): void {
    const blob = this.repos.get(name)?.blobs.get(ref);
    if (!blob) return error(res, 404, 'BLOB_UNKNOWN');
    send(res, 200, blob, { 'content-type': 'application/octet-stream', ...this.digestHeaders(ref) }, req.method === 'HEAD');
  }

  private async uploadsReq(req: IncomingMessage, res: ServerResponse, name: string, id: string, q: URLSearchParams): Promise<void> {
    const digest = q.get('digest');
    if (req.method === 'POST' && !digest) {
      const u = randomBytes(8).toString('hex');
      this.uploads.set(u, name);
      return send(res, 202, '', { location: `/v2/${name}/blobs/uploads/${u}`, 'docker-upload-uuid': u, range: '0-0' });
    }
    if ((req.method === 'PUT' && this.uploads.get(id) === name) || (req.method === 'POST' && digest)) {
      const bytes = await readBody(req);
      if (sha256(bytes) !== digest) return error(res, 400, 'DIGEST_INVALID');
      this.uploads.delete(id);
      this.putBlob(name, bytes);
      return send(res, 201, '', { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest });
    }
    error(res, 404, 'BLOB_UPLOAD_UNKNOWN');
  }
}

/** Port 0 picks a free one. */
export async function startOciRegistry(opts: OciRegistryOptions = {}, port = 0): Promise<OciRegistry> {
  const registry = new Registry(opts);
  const listener = (req: IncomingMessage, res: ServerResponse) => void registry.handle(req, res).catch(() => res.destroy());
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, listener) : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  registry.base = `${opts.tls ? 'https' : 'http'}://${host}`;
  return {
    host,
    url: registry.base,
    requests: registry.requests,
    putBlob: (name, bytes) => registry.putBlob(name, bytes),
    putManifest: (name, bytes, mediaType, tag, digest) => registry.putManifest(name, bytes, mediaType, tag, digest),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
