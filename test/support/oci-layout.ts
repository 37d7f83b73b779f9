/**
 * Writes a minimal OCI image layout (image-spec v1.0 "Image Layout") without docker: one gzip'd
 * tar layer holding a single file, an image config, an image manifest, `index.json` and
 * `oci-layout`. The file's content makes each image (and so its manifest digest) distinct.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Media types from the OCI image spec. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** What {@link writeOciLayout} wrote. */
export interface OciImage {
  /** Layout directory (use as `oci:DIR:TAG`). */
  dir: string;
  tag: string;
  /** The manifest bytes exactly as written. */
  manifest: Buffer;
  /** `sha256:<hex>` of {@link manifest}. */
  digest: string;
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** One ustar header field: `value` NUL-padded to `len` bytes. */
function field(buf: Buffer, offset: number, len: number, value: string): void {
  buf.write(value.slice(0, len), offset, len, 'ascii');
}

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

/** A POSIX ustar archive holding regular files (names < 100 bytes), deterministic (mtime 0). */
export function tar(files: ReadonlyArray<{ name: string; content: Buffer; mode?: number }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (Buffer.byteLength(f.name) >= 100) throw new Error(`tar: name too long: ${f.name}`);
    const h = Buffer.alloc(512, 0);
    field(h, 0, 100, f.name);
    field(h, 100, 8, octal(f.mode ?? 0o644, 8));
    field(h, 108, 8, octal(0, 8));
    field(h, 116, 8, octal(0, 8));
    field(h, 124, 12, octal(f.content.length, 12));
    field(h, 136, 12, octal(0, 12));
    field(h, 148, 8, '        '); // checksum placeholder: 8 spaces
    field(h, 156, 1, '0');
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    let sum = 0;
    for (const byte of h) sum += byte;
    field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(h, f.content);
    const pad = (512 - (f.content.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/**
 * Writes an OCI layout for one image into `dir`, tagged `tag` (annotation
 * `org.opencontainers.image.ref.name`), whose only layer holds `/notary-pin-test.txt` = `content`.
 */
export async function writeOciLayout(dir: string, tag: string, content: string): Promise<OciImage> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const layerTar = tar([{ name: 'notary-pin-test.txt', content: Buffer.from(content, 'utf8') }]);
  const layer = gzipSync(layerTar, { level: 6 });
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'notary-pin.test/content': content } },
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      history: [{ created_by: 'notary-pin test harness' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER_GZIP, digest: sha256(layer), size: layer.length }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const write = (b: Buffer) => writeFile(join(blobs, sha256(b).slice('sha256:'.length)), b);
  await Promise.all([
    write(layer),
    write(config),
    write(manifest),
    writeFile(join(dir, 'index.json'), index),
    writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' })),
  ]);
  return { dir, tag, manifest, digest: sha256(manifest) };
}
