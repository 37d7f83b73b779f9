import { describe, expect, it } from 'vitest';
import { PinError } from '../errors/errors.js';
import { parseInput, serialize } from './io.js';
import { fileOf } from '../workload/ref.js';
import { findImages } from '../workload/find.js';

const D = 'sha256:' + 'd'.repeat(64);

function fails(input: string | Uint8Array, opts = {}): PinError {
  try {
    parseInput(input, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    const pe = e as PinError;
    expect(pe.hint).toBeTruthy();
    expect(pe.message).not.toMatch(/\n\s+at /); // no stack trace in the message
    return pe;
  }
  throw new Error('expected parseInput to fail');
}

const pod = (name: string, image = 'nginx:1.25') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;

describe('parseInput: forms', () => {
  it('an empty input (or only comments) is a valid empty stream', () => {
    for (const text of ['', '\n\n', '# only a comment\n']) {
      const m = parseInput(text);
      expect(m.form).toBe('stream');
      expect(m.items).toHaveLength(0);
      expect(serialize(m)).toBe(text);
    }
  });

  it('reads a stream and keeps null documents', () => {
    const text = `---\n${pod('a')}---\n---\n~\n---\n${pod('b')}`;
    const m = parseInput(text);
    expect(m.form).toBe('stream');
    expect(m.documentCount).toBe(4);
    expect(m.items.map((i) => [i.index, i.docIndex, i.ref.name])).toEqual([
      [0, 0, 'a'],
      [1, 3, 'b'],
    ]);
    m.items[1]?.setImage(['spec', 'containers', 0, 'image'], `nginx:1.25@${D}`);
    const out = serialize(m);
    expect(out).toBe(text.replace(/image: nginx:1.25\n$/, `image: nginx:1.25@${D}\n`));
    expect(out.startsWith(`---\n${pod('a')}---\n---\n~\n---\n`)).toBe(true);
  });

  it('reads a ResourceList (v1 and v1alpha1) with functionConfig and existing results', () => {
    for (const v of ['config.kubernetes.io/v1', 'config.kubernetes.io/v1alpha1']) {
      const text = `apiVersion: ${v}\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: ns}\nfunctionConfig:\n  apiVersion: notary-pin.dev/v1alpha1\n  kind: NotaryPin\n  spec: {mode: verify}\nresults:\n- message: old\n`;
      const m = parseInput(text);
      expect(m.form).toBe('resourceList');
      expect(m.apiVersion).toBe(v);
      expect(m.functionConfig).toEqual({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: { mode: 'verify' } });
      expect(m.existingResults).toEqual([{ message: 'old' }]);
      expect(m.items[0]?.ref).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'ns' });
      expect(serialize(m)).toBe(text);
    }
  });

  it('a ResourceList without items, or with items: null, is empty', () => {
    for (const items of ['', 'items:\n', 'items: ~\n', 'items: []\n']) {
      const m = parseInput(`apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n${items}`);
      expect(m.form).toBe('resourceList');
      expect(m.items).toHaveLength(0);
      expect(m.functionConfig).toBeUndefined();
    }
  });

  it('a ResourceList may be surrounded by null documents', () => {
    const m = parseInput('---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\n');
    expect(m.form).toBe('resourceList');
  });

  it('accepts UTF-8 bytes, keeping a BOM', () => {
    const text = '\uFEFF' + pod('bom');
    const m = parseInput(new TextEncoder().encode(text));
    expect(m.items[0]?.ref.name).toBe('bom');
    m.items[0]?.setImage(['spec', 'containers', 0, 'image'], `x@${D}`);
    expect(serialize(m)).toBe(text.replace('nginx:1.25', `x@${D}`));
  });

  it('applies merge keys (an image can not hide behind <<)', () => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nx-base: &base {name: c, image: "nginx:1"}\nspec:\n  containers:\n  - <<: *base\n    name: c2\n`;
    const m = parseInput(text);
    const item = m.items[0]!;
    const locs = findImages(item.object);
    expect(locs.map((l) => [l.field, l.container, l.value])).toEqual([
      ['spec.containers[0].image', 'c2', 'nginx:1'],
      ['x-base.image', undefined, 'nginx:1'], // reported as unchecked: nothing declares x-base
    ]);
    expect(locs[1]?.kind).toBe('unchecked');
    item.setImage(locs[0]!.path, `nginx:1@${D}`);
    expect(serialize(m)).toBe(text.replace('"nginx:1"', `"nginx:1@${D}"`));
  });
});

describe('parseInput: errors', () => {
  it('rejects text that is not YAML, with line and column', () => {
    const e = fails('apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n');
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/document 1 is not valid YAML: .*line \d+, column \d+/);
  });

  it('rejects duplicate keys', () => {
    const e = fails('apiVersion: v1\nkind: Pod\nkind: Service\n');
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/unique.*line 3, column 1/);
    expect(e.hint).toMatch(/duplicate key/);
  });

  it('rejects YAML warnings too (unknown tags)', () => {
    const e = fails('apiVersion: v1\nkind: !custom Pod\n');
    expect(e.message).toMatch(/Unresolved tag: !custom/);
  });

  it('names the document with the problem', () => {
    const e = fails(`${pod('ok')}---\na: [1\n`);
    expect(e.message).toMatch(/^document 2 /);
  });

  it('rejects documents that are scalars or lists', () => {
    expect(fails('just a string\n').message).toMatch(/document 1 at line 1, column 1 is a scalar \("just a string"\), not a mapping/);
    expect(fails(`${pod('a')}---\n- a\n- b\n`).message).toMatch(/document 2 at line \d+, column \d+ is a list, not a mapping/);
    expect(fails('[{"apiVersion": "v1", "kind": "Pod"}]').message).toMatch(/is a list/);
    expect(fails('--- 42\n').message).toMatch(/is a scalar/);
  });

  it('rejects resources without apiVersion or kind, naming index and name', () => {
    expect(fails('apiVersion: v1\nmetadata: {name: nokind}\n').message).toBe('document 1 at line 1, column 1 (name "nokind") has no kind');
    expect(fails(`${pod('a')}---\nkind: Pod\nmetadata: {name: noapi}\n`).message).toMatch(/^document 2 .*\(name "noapi"\) has no apiVersion/);
    expect(fails('apiVersion: v1\nkind: 7\n').message).toMatch(/has an invalid kind/);
    const rl = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n- apiVersion: v1\n  metadata:\n    name: second\n';
    expect(fails(rl).message).toMatch(/^ResourceList items\[1\] at line 6, column 3 \(name "second"\) has no kind$/);
  });

  it('rejects ResourceList items that are not a list, or items that are not mappings', () => {
    const head = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n';
    expect(fails(`${head}items: {a: 1}\n`).message).toBe('ResourceList items at line 3, column 8 is a mapping, not a list');
    expect(fails(`${head}items: nope\n`).message).toMatch(/not a list/);
    expect(fails(`${head}items:\n- just a string\n`).message).toMatch(/items\[0\].*is a scalar/);
  });

  it('rejects a ResourceList with the wrong apiVersion', () => {
    for (const v of ['v1', 'config.kubernetes.io/v2', 'kpt.dev/v1']) {
      const e = fails(`apiVersion: ${v}\nkind: ResourceList\nitems: []\n`);
      expect(e.message).toMatch(/ResourceList has apiVersion .*expected config.kubernetes.io\/v1 or config.kubernetes.io\/v1alpha1/);
    }
  });

  it('rejects a stream that mixes a ResourceList with other documents', () => {
    const e = fails(`apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\n${pod('a')}`);
    expect(e.message).toMatch(/mixes a ResourceList with 1 other document/);
  });

  it('rejects unknown and self-containing aliases', () => {
    expect(fails('apiVersion: v1\nkind: Pod\nspec: *nope\n').message).toMatch(/unknown alias \*nope/);
    expect(fails('apiVersion: v1\nkind: Pod\nspec: &a {x: *a}\n').message).toMatch(/inside its own anchor/);
  });

  it('rejects alias bombs (billion laughs) as INPUT_TOO_LARGE', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
    const start = Date.now();
    const e = fails(lines.join('\n') + '\n');
    expect(e.code).toBe('INPUT_TOO_LARGE');
    expect(e.message).toMatch(/aliases expand too much/);
    expect(Date.now() - start).toBeLessThan(2000);
    // a few honest aliases are fine, and the limit is configurable
    expect(parseInput('apiVersion: v1\nkind: ConfigMap\na: &a x\nb: *a\n').items).toHaveLength(1);
    expect(fails('apiVersion: v1\nkind: ConfigMap\na: &a [1, 2]\nb: *a\nc: *a\n', { maxAliasCount: 1 }).code).toBe('INPUT_TOO_LARGE');
  });

  it('rejects absurdly deep nesting as invalid, without crashing', () => {
    const n = 50_000;
    const e = fails(`apiVersion: v1\nkind: ConfigMap\ndata: ${'['.repeat(n)}${']'.repeat(n)}\n`);
    expect(e.code).toBe('INPUT_INVALID');
  });

  it('rejects invalid UTF-8 bytes', () => {
    expect(fails(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe])).message).toMatch(/not valid UTF-8/);
  });

  it('rejects input over maxBytes before parsing (string and bytes)', () => {
    const text = pod('x');
    expect(fails(text, { maxBytes: 10 }).code).toBe('INPUT_TOO_LARGE');
    expect(fails(new TextEncoder().encode(text), { maxBytes: 10 }).code).toBe('INPUT_TOO_LARGE');
    // multi-byte characters count as bytes, not characters
    const wide = `apiVersion: v1\nkind: ConfigMap\ndata: {k: "${'é'.repeat(20)}"}\n`;
    expect(parseInput(wide, { maxBytes: wide.length + 20 }).items).toHaveLength(1);
    expect(fails(wide, { maxBytes: wide.length + 19 }).code).toBe('INPUT_TOO_LARGE');
  });

  it('rejects a 50 MB input fast when the cap is lower', () => {
    const chunk = pod('big');
    const big = chunk.repeat(Math.ceil((50 * 1024 * 1024) / chunk.length));
    expect(big.length).toBeGreaterThanOrEqual(50 * 1024 * 1024);
    const start = performance.now();
    const e = fails(big, { maxBytes: 10 * 1024 * 1024 });
    expect(performance.now() - start).toBeLessThan(200);
    expect(e.code).toBe('INPUT_TOO_LARGE');
    expect(e.message).toMatch(/more than the limit of 10485760 bytes/);
    const bytes = new Uint8Array(50 * 1024 * 1024);
    const start2 = performance.now();
    expect(fails(bytes, { maxBytes: 1024 }).code).toBe('INPUT_TOO_LARGE');
    expect(performance.now() - start2).toBeLessThan(200);
  });
});

describe('large but allowed input', () => {
  it('parses and serialises 2,000 resources unchanged, and pins them surgically', () => {
    const docs: string[] = [];
    for (let i = 0; i < 2000; i++) {
      docs.push(
        i % 2 === 0
          ? `# resource ${i}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: "registry.example.com/app${i}:1.0" # app\n`
          : `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm${i}}\ndata: {k: v}\n`,
      );
    }
    const text = docs.join('---\n');
    const m = parseInput(text);
    expect(m.items).toHaveLength(2000);
    expect(serialize(m)).toBe(text);
    for (const item of m.items) for (const l of findImages(item.object)) item.setImage(l.path, `${String(l.value)}@${D}`);
    const out = serialize(m);
    expect(out).toBe(text.replace(/(image: "registry\.example\.com\/app\d+:1\.0)"/g, `$1@${D}"`));
    expect(parseInput(out).items).toHaveLength(2000);
  });
});

describe('serialize', () => {
  const rl = (extra = '') =>
    `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- ${pod('p').trimEnd().split('\n').join('\n  ')}\n${extra}`;

  it('ignores results for a stream', () => {
    const text = pod('a');
    expect(serialize(parseInput(text), [{ message: 'x' }])).toBe(text);
  });

  it('appends results to a ResourceList that had none, and replaces existing ones', () => {
    const m = parseInput(rl());
    expect(serialize(m, [{ message: 'hi', severity: 'info' }])).toBe(`${rl()}results:\n- message: hi\n  severity: info\n`);
    const withOld = parseInput(rl('results:\n- message: old\n'));
    expect(serialize(withOld, [{ message: 'new' }])).toBe(`${rl()}results:\n- message: new\n`);
    expect(serialize(withOld, [{ message: 'new' }], { resultsMode: 'append' })).toBe(`${rl()}results:\n- message: old\n- message: new\n`);
    expect(serialize(withOld, [])).toBe(`${rl()}results: []\n`);
  });

  it('adds a line break before appended results when the input has none at the end', () => {
    const text = rl().trimEnd();
    expect(serialize(parseInput(text), [{ message: 'm' }])).toBe(`${text}\nresults:\n- message: m\n`);
  });

  it('writes results with CRLF line breaks into a CRLF ResourceList', () => {
    const text = rl().replace(/\n/g, '\r\n');
    expect(serialize(parseInput(text), [{ message: 'm', tags: { a: 'b' } }])).toBe(`${text}results:\r\n- message: m\r\n  tags:\r\n    a: b\r\n`);
  });

  it('replaces results in a JSON (flow) ResourceList', () => {
    const text = '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "results": [{"message": "old"}]}';
    expect(serialize(parseInput(text), [{ message: 'new' }])).toBe(text.replace('[{"message": "old"}]', '[{"message":"new"}]'));
  });

  it('falls back to re-stringifying when a text edit does not read back right (explicit "? results" key)', () => {
    const text = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n? results\n: - message: old\n';
    const out = serialize(parseInput(text), [{ message: 'new' }]);
    expect(out).toBe('apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nresults:\n  - message: new\n');
  });

  it('rejects invalid results', () => {
    const m = parseInput(rl());
    expect(() => serialize(m, [{ message: 'x', severity: 'fatal' } as never])).toThrow(/not a valid KRM result/);
  });

  it('rejects a model that parseInput did not make', () => {
    expect(() => serialize({ form: 'stream', items: [], documentCount: 0, source: '' })).toThrow(PinError);
  });

  it('can re-stringify changed documents instead (fallback), keeping comments and leaving other documents alone', () => {
    const text = `# keep me\n${pod('a')}---\n# other\napiVersion: v1\nkind: ConfigMap\nmetadata: {name:   spaced}\n`;
    const m = parseInput(text);
    m.items[0]?.setImage(['spec', 'containers', 0, 'image'], `nginx:1.25@${D}`);
    const out = serialize(m, undefined, { strategy: 'restringify' });
    expect(out).toContain('# keep me\n');
    expect(out).toContain(`image: nginx:1.25@${D}\n`);
    expect(out.endsWith('---\n# other\napiVersion: v1\nkind: ConfigMap\nmetadata: {name:   spaced}\n')).toBe(true);
    const r = parseInput(rl('# foot\n'));
    r.items[0]?.setImage(['spec', 'containers', 0, 'image'], `nginx@${D}`);
    const rout = serialize(r, [{ message: 'm' }], { strategy: 'restringify' });
    const back = parseInput(rout);
    expect(findImages(back.items[0]?.object).map((l) => l.value)).toEqual([`nginx@${D}`]);
    expect(back.existingResults).toEqual([{ message: 'm' }]);
  });
});

describe('annotations', () => {
  it('works on items and leaves the annotations untouched in the output', () => {
    const text = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    annotations:\n      config.kubernetes.io/index: '3'\n      internal.config.kubernetes.io/path: "x/p.yaml"\n  spec:\n    containers: [{name: c, image: nginx}]\n`;
    const m = parseInput(text);
    const item = m.items[0]!;
    expect(fileOf(item)).toEqual({ path: 'x/p.yaml', index: 3 });
    item.setImage(['spec', 'containers', 0, 'image'], `nginx@${D}`);
    expect(serialize(m)).toBe(text.replace('image: nginx}', `image: nginx@${D}}`));
  });
});
