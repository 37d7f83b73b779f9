/** The shipped CLI entry (dist/notary-pin.mjs): loads the bundle beside it with a code cache (./code-cache.ts). */
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

/** `--version`/`--help` compile little: a cache written by them would serve real runs badly. */
function infoOnly(args: string[]): boolean {
  return args.length === 0 ? false : args[0] === 'help' || args.some((a) => a === '-V' || a === '--version' || a === '-h' || a === '--help');
}

const bundle = fileURLToPath(new URL('./notary-pin.cjs', import.meta.url));
const { main } = loadBundle(bundle, { writeCache: !infoOnly(process.argv.slice(2)) }).exports as { main: (argv: string[]) => Promise<void> };
await main(process.argv);
