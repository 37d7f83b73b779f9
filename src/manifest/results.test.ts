import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderBlock, yamlScalar } from './results.js';

describe('yamlScalar', () => {
  it('writes plain only what reads back as the same string in YAML 1.1 and 1.2', () => {
    for (const s of ['info', 'spec.template.spec.containers[0].image', 'a/b', 'targets/releases', 'pinned nginx:1.25']) expect(yamlScalar(s)).toBe(s);
    for (const s of ['true', 'No', 'on', 'null', '~', '1.0', '0x1f', '', ' x', 'a: b', 'a #b', '-x', '@x', '*x', '&x', '!x', '%x', 'x\ny', 'é', '\u2028']) {
      const text = yamlScalar(s);
      expect(parse(`k: ${text}`).k).toBe(s);
      expect(parse(`k: ${text}`, { version: '1.1' }).k).toBe(s);
      expect(text).not.toMatch(/[\n\r\u2028\u2029]/);
    }
  });

  it('round-trips random strings, including every control and line-break character', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = [...'abc:#-@&*!|>\'"%{}[],? \t\\/.'].concat(Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), ['\u0085', '\u2028', '\u2029', '\ufeff', 'ü', '😀']);
    for (let n = 0; n < 2000; n++) {
      const s = Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const p = (n % 2 === 0 ? 'k' : 'x') + s; // also strings starting with a letter, which may be written plain
      for (const v of [s, p]) {
        expect(parse(`k: ${yamlScalar(v)}`).k).toBe(v);
        expect(parse(`k: ${yamlScalar(v)}\nz: 1`, { version: '1.1' }).k).toBe(v);
      }
    }
  });

  it('writes numbers, booleans and null as JSON', () => {
    expect(yamlScalar(3)).toBe('3');
    expect(yamlScalar(false)).toBe('false');
    expect(yamlScalar(null)).toBe('null');
  });
});

describe('renderBlock', () => {
  const results = [
    {
      message: 'registry.example.com/app:1.0: pinned to sha256:abc (signed by targets/releases)',
      severity: 'info',
      resourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
      field: { path: 'spec.template.spec.containers[0].image', currentValue: 'app:1.0', proposedValue: 'app:1.0@sha256:abc' },
      file: { path: 'apps/web.yaml', index: 0 },
      tags: { outcome: 'pinned', role: 'targets/releases' },
    },
    { message: 'x', severity: 'error', field: { path: 'a', currentValue: 42 }, tags: {} },
    { message: 'list', severity: 'warning', field: { path: 'b', currentValue: [1, 'two', { three: 3 }] } },
  ];

  it('reads back as the same data, with and without indented sequences', () => {
    for (const indentSeq of [false, true]) {
      const text = renderBlock('results', results, indentSeq).join('\n');
      expect(parse(text)).toEqual({ results });
      expect(text.split('\n')[1]).toBe(indentSeq ? '  - message: "registry.example.com/app:1.0: pinned to sha256:abc (signed by targets/releases)"' : '- message: "registry.example.com/app:1.0: pinned to sha256:abc (signed by targets/releases)"');
    }
  });

  it('nests mappings in block style', () => {
    expect(renderBlock('results', [{ message: 'm', resourceRef: { kind: 'Pod' } }], false)).toEqual([
      'results:',
      '- message: m',
      '  resourceRef:',
      '    kind: Pod',
    ]);
  });
});

describe('scalarReadsBack (the local check of a surgical edit)', () => {
  it('accepts image references, plain or quoted', async () => {
    const { scalarReadsBack } = await import('./write.js');
    const v = 'registry.example.com:5000/a/b:1.0@sha256:' + 'a'.repeat(64);
    expect(scalarReadsBack(v, v)).toBe(true);
    expect(scalarReadsBack(JSON.stringify(v), v)).toBe(true);
    expect(scalarReadsBack(`'${v}'`, v)).toBe(true);
    expect(scalarReadsBack(`"${v}"\n\n`, v)).toBe(true); // a block scalar's replacement keeps its line breaks
  });

  it('rejects replacements that would not read back as the one intended string', async () => {
    const { scalarReadsBack } = await import('./write.js');
    expect(scalarReadsBack('a: b', 'a: b')).toBe(false); // a mapping, not a scalar
    expect(scalarReadsBack('x #c', 'x #c')).toBe(false); // a comment
    expect(scalarReadsBack('x, y', 'x, y')).toBe(false); // two items in flow context
    expect(scalarReadsBack('yes', 'yes')).toBe(false); // a boolean in YAML 1.1
    expect(scalarReadsBack('"a\nb"', 'a b')).toBe(false); // a line break inside
    expect(scalarReadsBack('nginx', 'redis')).toBe(false);
    expect(scalarReadsBack('[a]', '[a]')).toBe(false);
  });

  it('proves plain digest-pinned references without a parse, and the parse agrees on generated values', async () => {
    const { readsBackByParse } = await import('./write.js');
    const { isProvablyPlainPinned, isSafePlain } = await import('./rewrite.js');
    const hex = (n: number) => Array.from({ length: 64 }, (_, i) => '0123456789abcdef'[(n * 7 + i * 13) % 16]).join('');
    const chars = 'abcxyzABZ0129._/:@-';
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let proven = 0;
    for (let i = 0; i < 400; i++) {
      const len = 1 + rnd(24);
      let name = 'abcXYZ019'[rnd(9)]!;
      for (let j = 1; j < len; j++) name += chars[rnd(chars.length)];
      const v = `${name}@sha256:${hex(i)}`;
      if (!isProvablyPlainPinned(v)) continue;
      proven++;
      expect(readsBackByParse(v, v), v).toBe(true);
      expect(isSafePlain(v), v).toBe(true);
    }
    expect(proven).toBeGreaterThan(300);
    for (const v of ['-a@sha256:' + hex(1), 'a b@sha256:' + hex(1), 'a@sha256:' + hex(1).toUpperCase(), 'a@sha256:' + hex(1) + ':', 'a#b@sha256:' + hex(1), 'a,b@sha256:' + hex(1), 'nginx:1.0']) {
      expect(isProvablyPlainPinned(v), v).toBe(false);
    }
  });
});
