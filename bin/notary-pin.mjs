#!/usr/bin/env node
// Runs the bundled CLI. `npm ci` builds it (the "prepare" script); `npm run build` rebuilds it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/notary-pin.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('notary-pin: dist/notary-pin.mjs is missing; run "npm run build" (npm ci does it too)\n');
  process.exit(2);
}
await import(bundle);
