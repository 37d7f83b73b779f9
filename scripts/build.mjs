// Bundles the CLI into one file, dist/notary-pin.mjs: the container image's entrypoint and what
// exec plugins start (one file to load keeps cold start low).
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versionFile = join(root, 'src/cli/version.ts');
const versionSource = `/** The release version, kept in step with package.json by the build (see scripts/build.mjs). */\nexport const VERSION = '${pkg.version}';\n`;
if (readFileSync(versionFile, 'utf8') !== versionSource) writeFileSync(versionFile, versionSource);

mkdirSync(join(root, 'dist'), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(root, 'dist/notary-pin.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'external',
  metafile: true,
  // Some dependencies still call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __npCreateRequire } from 'node:module'; const require = __npCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.error(`built dist/notary-pin.mjs (${(bytes / 1024).toFixed(0)} KiB with map)`);
