/**
 * kpt-style function test cases (testdata/<case>/): `resources.yaml` (the package), `fn-config.yaml`
 * (the function config) and `.expected/`:
 *   - `config.yaml`: `exitCode` and `stdErr` (substrings the summary must contain);
 *   - `diff.patch`: the unified diff the function makes to resources.yaml (empty when it fails);
 *   - `results.yaml`: the function's results.
 * Each case runs the real function over the vendored, signed trust data in testdata/_trust (offline
 * mode: the full TUF verification, no network). `UPDATE_EXPECTED=1` rewrites diff.patch and
 * results.yaml (review them!); exit codes and stdErr are written by hand.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { productionResolver } from '../src/cli/resolver.js';
import { runKrm } from '../src/krm/run.js';

const root = join(import.meta.dirname, '..', 'testdata');
const update = process.env.UPDATE_EXPECTED === '1';
const work = mkdtempSync(join(tmpdir(), 'np-testdata-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface CaseConfig {
  exitCode: number;
  stdErr?: string[];
}

/** `git diff --no-index` of the package before and after, with stable file names. */
function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return '';
  const a = join(work, `${name}.before.yaml`);
  const b = join(work, `${name}.after.yaml`);
  writeFileSync(a, before);
  writeFileSync(b, after);
  let out = '';
  try {
    execFileSync('git', ['diff', '--no-index', '--no-color', '--no-ext-diff', '-U3', a, b], { encoding: 'utf8', timeout: 10_000 });
  } catch (e) {
    out = (e as { stdout: string }).stdout; // exit 1 = differences
  }
  return out
    .split('\n')
    .filter((l) => !l.startsWith('index '))
    .join('\n')
    .replaceAll(`a${a}`, 'a/resources.yaml')
    .replaceAll(`b${b}`, 'b/resources.yaml')
    .replaceAll(a, 'resources.yaml')
    .replaceAll(b, 'resources.yaml');
}

const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'bad-input')
  .map((d) => d.name)
  .sort();

describe('testdata function cases', () => {
  it('has a case for every concern', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(root, name);
      const input = readFileSync(join(dir, 'resources.yaml'), 'utf8');
      const config = parseYaml(readFileSync(join(dir, '.expected', 'config.yaml'), 'utf8')) as CaseConfig;
      const result = await runKrm(input, { configFile: join(dir, 'fn-config.yaml'), resolverFor: (spec) => productionResolver(spec, {}) });

      expect(result.exitCode, result.stderr.join('\n')).toBe(config.exitCode);
      const stderr = result.stderr.join('\n');
      for (const s of config.stdErr ?? []) expect(stderr).toContain(s);

      const diff = unifiedDiff(name, input, result.stdout === '' ? input : result.stdout);
      // Goldens must not depend on where the checkout lives or on today's date.
      const results = stringify(result.results, { lineWidth: 0 })
        .replaceAll(root, '<testdata>')
        .replace(/expired \d+ (day|hour|minute|second)s? ago/g, 'expired <age> ago');
      const diffFile = join(dir, '.expected', 'diff.patch');
      const resultsFile = join(dir, '.expected', 'results.yaml');
      if (update || !existsSync(diffFile)) writeFileSync(diffFile, diff);
      if (update || !existsSync(resultsFile)) writeFileSync(resultsFile, results);
      expect(diff).toBe(readFileSync(diffFile, 'utf8'));
      expect(results).toBe(readFileSync(resultsFile, 'utf8'));
      if (config.exitCode !== 0) expect(result.stdout).toBe(''); // stream input: nothing written on failure
    });
  }
});
