import { describe, expect, it } from 'vitest';
import { Scalar } from 'yaml';
import { PinError } from '../errors/errors.js';
import { parseInput, serialize } from './io.js';
import { isSafePlain, renderScalar, setImage } from './rewrite.js';
import { findImages } from '../workload/find.js';

const D = 'sha256:' + 'e'.repeat(64);
const scalar = (type: Scalar.Type) => Object.assign(new Scalar('x'), { type });

describe('isSafePlain', () => {
  it('accepts image references', () => {
    for (const v of ['nginx', 'nginx:1.25', `registry.example.com:5000/a/b:v1@${D}`, 'a_b-c.d/e+f']) expect(isSafePlain(v)).toBe(true);
  });
  it('rejects what would read back differently or break the YAML', () => {
    for (const v of ['', '123', '1.5', 'true', 'yes', 'off', 'null', '~', 'x: y', 'x #y', 'x,y', '[x]', '{x}', 'x:', '-x', '*x', '&x', '!x', '.inf', '0x1f', 'a\nb', "it's"]) {
      expect(isSafePlain(v), v).toBe(false);
    }
  });
});

describe('renderScalar', () => {
  it('keeps plain, single and double quoted styles', () => {
    expect(renderScalar(scalar(Scalar.PLAIN), 'nginx:1', 'x')).toBe('nginx:1');
    expect(renderScalar(scalar(Scalar.QUOTE_SINGLE), "it's", "'x'")).toBe("'it''s'");
    expect(renderScalar(scalar(Scalar.QUOTE_DOUBLE), 'a"b\\c', '"x"')).toBe('"a\\"b\\\\c"');
  });
  it('quotes plain scalars that can not stay plain, and single-quoted ones with control characters', () => {
    expect(renderScalar(scalar(Scalar.PLAIN), 'a: b', 'x')).toBe('"a: b"');
    expect(renderScalar(scalar(Scalar.PLAIN), '1.0', 'x')).toBe('"1.0"');
    expect(renderScalar(scalar(Scalar.QUOTE_SINGLE), 'a\nb', "'x'")).toBe('"a\\nb"');
  });
  it('turns block scalars into double-quoted ones, keeping the trailing line break', () => {
    expect(renderScalar(scalar(Scalar.BLOCK_LITERAL), 'n:1', '|-\n  x\n')).toBe('"n:1"\n');
    expect(renderScalar(scalar(Scalar.BLOCK_FOLDED), 'n:1', '>-\r\n  x\r\n')).toBe('"n:1"\r\n');
  });
});

describe('setImage', () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {shared: &img "nginx:1"}
spec:
  containers:
  - name: a
    image: *img
  - name: b
    image: nginx:1 # same value, separate scalar
  - name: c
    image: {not: a string}
  - name: d
    image: !!int 5
  - name: e
    image:
`;

  it('replaces only the scalar, updates the plain object and the changed flag', () => {
    const m = parseInput(text);
    const item = m.items[0]!;
    expect(item.changed).toBe(false);
    setImage(item, ['spec', 'containers', 1, 'image'], `nginx:1@${D}`);
    expect(item.changed).toBe(true);
    expect(findImages(item.object)[1]?.value).toBe(`nginx:1@${D}`);
    expect(serialize(m)).toBe(text.replace('image: nginx:1 #', `image: nginx:1@${D} #`));
  });

  it('setting the value a scalar already has changes nothing', () => {
    const m = parseInput(text);
    m.items[0]!.setImage(['spec', 'containers', 1, 'image'], 'nginx:1');
    expect(m.items[0]!.changed).toBe(false);
    expect(serialize(m)).toBe(text);
  });

  it('an alias edits its anchor: consistent for the same value, an error for a different one', () => {
    const m = parseInput(text);
    const item = m.items[0]!;
    item.setImage(['spec', 'containers', 0, 'image'], `nginx:1@${D}`);
    item.setImage(['metadata', 'annotations', 'shared'], `nginx:1@${D}`); // same scalar, same value: fine
    expect(() => item.setImage(['metadata', 'annotations', 'shared'], 'other')).toThrow(/alias of a scalar already set/);
    const out = serialize(m);
    expect(out).toBe(text.replace('&img "nginx:1"', `&img "nginx:1@${D}"`));
    expect(out).toContain('image: *img');
  });

  it('refuses to set non-scalars, tagged non-strings, missing and empty values', () => {
    const m = parseInput(text);
    const item = m.items[0]!;
    const err = (path: (string | number)[]): PinError => {
      try {
        item.setImage(path, 'x');
      } catch (e) {
        return e as PinError;
      }
      throw new Error('expected an error');
    };
    expect(err(['spec', 'containers', 2, 'image']).message).toMatch(/containers\[2\]\.image: it is not a scalar/);
    expect(err(['spec', 'containers', 3, 'image']).message).toMatch(/it is a number, not a string/);
    expect(err(['spec', 'containers', 9, 'image']).message).toMatch(/it is missing/);
    expect(err(['spec', 'containers', 4, 'image']).message).toMatch(/it is empty, not a string/);
    const e = err(['spec', 'containers', 2, 'image']);
    expect(e.resource).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'p' });
    expect(e.field).toBe('spec.containers[2].image');
    expect(serialize(m)).toBe(text);
  });

  it('edits through an aliased collection once, for every resource sharing it (ResourceList)', () => {
    const rl = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers: &ctrs
    - name: c
      image: nginx:1
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
  spec:
    containers: *ctrs
`;
    const m = parseInput(rl);
    for (const item of m.items) for (const l of findImages(item.object)) item.setImage(l.path, `nginx:1@${D}`);
    expect(serialize(m)).toBe(rl.replace('image: nginx:1\n', `image: nginx:1@${D}\n`));
  });

  it('quotes a plain value that would not survive unquoted', () => {
    const src = 'apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: x}]}\n';
    const m = parseInput(src);
    m.items[0]!.setImage(['spec', 'containers', 0, 'image'], 'a, b: c');
    const out = serialize(m);
    expect(out).toBe(src.replace('image: x}', 'image: "a, b: c"}'));
    expect(findImages(parseInput(out).items[0]!.object)[0]?.value).toBe('a, b: c');
  });
});
