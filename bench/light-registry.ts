/**
 * The project's own OCI registry (src/demo/oci-registry.ts, referrers API off like distribution 2.8)
 * in a process of its own, for the bench's "light registry" row: the same images, signatures and
 * requests as the real registry, at a fraction of its CPU per request. `node --import tsx
 * bench/light-registry.ts` prints `PORT <n>` and serves until stdin closes.
 */
import { pathToFileURL } from 'node:url';
import { startOciRegistry } from '../src/demo/oci-registry.js';

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const registry = await startOciRegistry({ referrersApi: false });
  // The registry records every request for tests; the bench never reads them.
  const forget = setInterval(() => (registry.requests.length = 0), 1000);
  process.stdout.write(`PORT ${registry.host.split(':')[1]}\n`);
  const stop = () => (clearInterval(forget), void registry.close().then(() => process.exit(0)));
  process.stdin.resume();
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
}
