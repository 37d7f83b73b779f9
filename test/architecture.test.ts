/**
 * The layout's rules, checked on every import in src/: dependencies point one way
 * (cli → krm/webhook/demo → report → engine → workload, reference, config, errors), trust systems
 * implement the engine's port and are wired only in cli/, nothing imports cli/ or test code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Every relative import of every non-test source file, as `src/`-relative paths. */
const edges = sources(SRC).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((spec) => ({ from: relative(SRC, file), to: relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') }));
});

const area = (p: string): string => (p.startsWith('..') ? p.split('/').slice(0, 2).join('/') : p.startsWith('trust/') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0]!);

/** Areas each area must never import. */
const FORBIDDEN: Record<string, string[]> = {
  engine: ['trust/notary', 'trust/notation', 'registry', 'http', 'manifest', 'krm', 'webhook', 'report', 'demo'],
  workload: ['trust/notary', 'trust/notation', 'registry', 'http', 'manifest', 'engine', 'krm', 'webhook', 'report', 'demo'],
  manifest: ['trust/notary', 'trust/notation', 'registry', 'http', 'engine', 'krm', 'webhook', 'report', 'demo'],
  config: ['trust/notary', 'trust/notation', 'engine', 'manifest', 'krm', 'webhook', 'report', 'demo'],
  reference: ['trust/notary', 'trust/notation', 'registry', 'http', 'engine', 'manifest', 'workload', 'krm', 'webhook', 'report', 'demo', 'config'],
  errors: ['trust/notary', 'trust/notation', 'registry', 'http', 'engine', 'manifest', 'workload', 'krm', 'webhook', 'report', 'demo', 'config'],
  report: ['trust/notary', 'trust/notation', 'registry', 'http', 'krm', 'webhook', 'demo'],
  krm: ['trust/notary', 'trust/notation', 'registry', 'http', 'webhook', 'demo'],
  webhook: ['trust/notary', 'trust/notation', 'registry', 'http', 'krm', 'demo'],
  'trust/notary': ['trust/notation', 'engine/evaluate.ts', 'krm', 'webhook', 'report', 'manifest', 'demo'],
  'trust/notation': ['trust/notary', 'krm', 'webhook', 'report', 'manifest', 'demo'],
  registry: ['trust/notary', 'trust/notation', 'engine', 'krm', 'webhook', 'report', 'manifest', 'demo'],
  http: ['trust/notary', 'trust/notation', 'registry', 'engine', 'krm', 'webhook', 'report', 'manifest', 'demo'],
};

describe('architecture: imports point one way', () => {
  it('sees the imports', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: 'engine/evaluate.ts', to: 'engine/port.ts' });
  });
  it('nothing outside cli/ imports cli/', () => {
    expect(edges.filter((e) => area(e.to) === 'cli' && area(e.from) !== 'cli')).toEqual([]);
  });
  it('nothing in src/ imports test code', () => {
    expect(edges.filter((e) => e.to.startsWith('../test') || /(^|\/)testing\//.test(e.to))).toEqual([]);
  });
  it.each(Object.keys(FORBIDDEN))('%s imports none of the layers above it or beside it', (from) => {
    const bad = edges.filter((e) => area(e.from) === from && FORBIDDEN[from]!.some((f) => e.to === f || e.to.startsWith(`${f}/`) || (f.endsWith('.ts') && e.to === f)));
    expect(bad).toEqual([]);
  });
});
