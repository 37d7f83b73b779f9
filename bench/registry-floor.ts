/**
 * The registry's floor for the Notation rows: the requests a cold Notation run must make (per image:
 * tag → digest HEAD, the referrers tag index, the signature manifest, the envelope blob), made by a
 * bare undici client with nothing parsed beyond the next digest and nothing verified, every image at
 * once. Run as its own process: `node --import tsx bench/registry-floor.ts HOST IMAGES_JSON`; prints
 * `{"wallMs": …}` for the fetch work only (process start not counted).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

async function main(): Promise<void> {
  const [host, file] = process.argv.slice(2);
  const images = JSON.parse(readFileSync(file!, 'utf8')) as { name: string; tag: string }[];
  const agent = new Agent({ connections: 64, pipelining: 1 });
  const get = async (path: string, method: 'GET' | 'HEAD' = 'GET') => {
    const res = await agent.request({ origin: `http://${host}`, path, method, headers: { accept: ACCEPT }, reset: method === 'HEAD' ? false : undefined });
    if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode}`);
    return { headers: res.headers, body: method === 'HEAD' ? (await res.body.dump(), undefined) : Buffer.from(await res.body.arrayBuffer()) };
  };
  const json = (b: Buffer | undefined) => JSON.parse(b!.toString('utf8'));
  const started = performance.now();
  await Promise.all(
    images.map(async ({ name, tag }) => {
      const digest = String((await get(`/v2/${name}/manifests/${tag}`, 'HEAD')).headers['docker-content-digest']);
      const index = json((await get(`/v2/${name}/manifests/${digest.replace(':', '-')}`)).body);
      const manifest = json((await get(`/v2/${name}/manifests/${index.manifests[0].digest}`)).body);
      await get(`/v2/${name}/blobs/${manifest.layers[0].digest}`);
    }),
  );
  const wallMs = performance.now() - started;
  await agent.close();
  process.stdout.write(`${JSON.stringify({ wallMs })}\n`);
}

main().catch((e: unknown) => {
  console.error(`registry-floor: ${(e as Error).message}`);
  process.exit(1);
});
