/** TEST SUPPORT ONLY: small helpers shared by the Notary client's tests. */
import { afterEach, beforeAll } from 'vitest';
import { createTestCA, type TestCertAuthority, type TestKeyPair } from '../../../src/demo/pki.js';
import type { PinError, Result } from '../../../src/errors/errors.js';
import type { Resolution } from '../../../src/engine/port.js';
import type { TestServer } from '../http-server.js';
import type { ImageReference } from '../../../src/reference/image-reference.js';

/** A fake but well-formed digest: `sha256:` and 64 copies of the digits of `n`. */
export const D = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;

export { asFiles } from '../../../src/demo/notary-handler.js';

/** The resolution, or the error thrown. */
export const value = (r: Result<Resolution, PinError>): Resolution => {
  if (!r.ok) throw r.error;
  return r.value;
};

/** The error, or a failure naming the unexpected resolution. */
export const error = (r: Result<Resolution, PinError>): PinError => {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
};

/** `value` of a resolution still to come. */
export const resolved = async (p: Promise<Result<Resolution, PinError>>): Promise<Resolution> => value(await p);

/** `error` of a resolution still to come. */
export const failed = async (p: Promise<Result<Resolution, PinError>>): Promise<PinError> => error(await p);

/** Request paths without the GUN prefix, checksums shown as `<sha>`. */
export const names = (s: TestServer, from = 0): string[] =>
  s.requests.slice(from).map((q) => decodeURIComponent(q.url).replace(/^\/v2\/.+\/_trust\/tuf\//, '').replace(/\.[0-9a-f]{64}\./, '.<sha>.'));

/**
 * A reference built by splitting `registry/path[:tag][@digest]` (no normalisation): the tests use
 * registry-qualified names, and keep the parser out of the client's tests.
 */
export const ref = (s: string): ImageReference => {
  const [name, digest] = s.split('@') as [string, string | undefined];
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repository = hasTag ? name.slice(0, colon) : name;
  const slash = repository.indexOf('/');
  return {
    original: s,
    domain: repository.slice(0, slash),
    path: repository.slice(slash + 1),
    repository,
    ...(hasTag && { tag: name.slice(colon + 1) }),
    ...(digest !== undefined && { digest }),
  };
};

/**
 * Registers the hooks every client test file needs: a test CA with a 127.0.0.1 server certificate
 * (made once, before the file's tests) and a cleanup list run in reverse after each test.
 */
export function useTestTls(): { ca: TestCertAuthority; leaf: TestKeyPair; cleanup: (() => Promise<void> | void)[] } {
  const state = { cleanup: [] as (() => Promise<void> | void)[] } as { ca: TestCertAuthority; leaf: TestKeyPair; cleanup: (() => Promise<void> | void)[] };
  beforeAll(() => {
    state.ca = createTestCA();
    state.leaf = state.ca.issue();
  });
  afterEach(async () => {
    for (const f of state.cleanup.splice(0).reverse()) await f();
  });
  return state;
}
