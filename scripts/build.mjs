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
/**
 * `import { Agent } from 'undici'` (src/http/client.ts, the only runtime import of undici) would
 * pull in and initialise all of undici (fetch, WebSocket, EventSource, mocks, cache stores, and
 * Node's own undici through a globalThis.Headers check): ~30 ms of every start. The bundle gets a
 * module with just what undici's index.js does for an Agent: the Agent class and the request API
 * it adds to Dispatcher.prototype. Importing any other name from 'undici' fails the build (ESM
 * named exports are checked), so this cannot silently hand src something undefined.
 */
const undiciAgentOnly = {
  name: 'undici-agent-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => (args.kind === 'import-statement' && args.importer.startsWith(join(root, 'src')) ? { path: 'undici', namespace: 'undici-agent-only' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'undici-agent-only' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: [
        "import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';",
        "import api from 'undici/lib/api/index.js';",
        "import AgentClass from 'undici/lib/dispatcher/agent.js';",
        'Object.assign(Dispatcher.prototype, api);',
        'export const Agent = AgentClass;',
      ].join('\n'),
    }));
  },
};
const bundle = await build({
  ...common,
  plugins: [undiciAgentOnly],
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
