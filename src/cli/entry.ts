/**
 * Entry point of the CLI as shipped: dist/notary-pin.mjs, a small loader. It loads the bundle
 * beside it (dist/notary-pin.cjs, built from ./main.ts) with V8's compiled code cached on disk
 * (see ./code-cache.ts) and runs it. `node dist/notary-pin.mjs ...` stays the way to start the tool.
 */
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

/** `--version` / `--help` runs compile little of the bundle: a cache written by one would serve real runs badly. */
function infoOnly(args: string[]): boolean {
  return args.length === 0 ? false : args[0] === 'help' || args.some((a) => a === '-V' || a === '--version' || a === '-h' || a === '--help');
}

const bundle = fileURLToPath(new URL('./notary-pin.cjs', import.meta.url));
const { main } = loadBundle(bundle, { writeCache: !infoOnly(process.argv.slice(2)) }).exports as { main: (argv: string[]) => Promise<void> };
await main(process.argv);
