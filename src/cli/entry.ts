/** Entry point of the bundled CLI (dist/notary-pin.mjs). */
import module from 'node:module';
import { main } from './main.js';

// Node >= 22.1 can keep V8's compiled code of this bundle on disk between runs (exec plugins start
// the function over and over). A no-op on Node 20; never fatal (e.g. a read-only file system).
try {
  (module as unknown as { enableCompileCache?: () => unknown }).enableCompileCache?.();
} catch {
  // ignore: only start-up time is at stake
}

await main(process.argv);
