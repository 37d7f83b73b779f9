/**
 * Where TUF metadata comes from: the Notary server's read API (`GET {server}/v2/{gun}/_trust/tuf/`
 * `{role}.json`, `{role}.{sha256}.json` by checksum, `{version}.{role}.json` by version, as the notary
 * client fetches) or a vendored directory. Sources only fetch; the TUF verifier decides what to trust.
 */
import { open } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { PinError } from '../../errors/errors.js';
import type { HttpClient } from '../../http/client.js';
import type { ExpectedFile } from './tuf/verifier-contract.js';

/** What to fetch of a role: by name, by checksum (`sha256`) or by version (notary-server's GetRoleByVersion route). */
export interface FetchRequest extends ExpectedFile {
  /** Fetch this exact version (a positive integer). Not combined with `sha256`. */
  readonly version?: number;
}

export interface FetchOptions {
  readonly signal?: AbortSignal;
}

export interface MetadataSource {
  /** The bytes of `role`; reads are capped at `expected.length` when known, else at the source's default cap. */
  fetch(gun: string, role: string, expected?: FetchRequest, opts?: FetchOptions): Promise<Uint8Array>;
  readonly description: string;
}

const ROLE = /^(root|timestamp|snapshot|targets(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$/;
const GUN_SEGMENT = /^[A-Za-z0-9_[\]][A-Za-z0-9_.:[\]-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Throws unless `gun` is a plausible repository name: no empty, `.` or `..` segments, no odd characters. */
export function assertGun(gun: string): void {
  const segments = gun.split('/');
  if (gun.length > 255 || segments.some((s) => !GUN_SEGMENT.test(s))) {
    throw new PinError({
      code: 'REFERENCE_INVALID',
      message: `"${gun}" is not a valid GUN (repository name)`,
      hint: 'the GUN must be a normalised repository such as docker.io/library/nginx',
    });
  }
}

/** Throws unless `role` is a TUF role name (`root`, `timestamp`, `snapshot`, `targets`, `targets/x/y`). */
export function assertRole(role: string): void {
  if (role.length > 255 || !ROLE.test(role)) {
    throw new PinError({
      code: 'TRUST_MALFORMED',
      message: `"${role}" is not a valid TUF role name`,
      hint: 'role names are root, timestamp, snapshot, targets or targets/<name>[/<name>...]',
      role,
    });
  }
}

/** Throws unless `version` is a positive safe integer; rejects version and checksum together. */
function assertVersion(role: string, expected: FetchRequest | undefined): number | undefined {
  const v = expected?.version;
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 1 || expected?.sha256 !== undefined) {
    throw new PinError({
      code: 'INTERNAL',
      message: `invalid versioned fetch of ${role}: version ${String(v)}${expected?.sha256 !== undefined ? ' with a checksum' : ''}`,
      role,
    });
  }
  return v;
}

function capOf(expected: ExpectedFile | undefined, fallback: number): number {
  const n = expected?.length;
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

export interface HttpSourceOptions {
  readonly server: string;
  readonly http: HttpClient;
  /** Cap when no signed length is known (`trust.maxMetadataBytes`). */
  readonly maxMetadataBytes: number;
}

/** The Notary server read API. Token auth scope: `repository:<gun>:pull`. */
export function createHttpSource(opts: HttpSourceOptions): MetadataSource {
  const base = opts.server.replace(/\/+$/, '');
  return {
    description: base,
    async fetch(gun, role, expected, fo) {
      assertGun(gun);
      assertRole(role);
      const version = assertVersion(role, expected);
      let file = version === undefined ? `${role}.json` : `${version}.${role}.json`;
      if (expected?.sha256 !== undefined) {
        if (!SHA256.test(expected.sha256)) {
          throw new PinError({ code: 'TRUST_MALFORMED', message: `invalid sha256 "${expected.sha256}" for ${role}`, role });
        }
        file = `${role}.${expected.sha256}.json`;
      }
      const url = `${base}/v2/${gun}/_trust/tuf/${file}`;
      try {
        return await opts.http.get(url, { maxBytes: capOf(expected, opts.maxMetadataBytes), scope: `repository:${gun}:pull`, signal: fo?.signal });
      } catch (e) {
        if (e instanceof PinError && e.code === 'TRUST_NOT_FOUND' && version !== undefined) {
          // notary-server keeps every version it accepted: a missing one was never published there.
          throw new PinError({
            code: 'TRUST_NOT_FOUND',
            message: `${e.message} (${role} version ${version} of ${gun}, ${file})`,
            hint: `the trust server does not serve ${role} version ${version}; it is needed to verify the chain of ${role} rotations`,
            role,
            cause: e,
          });
        }
        if (e instanceof PinError && e.code === 'TRUST_NOT_FOUND' && role !== 'root') {
          // root exists, so a missing later role is incomplete or changing trust data, not an unsigned repository.
          throw new PinError({
            code: 'TRUST_NOT_FOUND',
            message: `${e.message} (${role} of ${gun}${expected?.sha256 ? ', by checksum' : ''})`,
            hint: 'the trust data on the server is incomplete or was replaced meanwhile: retry, and if it persists republish it (notary publish)',
            role,
            cause: e,
          });
        }
        if (e instanceof PinError) throw e.with({ role });
        throw e;
      }
    },
  };
}

export interface DirSourceOptions {
  readonly dir: string;
  readonly maxMetadataBytes: number;
}

/**
 * Vendored trust data, first match per file: `<dir>/<GUN>/<role>.json` or the notary client's cache
 * `<dir>/tuf/<GUN>/metadata/<role>.json`; versioned roots as `<version>.<role>.json` beside them (the
 * notary cache lacks these: vendor them from the server). Every path must stay inside `dir`.
 */
export function createDirSource(opts: DirSourceOptions): MetadataSource {
  const root = resolve(opts.dir);
  return {
    description: root,
    async fetch(gun, role, expected) {
      assertGun(gun);
      assertRole(role);
      const version = assertVersion(role, expected);
      const g = gun.split('/');
      const r = role.split('/');
      const last = version === undefined ? r.pop()! : `${version}.${r.pop()!}`;
      const candidates = [join(root, ...g, ...r, `${last}.json`), join(root, 'tuf', ...g, 'metadata', ...r, `${last}.json`)];
      const cap = capOf(expected, opts.maxMetadataBytes);
      for (const path of candidates) {
        if (!path.startsWith(root + sep)) continue; // unreachable after validation; defence in depth
        let fh;
        try {
          fh = await open(path, 'r');
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') continue;
          throw new PinError({ code: 'TRUST_FETCH', message: `cannot read ${path}: ${code ?? String(e)}`, role, cause: e });
        }
        try {
          const st = await fh.stat();
          if (!st.isFile()) continue;
          if (st.size > cap) {
            throw new PinError({
              code: 'TRUST_TOO_LARGE',
              message: `${path} is ${st.size} bytes, over the cap of ${cap} bytes`,
              hint: 'the vendored file is larger than its signed length or trust.maxMetadataBytes; re-vendor the trust data',
              role,
            });
          }
          const buf = Buffer.alloc(st.size);
          const { bytesRead } = await fh.read(buf, 0, st.size, 0);
          return new Uint8Array(buf.subarray(0, bytesRead));
        } finally {
          await fh.close();
        }
      }
      throw new PinError({
        code: 'TRUST_NOT_FOUND',
        message: `no ${role}${version === undefined ? '' : ` version ${version}`} metadata for ${gun} in trustDir ${root} (looked for ${candidates.join(', ')})`,
        hint:
          version === undefined
            ? 'vendor the trust data (e.g. copy ~/.notary/tuf/<GUN>/metadata after a `notary lookup`), ' +
              'sign the repository, or exclude the image'
            : `vendor ${version}.${role}.json from the trust server (GET /v2/<GUN>/_trust/tuf/${version}.${role}.json) next to ${role}.json: ` +
              `it is needed to verify the chain of ${role} rotations`,
        role,
      });
    },
  };
}
