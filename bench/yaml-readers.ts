/**
 * In-process micro-benchmark of the YAML readers on the bench's inputs (the 2,000- and 20,000-
 * Deployment bundles, an argo-cd-install.yaml-shaped input): the reader notary-pin uses
 * (`parseInput`, with a `resources` sink that picks nothing from each resource and counts what is
 * handed out, as the KRM function's collector keeps only the image uses), the `yaml` Document
 * reader alone (`parseInput` with yamlPath `full`), and `yaml`'s streaming Parser + Composer with a
 * LineCounter (one document at a time, each read to JS and handed out). Every sample is a fresh
 * process: `cold` is its first parse (what a CLI run pays; wall and CPU time), `warm` the median of
 * later parses, `peak RSS` the process's maximum resident set after one parse.
 * `--before DIR` adds the reader of another checkout (e.g. a `git worktree` of the commit before
 * a change), so before and after are measured in the same session. Samples are interleaved (one of
 * each reader per round), so the drift of a shared machine hits every reader alike. Prints medians
 * over the samples as a Markdown table. The `yaml` Document reader is skipped on inputs over 5 MB.
 *
 *   node --import tsx bench/yaml-readers.ts [--samples N] [--readers a,b] [--inputs x,y] [--before DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Composer, LineCounter, Parser } from 'yaml';
import { parseInput, parsePathOf, type ResourceSink } from '../src/manifest/read.js';
import { argoLikeInstall, deploymentBundle } from './inputs.js';

const IMAGES = Array.from({ length: 200 }, (_, i) => ({ reference: `registry.bench.local:5000/team-${i % 50}/app:v${i % 4}` }));
const INPUTS: Record<string, () => string> = {
  'bundle-2000': () => deploymentBundle(IMAGES, 2000),
  'bundle-20000': () => deploymentBundle(IMAGES, 20000),
  'argo-like-install': () => argoLikeInstall('quay.io/argoproj/argocd:v2.9.3'),
};

type Reader = (text: string, onResource: (o: Record<string, unknown>, i: number) => void) => string | void;
type ParseInput = typeof parseInput;
/** A sink that picks nothing from a resource and calls `onResource` (which counts) as each is taken. */
const sinkOf = (onResource: (o: Record<string, unknown>, i: number) => void): ResourceSink<undefined> => ({ pick: () => undefined, take: (_p, i) => onResource({}, i) });
const BEFORE = 'notary-pin before (parseInput of --before)';
const READERS: Record<string, Reader> = {
  'notary-pin (parseInput)': (text, onResource) => parsePathOf(parseInput(text, { resources: sinkOf(onResource) })),
  'yaml Documents (parseInput full)': (text, onResource) => void parseInput(text, { yamlPath: 'full', resources: sinkOf(onResource) }),
  'yaml Parser+Composer stream': (text, onResource) => {
    const lineCounter = new LineCounter();
    const composer = new Composer({ merge: true, uniqueKeys: true, strict: true, lineCounter });
    let i = 0;
    for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text), true)) {
      if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error(`document ${i + 1}: ${(doc.errors[0] ?? doc.warnings[0])!.message}`);
      const o = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
      if (o !== null) onResource(o, i++);
    }
  },
};

interface Sample {
  cold: number;
  /** CPU time (user + system) of the cold parse: less sensitive than wall time to other jobs on the machine. */
  coldCpu: number;
  warm: number;
  rssMiB: number;
  /** The path notary-pin's reader took (fast / full). */
  path?: string;
}

async function child(reader: string, input: string, warmRuns: number, before: string | undefined): Promise<void> {
  const text = INPUTS[input]!();
  let read = READERS[reader];
  if (reader === BEFORE) {
    // the reader module is read.ts since the split of io.ts
    const file = ['src/manifest/read.ts', 'src/manifest/io.ts'].map((f) => join(before as string, f)).find((f) => existsSync(f)) as string;
    const io = (await import(pathToFileURL(file).href)) as { parseInput: ParseInput; parsePathOf: typeof parsePathOf };
    read = (t, onResource) => io.parsePathOf(io.parseInput(t, { onResource }));
  }
  let count = 0;
  const onResource = (): void => void count++;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const path = (read as Reader)(text, onResource);
  const cold = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const coldCpu = (cpu.user + cpu.system) / 1000;
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  const warm: number[] = [];
  for (let i = 0; i < warmRuns; i++) {
    const t = performance.now();
    (read as Reader)(text, onResource);
    warm.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify({ cold, coldCpu, warm: median(warm), rssMiB, count, path }));
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function sample(reader: string, input: string, warmRuns: number, before: string | undefined): Sample {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', reader, input, String(warmRuns), before ?? ''];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${reader} on ${input}: exit ${r.status}: ${r.stderr.slice(-1000)}`);
  return JSON.parse(r.stdout) as Sample;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2]!, Number(args[3]), args[4] || undefined);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const samples = Number(opt('--samples') ?? 5);
  const before = opt('--before') !== undefined ? resolve(opt('--before') as string) : undefined;
  const all = [...(before !== undefined ? [BEFORE] : []), ...Object.keys(READERS)];
  const readers = opt('--readers')?.split(',').map((r) => all.find((k) => k.startsWith(r))!) ?? all;
  const inputs = opt('--inputs')?.split(',') ?? Object.keys(INPUTS);
  console.log(`| input | reader | path | cold parse (median of ${samples}) | cold parse CPU | warm parse | peak RSS |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const input of inputs) {
    const size = INPUTS[input]!().length;
    const big = size > 5_000_000;
    const here = readers.filter((r) => !(big && r.startsWith('yaml Documents')));
    const got = new Map<string, Sample[]>(here.map((r) => [r, []]));
    for (let i = 0; i < samples; i++) for (const reader of here) got.get(reader)!.push(sample(reader, input, big ? 1 : 3, before));
    for (const reader of here) {
      const xs = got.get(reader)!;
      const m = (f: (s: Sample) => number): string => median(xs.map(f)).toFixed(0);
      const path = [...new Set(xs.map((s) => s.path ?? '-'))].join('/');
      console.log(`| ${input} (${(size / 1e6).toFixed(1)} MB) | ${reader} | ${path} | ${m((s) => s.cold)} ms | ${m((s) => s.coldCpu)} ms | ${m((s) => s.warm)} ms | ${m((s) => s.rssMiB)} MiB |`);
    }
  }
}

await main();
