/**
 * Golden tests: every directory under testdata/ has an input.yaml; each string image the walker
 * finds (and that is not pinned yet) is pinned to `<image>@sha256:<sha256 of the image string>`,
 * then the output must equal expected.yaml byte for byte, and the walker's findings images.txt.
 * Optional: results.json (results to write into a ResourceList), config.json ({imageFields}).
 * Regenerate with UPDATE_GOLDEN=1 (and review the diff!).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ImageField } from '../config/schema.js';
import { parseInput } from './read.js';
import { serialize } from './write.js';
import type { KrmResult } from './manifest.js';
import { findImages } from '../workload/find.js';

const dir = fileURLToPath(new URL('./testdata/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

export const pinned = (image: string): string => `${image}@sha256:${createHash('sha256').update(image).digest('hex')}`;

/** Text of each document of a stream (a document owns everything up to its end). */
function docTexts(text: string): string[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  let start = 0;
  return docs.map((d, i) => {
    const end = i === docs.length - 1 ? text.length : d.range[2];
    const s = text.slice(start, end);
    start = end;
    return s;
  });
}

function golden(file: string, actual: string): void {
  if (update || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const cases = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'input.yaml')))
  .map((d) => d.name);

describe('golden manifests', () => {
  it('has the expected cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(13);
  });

  for (const name of cases) {
    it(name, () => {
      const base = join(dir, name);
      const input = readFileSync(join(base, 'input.yaml'), 'utf8');
      const cfgFile = join(base, 'config.json');
      const extra: ImageField[] = existsSync(cfgFile) ? (JSON.parse(readFileSync(cfgFile, 'utf8')) as { imageFields: ImageField[] }).imageFields : [];
      const resFile = join(base, 'results.json');
      const results = existsSync(resFile) ? (JSON.parse(readFileSync(resFile, 'utf8')) as KrmResult[]) : undefined;

      const model = parseInput(input);
      // Unchanged model → the exact input.
      expect(serialize(model)).toBe(input);

      const found: string[] = [];
      for (const item of model.items) {
        for (const loc of findImages(item.object, extra)) {
          found.push(`${item.index} ${item.ref.kind}/${item.ref.name} ${loc.field} ${loc.kind} ${loc.container ?? loc.volume ?? '-'} ${JSON.stringify(loc.value)}`);
          if (loc.kind !== 'unchecked' && typeof loc.value === 'string' && !loc.value.includes('@')) item.setImage(loc.path, pinned(loc.value));
        }
      }
      const out = serialize(model, results);
      golden(join(base, 'images.txt'), found.join('\n') + '\n');
      golden(join(base, 'expected.yaml'), out);

      // The output reads back with the pinned values and no image left unpinned.
      const again = parseInput(out);
      expect(again.items.length).toBe(model.items.length);
      for (const item of again.items) {
        for (const loc of findImages(item.object, extra)) {
          if (loc.kind !== 'unchecked' && typeof loc.value === 'string') expect(loc.value).toContain('@sha256:');
        }
      }
      // Documents whose resource did not change are byte-identical.
      if (model.form === 'stream') {
        const before = docTexts(input);
        const after = docTexts(out);
        expect(after.length).toBe(before.length);
        const changedDocs = new Set(model.items.filter((i) => i.changed).map((i) => i.docIndex));
        before.forEach((text, i) => {
          if (!changedDocs.has(i)) expect(after[i]).toBe(text);
        });
      }
      // Serialising twice gives the same text, and the full read-back check (the whole output parsed
      // again and compared with the input) agrees with the default local check.
      expect(serialize(model, results)).toBe(out);
      expect(serialize(model, results, { verify: 'full' })).toBe(out);
    });
  }
});
