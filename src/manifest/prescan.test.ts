import { describe, expect, it } from 'vitest';
import { prescanImages } from './prescan.js';

describe('prescanImages', () => {
  it('finds image values in block, flow, quoted and JSON forms, once each, in order', () => {
    const text = [
      'spec:',
      '  containers:',
      '  - name: a',
      '    image: nginx:1.25',
      '  - image: "ghcr.io/org/app:v1@sha256:' + 'a'.repeat(64) + '"',
      '  - {name: c, image: r.io/x/y:2}',
      "  - image: 'quoted:3'",
      '  - image: nginx:1.25 # again, with a comment',
      '{"spec": {"containers": [{"image": "json/img:4"}]}}',
      'metadata: {annotations: {not-an-image: "image: hidden:5"}}',
      'images: [a:1]',
      '  image:',
      '    reference: vol/img:6',
    ].join('\n');
    // `image: hidden:5` inside a quoted string is not a key: not found (finding it would only cost a fetch)
    expect(prescanImages(text)).toEqual(['nginx:1.25', `ghcr.io/org/app:v1@sha256:${'a'.repeat(64)}`, 'r.io/x/y:2', 'quoted:3', 'json/img:4']);
  });

  it('is bounded: at most max values, none longer than 512 characters, no blow-up on hostile text', () => {
    const many = Array.from({ length: 50 }, (_, i) => `image: img${i}:1`).join('\n');
    expect(prescanImages(many, 10)).toHaveLength(10);
    expect(prescanImages(`image: ${'x'.repeat(600)}`)).toEqual([]);
    // no backtracking blow-up: this finishes well inside the test timeout (a quadratic scan would not)
    expect(prescanImages('image:'.repeat(200_000))).toEqual([]);
    expect(prescanImages(`image: ${'a'.repeat(511)}#`.repeat(2_000), 5)).toEqual(['a'.repeat(511)]);
  });
});
