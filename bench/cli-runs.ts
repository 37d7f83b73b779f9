/**
 * The bench's measured runs, each one process or one resolver: the built CLI as a user runs it, the
 * `notary lookup` baseline, the production resolver in this process, cold start; and the helper
 * processes (delay proxy, light registry) they run against.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../test/support/exec.js';
import type { ImageInfo, NotaryEnv } from '../test/support/notary-env.js';
import { TrustRuleSchema } from '../src/config/schema.js';
import { createNotaryResolver } from '../src/trust/notary/resolver.js';
import { RUN_FETCHES_PER_SERVER } from '../src/cli/resolver.js';
import { parseReference } from '../src/reference/parse.js';
import type { PinRun } from './notation.js';
import { median } from './stats.js';
import { COLD_START_RUNS, CONCURRENCY, DIST, mustOk, ROOT, track } from './harness.js';

/** Starts `bench/<script>` (tsx) as a process of its own; it prints `PORT <n>` once it serves. */
export async function startChildServer(script: string, args: readonly string[]): Promise<{ port: number; close: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: ROOT,
  });
  track(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 15 s`)), 15_000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error(`${script} exited`)));
  });
  return { port, close: () => void child.kill('SIGKILL') };
}

export const startProxyProcess = (targetPort: number, delayMs: number) => startChildServer('delay-proxy.ts', [String(targetPort), String(delayMs)]);

export function configYaml(o: { server: string; caFile: string; registryHost: string; pins: string[]; cacheDir?: string; mode?: string; extraRule?: string }): string {
  return [
    'apiVersion: notary-pin.dev/v1alpha1',
    'kind: NotaryPin',
    'metadata:',
    '  name: bench',
    'spec:',
    `  mode: ${o.mode ?? 'pin'}`,
    ...(CONCURRENCY === undefined ? [] : [`  concurrency: ${CONCURRENCY}`]),
    ...(o.cacheDir ? [`  cacheDir: ${JSON.stringify(o.cacheDir)}`] : []),
    '  trust:',
    '  - name: bench registry',
    `    images: [${JSON.stringify(`${o.registryHost}/**`)}]`,
    `    server: ${o.server}`,
    `    ca: ${JSON.stringify(o.caFile)}`,
    `    rootKeys: [${o.pins.map((p) => JSON.stringify(p)).join(', ')}]`,
    '',
  ].join('\n') + (o.extraRule ?? '');
}

/** Runs the built CLI like a user would, under /usr/bin/time for the peak RSS and its CPU time. */
export async function runPin(config: string, input: string, output: string, expectPinned: number, env: Record<string, string> = {}): Promise<PinRun> {
  const t = performance.now();
  const r = await run('/usr/bin/time', ['-f', 'MAXRSS_KB=%M CPU_S=%U+%S', process.execPath, DIST, '--config', config, '-i', input, '-o', output, '-q'], {
    timeoutMs: 60_000,
    env: { NOTARY_PIN_DEBUG: '0', ...env },
  });
  const wallMs = performance.now() - t;
  mustOk(r, `notary-pin ${input}`);
  const m = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  const out = await readFile(output, 'utf8');
  const pinned = out.match(/@sha256:[0-9a-f]{64}/g)?.length ?? 0;
  if (pinned !== expectPinned) throw new Error(`notary-pin pinned ${pinned} images, expected ${expectPinned}`);
  const cpu = /CPU_S=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { wallMs, maxRssKb: m ? Number(m[1]) : Number.NaN, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

/**
 * The baseline: `notary lookup` for every image, as the OPA notary-wrapper does (one process per
 * image); `parallel` at a time, one shared fresh trust dir (so later lookups of a GUN are warm).
 */
export async function baseline(env: NotaryEnv, images: readonly ImageInfo[], trustDir: string, parallel: number): Promise<number> {
  await mkdir(trustDir, { recursive: true });
  const queue = images.slice();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let img = queue.shift(); img; img = queue.shift()) {
        const r = mustOk(await env.notary(['lookup', img.gun, img.tag], { trustDir, timeoutMs: 30_000 }), `notary lookup ${img.reference}`);
        const hex = img.digest.slice(7);
        if (!r.stdout.includes(hex)) throw new Error(`notary lookup ${img.reference}: ${r.stdout} does not name ${img.digest}`);
      }
    }),
  );
  return performance.now() - t;
}

/**
 * The network part alone: the production resolver (same code as the CLI), in this process,
 * resolving every image of the bundle at once; a fresh resolver per run (new connections, new TLS
 * handshakes). No process start, no YAML: what is left is round trips plus verification.
 */
export async function resolveOnly(server: string, caFile: string, pins: string[], images: readonly ImageInfo[], cacheDir: string): Promise<number> {
  const rule = TrustRuleSchema.parse({ images: ['**'], server, ca: caFile, rootKeys: pins });
  const r = createNotaryResolver({ cacheDir, env: {}, maxFetchesPerServer: RUN_FETCHES_PER_SERVER });
  try {
    const t = performance.now();
    const out = await Promise.all(images.map((img) => r.resolve(parseReference(img.reference), rule)));
    const elapsed = performance.now() - t;
    const bad = out.findIndex((o, i) => !o.ok || o.value.digest !== images[i]!.digest);
    if (bad >= 0) throw new Error(`resolveOnly: ${images[bad]!.reference}: ${JSON.stringify(out[bad])}`);
    return elapsed;
  } finally {
    await r.close();
  }
}

/** Medians of COLD_START_RUNS starts: `--version` with and without the V8 code cache, and bare node. */
export async function coldStart(): Promise<{ cli: number; cliNoCache: number; node: number }> {
  const cli: number[] = [];
  const cliNoCache: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < COLD_START_RUNS; i++) {
    for (const [args, into, env] of [
      [[DIST, '--version'], cli, {}],
      [[DIST, '--version'], cliNoCache, { NODE_DISABLE_COMPILE_CACHE: '1' }],
      [['-e', '0'], node, {}],
    ] as const) {
      const t = performance.now();
      mustOk(await run(process.execPath, args, { timeoutMs: 10_000, env }), `node ${args.join(' ')}`);
      into.push(performance.now() - t);
    }
  }
  return { cli: median(cli), cliNoCache: median(cliNoCache), node: median(node) };
}
