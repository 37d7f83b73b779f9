/**
 * The bad-input corpus (testdata/bad-input): hostile or broken inputs each fail with a clear,
 * coded message, exit code 1, and lose nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PinError, err } from '../src/errors/errors.js';
import { DEFAULT_MAX_INPUT, runKrm } from '../src/krm/run.js';
import type { Resolver } from '../src/engine/port.js';

const dir = join(import.meta.dirname, '..', 'testdata', 'bad-input');
const expected = parseYaml(readFileSync(join(dir, 'expected.yaml'), 'utf8')) as Record<string, { code: string; stdout: 'empty' | 'unchanged' }>;

/** Every image in this corpus must fail before resolution; a resolver call would be a bug. */
const neverCalled: Resolver = {
  resolve: async () => err(new PinError({ code: 'INTERNAL', message: 'resolver must not be called for bad input' })),
};

const run = (input: string | Uint8Array, maxBytes = DEFAULT_MAX_INPUT) => runKrm(input, { resolverFor: () => neverCalled, maxBytes });

describe('bad-input corpus', () => {
  const files = readdirSync(dir).filter((f) => f !== 'expected.yaml');

  it('has at least 20 cases, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const file of files) {
    it(`${file} fails cleanly`, async () => {
      const exp = expected[file]!;
      const bytes = readFileSync(join(dir, file));
      const input = bytes.toString('utf8');
      const result = await run(bytes);
      expect(result.exitCode).toBe(1);
      const text = result.stderr.join('\n');
      expect(text).toContain(exp.code);
      // a clear message, not a stack trace
      expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
      // hostile control characters never reach the terminal raw
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      if (exp.stdout === 'empty') {
        expect(result.stdout).toBe('');
      } else {
        // every input item comes back unchanged, plus results
        const inDoc = parseYaml(input) as { items: unknown[] };
        const outDoc = parseYaml(result.stdout) as { items: unknown[]; results: Array<{ severity: string; tags?: { code?: string } }> };
        expect(outDoc.items).toEqual(inDoc.items);
        expect(outDoc.results.some((r) => r.severity === 'error' && r.tags?.code === exp.code)).toBe(true);
        // and for YAML input the text is byte-identical: the results are only appended
        if (!file.endsWith('.json')) expect(result.stdout.startsWith(input.trimEnd())).toBe(true);
      }
    });
  }

  it('does not pollute Object.prototype', async () => {
    await run(readFileSync(join(dir, 'proto-pollution.json'), 'utf8'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a 50 MB input with INPUT_TOO_LARGE before parsing it', async () => {
    const item = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n---\n';
    const input = item.repeat(Math.ceil((50 * 1024 * 1024) / item.length));
    const result = await run(input);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.join('\n')).toContain('INPUT_TOO_LARGE');
    expect(result.stderr.join('\n')).toContain('--max-input-bytes');
  });
});
