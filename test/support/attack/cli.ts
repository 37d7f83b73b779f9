/**
 * Helpers for the end-to-end tests: the built CLI bundle (built once per test file into a temp
 * directory with the real build script, so the checkout's dist/ is never raced), running it as a
 * subprocess (bounded), and small ResourceList helpers.
 */
import { parse, parseAllDocuments } from 'yaml';
import { buildBundle, removeDir, tempDir } from '../../consumers/support.js';
import { run, type RunResult } from '../exec.js';

/** A bundle built from the current sources; `cleanup()` removes it. */
export interface Bundle {
  readonly file: string;
  /** Runs `node <bundle> ...args` with `input` on stdin (bounded, 60 s by default). */
  run(args: readonly string[], opts?: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<RunResult>;
  cleanup(): Promise<void>;
}

/** Builds dist/notary-pin.mjs from src/ into a temp directory with scripts/build.mjs. */
export async function buildCliBundle(): Promise<Bundle> {
  const dir = await tempDir('e2e-bundle');
  try {
    const file = await buildBundle(dir);
    return {
      file,
      run: (args, opts = {}) =>
        run(process.execPath, [file, ...args], {
          timeoutMs: opts.timeoutMs ?? 60_000,
          ...(opts.input !== undefined && { input: opts.input }),
          env: { NOTARY_PIN_DEBUG: '', ...opts.env },
          ...(opts.cwd !== undefined && { cwd: opts.cwd }),
        }),
      cleanup: () => removeDir(dir),
    };
  } catch (e) {
    await removeDir(dir);
    throw e;
  }
}

/** A parsed ResourceList (only what the tests look at). */
export interface ParsedList {
  apiVersion?: string;
  kind?: string;
  items: Record<string, any>[];
  functionConfig?: unknown;
  results?: KrmResultJson[];
}

/** A KRM result as serialised. */
export interface KrmResultJson {
  message: string;
  severity: 'error' | 'warning' | 'info';
  resourceRef?: { apiVersion?: string; kind?: string; name?: string; namespace?: string };
  field?: { path: string; currentValue?: unknown; proposedValue?: unknown };
  tags?: Record<string, string>;
}

/** Parses a ResourceList text (YAML or JSON). */
export function parseList(text: string): ParsedList {
  const v = parse(text) as ParsedList | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.items)) throw new Error(`not a ResourceList:\n${text.slice(0, 2000)}`);
  return v;
}

/** Parses a plain multi-document YAML stream into its objects. */
export function parseStream(text: string): Record<string, any>[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, any> | null)
    .filter((d): d is Record<string, any> => d !== null);
}

/** Error results only. */
export function errorsOf(list: ParsedList): KrmResultJson[] {
  return (list.results ?? []).filter((r) => r.severity === 'error');
}

/** Every value of a key named `image` anywhere in `obj`. */
export function imagesIn(obj: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'image' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(obj);
  return out;
}
