import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './exec.js';
import { findTool } from './find-tool.js';
import { OCI_MANIFEST, tar, writeOciLayout } from './oci-layout.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('writeOciLayout', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notary-pin-oci-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a layout whose blobs are addressed by their sha256 and whose index names the tag', async () => {
    const img = await writeOciLayout(join(dir, 'a'), '1.0', 'hello\n');
    expect(img.digest).toBe(sha(img.manifest));
    const index = JSON.parse(await readFile(join(dir, 'a', 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      {
        mediaType: OCI_MANIFEST,
        digest: img.digest,
        size: img.manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': '1.0' },
      },
    ]);
    expect(JSON.parse(await readFile(join(dir, 'a', 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const manifest = JSON.parse(img.manifest.toString('utf8'));
    for (const d of [manifest.config, ...manifest.layers]) {
      const blob = await readFile(join(dir, 'a', 'blobs', 'sha256', d.digest.slice(7)));
      expect(sha(blob)).toBe(d.digest);
      expect(blob.length).toBe(d.size);
    }
    const layer = await readFile(join(dir, 'a', 'blobs', 'sha256', manifest.layers[0].digest.slice(7)));
    const config = JSON.parse(
      (await readFile(join(dir, 'a', 'blobs', 'sha256', manifest.config.digest.slice(7)))).toString('utf8'),
    );
    expect(config.rootfs.diff_ids).toEqual([sha(gunzipSync(layer))]);
  });

  it('gives distinct content distinct digests', async () => {
    const a = await writeOciLayout(join(dir, 'b1'), 't', 'one');
    const b = await writeOciLayout(join(dir, 'b2'), 't', 'two');
    expect(a.digest).not.toBe(b.digest);
  });

  it.skipIf(findTool('tar') === null)('produces a tar archive that GNU tar reads back', async () => {
    const archive = tar([{ name: 'x/hello.txt', content: Buffer.from('hi there\n') }]);
    expect(archive.length % 512).toBe(0);
    const file = join(dir, 't.tar');
    await writeFile(file, archive);
    const list = await run('tar', ['-tvf', file], { timeoutMs: 10_000 });
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/ 9 .*x\/hello\.txt\n$/);
    const cat = await run('tar', ['-xOf', file, 'x/hello.txt'], { timeoutMs: 10_000 });
    expect(cat.stdout).toBe('hi there\n');
  });
});
