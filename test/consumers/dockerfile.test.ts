/** The image notary-pin ships pins its own base images by digest, with the tag kept for reading. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../../src/reference/parse.js';
import { REPO_ROOT } from './support.js';

const froms = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')
  .split('\n')
  .filter((l) => /^FROM\s/i.test(l))
  .map((l) => l.trim().split(/\s+/)[1]!);

describe('Dockerfile base images', () => {
  it('has a build and a run stage', () => {
    expect(froms).toHaveLength(2);
  });
  it.each(froms)('%s is pinned by tag and digest, with no build argument in it', (image) => {
    expect(image).not.toContain('$');
    const ref = parseReference(image);
    expect(ref.tag, 'the tag stays for reading').toBeDefined();
    expect(ref.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
