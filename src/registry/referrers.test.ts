import { afterEach, describe, expect, it } from 'vitest';
import { startOciRegistry, type OciRegistry, type OciRegistryOptions } from '../demo/oci-registry.js';
import { failure } from '../../test/support/errors.js';
import { addToReferrersTag, pushImage, pushSignature, sha256 } from '../../test/support/oci-push.js';
import { createRegistryClient } from './client.js';
import { RegistryConfigSchema } from './config.js';
import { MediaTypes, type Descriptor, type RegistryClient } from './contract.js';
import { NO_REFERRERS_API_MS } from './target.js';

const regs: OciRegistry[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(regs.splice(0).map((r) => r.close()));
});
async function setup(o: OciRegistryOptions = {}, debug?: (m: string) => void, callDeadlineMs?: number, now?: () => number) {
  const reg = await startOciRegistry(o);
  regs.push(reg);
  const c = createRegistryClient({
    registries: [RegistryConfigSchema.parse({ host: reg.host, plainHTTP: true })],
    env: {},
    homeDir: '/nonexistent',
    debug,
    callDeadlineMs,
    now,
  });
  clients.push(c);
  const img = await pushImage({ url: reg.url }, 'app', 'v1');
  return { reg, c, img, repo: { host: reg.host, name: 'app' } };
}
const SIG = MediaTypes.notarySignature;

/** Stores a referrer of `subject` with the given artifactType straight into the registry. */
function putReferrer(reg: OciRegistry, subject: Descriptor, artifactType: string, n: number): string {
  const m = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaTypes.ociManifest, artifactType,
    config: { mediaType: MediaTypes.ociEmpty, digest: sha256(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: MediaTypes.jws, digest: sha256(Buffer.from(`env${n}`)), size: 4 }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  }));
  return reg.putManifest('app', m, MediaTypes.ociManifest);
}

describe('referrers API', () => {
  it('once the registry answered the API, the referrers tag is not read beside it', async () => {
    const { reg, c, img, repo } = await setup();
    const sig = putReferrer(reg, img, SIG, 1);
    const tagReads = () => reg.requests.filter((r) => r.url.includes(`/manifests/${img.digest.replace(':', '-')}`)).length;
    expect((await c.referrers(repo, img.digest, { artifactType: SIG })).map((d) => d.digest)).toEqual([sig]);
    const first = tagReads();
    expect((await c.referrers(repo, img.digest, { artifactType: SIG })).map((d) => d.digest)).toEqual([sig]);
    expect(tagReads()).toBe(first);
    expect(reg.requests.filter((r) => r.url.startsWith('/v2/app/referrers/'))).toHaveLength(2);
  });

  it('follows Link pagination and trusts OCI-Filters-Applied', async () => {
    const { reg, c, img, repo } = await setup({ referrersPageSize: 2 });
    const sigs = [0, 1, 2, 3, 4].map((n) => putReferrer(reg, img, SIG, n));
    putReferrer(reg, img, 'application/vnd.example.sbom', 9);
    const got = await c.referrers(repo, img.digest, { artifactType: SIG });
    expect(got.map((d) => d.digest).sort()).toEqual([...sigs].sort());
    expect(got.every((d) => d.artifactType === SIG)).toBe(true);
    const pages = reg.requests.filter((r) => r.url.startsWith('/v2/app/referrers/'));
    expect(pages).toHaveLength(3);
    expect(pages[0]!.url).toContain('artifactType=application%2Fvnd.cncf.notary.signature');
  });

  it('filters by artifactType itself when the registry did not', async () => {
    const { reg, c, img, repo } = await setup({ referrersFilter: false });
    const sig = putReferrer(reg, img, SIG, 1);
    putReferrer(reg, img, 'application/vnd.example.sbom', 2);
    const got = await c.referrers(repo, img.digest, { artifactType: SIG });
    expect(got.map((d) => d.digest)).toEqual([sig]);
    expect(await c.referrers(repo, img.digest)).toHaveLength(2);
  });

  it('refuses a 10,000-entry referrers index quickly', async () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      mediaType: MediaTypes.ociManifest, digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 500, artifactType: SIG,
    }));
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }));
    const { c, img, repo } = await setup({
      hook: (req, res) => {
        if (!req.url?.includes('/referrers/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociIndex, 'content-length': String(body.length) });
        res.end(body);
        return true;
      },
    });
    const started = performance.now();
    const e = await failure(c.referrers(repo, img.digest, { artifactType: SIG }));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
    expect(e.message).toContain('more than 1000 referrers');
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await failure(c.referrers(repo, img.digest, { maxEntries: 50 }))).message).toContain('more than 50 referrers');
  });

  it('refuses a Link to another origin, a looping Link, and too many pages', async () => {
    const index = JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] });
    let link = '';
    const { c, img, repo } = await setup({
      hook: (req, res) => {
        if (!req.url?.includes('/referrers/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociIndex, link });
        res.end(index);
        return true;
      },
    });
    link = '<http://evil.example:80/v2/app/referrers/x>; rel="next"';
    expect((await failure(c.referrers(repo, img.digest))).message).toContain('another origin');
    link = `</v2/app/referrers/${img.digest}>; rel="next"`;
    expect((await failure(c.referrers(repo, img.digest))).message).toContain('loops');
    let n = 0;
    link = '';
    const { c: c2, img: img2, repo: repo2 } = await setup({
      hook: (req, res) => {
        if (!req.url?.includes('/referrers/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociIndex, link: `</v2/app/referrers/x?page=${++n}>; rel="next"` });
        res.end(index);
        return true;
      },
    });
    const e = await failure(c2.referrers(repo2, img2.digest, { maxPages: 5 }));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
    expect(n).toBe(5);
  });

  it('bounds the whole listing by the per-call deadline (slow pages, each within the timeout)', async () => {
    const { reg, c, img, repo } = await setup({
      referrersPageSize: 1,
      hook: async (req) => {
        if (req.url?.includes('/referrers/')) await new Promise((r) => setTimeout(r, 150));
        return false;
      },
    }, undefined, 400);
    for (let i = 0; i < 20; i++) putReferrer(reg, img, SIG, i);
    const started = Date.now();
    const e = await failure(c.referrers(repo, img.digest));
    expect(e.code).toBe('REGISTRY_FETCH');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(reg.requests.filter((r) => r.url.includes('/referrers/')).length).toBeLessThan(6);
  });

  it('refuses a malformed referrers response', async () => {
    const { c, img, repo } = await setup({
      hook: (req, res) => {
        if (!req.url?.includes('/referrers/')) return false;
        res.writeHead(200, { 'content-type': MediaTypes.ociIndex });
        res.end(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'nope' }] }));
        return true;
      },
    });
    expect((await failure(c.referrers(repo, img.digest))).code).toBe('REGISTRY_MALFORMED');
  });
});

describe('referrers tag schema fallback (registry without the referrers API)', () => {
  it('reads the sha256-<hex> index on 404, both signature forms, filtered by the client', async () => {
    const { reg, c, img, repo } = await setup({ referrersApi: false });
    const a = await pushSignature({ url: reg.url }, 'app', img, { form: 'artifactType', envelope: Buffer.from('jws-1') });
    const b = await pushSignature({ url: reg.url }, 'app', img, { form: 'legacy', envelope: Buffer.from('jws-2') });
    const sbom = putReferrer(reg, img, 'application/vnd.example.sbom', 3);
    await addToReferrersTag({ url: reg.url }, 'app', img.digest, { mediaType: MediaTypes.ociManifest, digest: sbom, size: 10, artifactType: 'application/vnd.example.sbom' });
    const got = await c.referrers(repo, img.digest, { artifactType: SIG });
    expect(got.map((d) => d.digest)).toEqual([a.digest, b.digest]);
    expect(reg.requests.some((r) => r.url === `/v2/app/manifests/${img.digest.replace(':', '-')}`)).toBe(true);
  });

  it('has no referrers when the tag is missing, or is not an index (with a debug note)', async () => {
    const notes: string[] = [];
    const { reg, c, img, repo } = await setup({ referrersApi: false }, (m) => notes.push(m));
    expect(await c.referrers(repo, img.digest)).toEqual([]);
    await pushImage({ url: reg.url }, 'app', img.digest.replace(':', '-'));
    expect(await c.referrers(repo, img.digest)).toEqual([]);
    expect(notes.some((n) => n.includes('not an image index: no referrers'))).toBe(true);
  });

  it('reads the referrers tag beside the API request, not after its 404 (one round trip)', async () => {
    let tagAsked: () => void = () => {};
    const tagSeen = new Promise<void>((resolve) => (tagAsked = resolve));
    let overlapped = false;
    let armed = false; // the push below reads the tag too
    const { reg, c, img, repo } = await setup({
      referrersApi: false,
      // hold the API's 404 until the tag request arrives (at most 2 s: a sequential client never sends it)
      hook: async (req) => {
        if (armed && req.url?.startsWith('/v2/app/manifests/sha256-')) tagAsked();
        if (req.url?.startsWith('/v2/app/referrers/')) {
          overlapped = await Promise.race([tagSeen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
        }
        return false;
      },
    });
    const sig = await pushSignature({ url: reg.url }, 'app', img, { form: 'artifactType', envelope: Buffer.from('jws-1') });
    armed = true;
    const got = await c.referrers(repo, img.digest, { artifactType: SIG });
    expect(got.map((d) => d.digest)).toEqual([sig.digest]);
    expect(overlapped).toBe(true);
  });

  it("after the registry's plain 404 on the API, reads only the referrers tag until NO_REFERRERS_API_MS passed", async () => {
    let clock = 1_000_000;
    const { reg, c, img, repo } = await setup({ referrersApi: false }, undefined, undefined, () => clock);
    const other = await pushImage({ url: reg.url }, 'app', 'v2');
    const sig = await pushSignature({ url: reg.url }, 'app', other, { form: 'artifactType', envelope: Buffer.from('jws-2') });
    const apiAsks = () => reg.requests.filter((r) => r.url.startsWith('/v2/app/referrers/')).length;
    expect(await c.referrers(repo, img.digest, { artifactType: SIG })).toEqual([]);
    expect(apiAsks()).toBe(1);
    expect((await c.referrers(repo, other.digest, { artifactType: SIG })).map((d) => d.digest)).toEqual([sig.digest]);
    expect(apiAsks()).toBe(1); // the tag only
    clock += NO_REFERRERS_API_MS;
    await c.referrers(repo, other.digest, { artifactType: SIG });
    expect(apiAsks()).toBe(2); // asked again: a registry may gain the API
  });

  describe('one API request at a time while the registry has not answered it yet', () => {
    /** `n` images of `app`, each signed once; the subjects' digests and their signatures' digests. */
    async function signedImages(reg: OciRegistry, n: number) {
      const out: { subject: string; sig: string }[] = [];
      for (let i = 0; i < n; i++) {
        const img = await pushImage({ url: reg.url }, 'app', `p${i}`);
        const sig = await pushSignature({ url: reg.url }, 'app', img, { form: 'artifactType', envelope: Buffer.from(`jws-p${i}`) });
        out.push({ subject: img.digest, sig: sig.digest });
      }
      return out;
    }
    const apiAsks = (reg: OciRegistry) => reg.requests.filter((r) => r.url.startsWith('/v2/app/referrers/')).length;

    it('without the API: 20 listings at once send one API request, each still finds its signature', async () => {
      const { reg, c, repo } = await setup({ referrersApi: false });
      const images = await signedImages(reg, 20);
      const got = await Promise.all(images.map((i) => c.referrers(repo, i.subject, { artifactType: SIG })));
      expect(got.map((g) => g.map((d) => d.digest))).toEqual(images.map((i) => [i.sig]));
      expect(apiAsks(reg)).toBe(1);
    });

    it('with the API: the listings that waited then ask it, and get what only the API lists', async () => {
      const { reg, c, repo } = await setup();
      const subjects = await Promise.all([1, 2, 3, 4].map((n) => pushImage({ url: reg.url }, 'app', `a${n}`)));
      const sigs = subjects.map((s, n) => putReferrer(reg, s, SIG, n)); // no referrers tag: the API only
      const got = await Promise.all(subjects.map((s) => c.referrers(repo, s.digest, { artifactType: SIG })));
      expect(got.map((g) => g.map((d) => d.digest))).toEqual(sigs.map((s) => [s]));
      expect(apiAsks(reg)).toBe(4);
    });

    it('after an answer that says nothing (a JSON 404), the waiting listings ask the API themselves', async () => {
      const { reg, c, repo } = await setup({
        hook: async (req, res) => {
          if (!req.url?.startsWith('/v2/app/referrers/')) return false;
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'x' }] }));
          return true;
        },
      });
      const images = await signedImages(reg, 3);
      const got = await Promise.all(images.map((i) => c.referrers(repo, i.subject, { artifactType: SIG })));
      expect(got.map((g) => g.map((d) => d.digest))).toEqual(images.map((i) => [i.sig]));
      expect(apiAsks(reg)).toBe(3);
    });

    it('a listing waiting on a stalled API request gives up at its own deadline', async () => {
      const { reg, c, repo } = await setup({
        hook: async (req) => {
          if (req.url?.startsWith('/v2/app/referrers/')) await new Promise((r) => setTimeout(r, 1500));
          return false;
        },
      }, undefined, 300);
      const images = await signedImages(reg, 2);
      const started = Date.now();
      const errors = await Promise.all(images.map((i) => failure(c.referrers(repo, i.subject, { artifactType: SIG }))));
      expect(errors.map((e) => e.code)).toEqual(['REGISTRY_FETCH', 'REGISTRY_FETCH']);
      expect(Date.now() - started).toBeLessThan(1200);
      expect(apiAsks(reg)).toBe(1);
    });
  });

  it('keeps asking the API after a JSON 404 (an OCI error such as NAME_UNKNOWN says nothing about the API)', async () => {
    const { reg, c, img, repo } = await setup({
      hook: async (req, res) => {
        if (!req.url?.startsWith('/v2/app/referrers/')) return false;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'x' }] }));
        return true;
      },
    });
    await c.referrers(repo, img.digest, { artifactType: SIG });
    await c.referrers(repo, img.digest, { artifactType: SIG });
    expect(reg.requests.filter((r) => r.url.startsWith('/v2/app/referrers/'))).toHaveLength(2);
  });

  it('refuses a malformed fallback index and bounds its entries', async () => {
    const { reg, c, img, repo } = await setup({ referrersApi: false });
    const tag = img.digest.replace(':', '-');
    reg.putManifest('app', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: 1 }] })), MediaTypes.ociIndex, tag);
    expect((await failure(c.referrers(repo, img.digest))).code).toBe('REGISTRY_MALFORMED');
    const many = Array.from({ length: 10_000 }, (_, i) => ({ mediaType: MediaTypes.ociManifest, digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1 }));
    reg.putManifest('app', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: many })), MediaTypes.ociIndex, tag);
    const started = performance.now();
    const e = await failure(c.referrers(repo, img.digest, { artifactType: SIG }));
    expect(e.code).toBe('REGISTRY_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
