// Bundles the CLI: dist/notary-pin.mjs (the entry point: the container image's entrypoint and what
// exec plugins start) is a small loader for dist/notary-pin.cjs (everything else, one file) that
// keeps V8's compiled code on disk between runs. The image copies both files.
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versionFile = join(root, 'src/cli/version.ts');
const versionSource = `/** The release version, kept in step with package.json by the build (see scripts/build.mjs). */\nexport const VERSION = '${pkg.version}';\n`;
if (readFileSync(versionFile, 'utf8') !== versionSource) writeFileSync(versionFile, versionSource);

mkdirSync(join(root, 'dist'), { recursive: true });
const common = { bundle: true, platform: 'node', target: 'node20', minify: true, metafile: true, logLevel: 'warning' };
// The CLI itself: one CommonJS file, so the loader can compile it with a V8 code cache on Node 20
// (vm.Script cachedData; ES modules have no such API there). Its entry exports `main`.
const bundle = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/notary-pin.cjs'),
  format: 'cjs',
  sourcemap: 'linked',
  legalComments: 'external',
});
// The entry point everything starts (`node dist/notary-pin.mjs ...`): a small ES module that loads
// the bundle above with the code cache (src/cli/entry.ts, src/cli/code-cache.ts; builtins only).
const loader = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(root, 'dist/notary-pin.mjs'),
  format: 'esm',
  external: ['node:*'],
});
const imported = Object.values(loader.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
const notBuiltin = imported.filter((p) => !p.startsWith('node:') && !p.startsWith('src/'));
if (notBuiltin.length > 0) throw new Error(`the loader must import Node builtins only, not: ${notBuiltin.join(', ')}`);
// Stale files of the single-file ESM bundle this layout replaced.
for (const old of ['notary-pin.mjs.map', 'notary-pin.mjs.LEGAL.txt']) rmSync(join(root, 'dist', old), { force: true });
const kib = (r) => (Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0) / 1024).toFixed(0);
console.error(`built dist/notary-pin.mjs (loader, ${kib(loader)} KiB) and dist/notary-pin.cjs (${kib(bundle)} KiB with map)`);
