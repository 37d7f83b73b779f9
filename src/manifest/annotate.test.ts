import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PinError } from '../errors/errors.js';
import { parseInput } from './read.js';
import { serialize } from './write.js';

const KEY = 'notary-pin.dev/images';
const VALUE = '[{"path":"spec.image","ref":"x.io/a:1","signer":"O\'Reilly"}]';

/** Annotates item `i` (every item by default) and serialises, on both parse paths. */
function annotate(text: string, paths: ('fast' | 'full')[] = ['fast', 'full'], value = VALUE): string {
  const outs = paths.map((yamlPath) => {
    const m = parseInput(text, { yamlPath });
    for (const item of m.items) item.setAnnotation(KEY, value);
    return serialize(m);
  });
  for (const o of outs) expect(o).toBe(outs[0]);
  return outs[0]!;
}

const annotationsOf = (out: string): unknown[] =>
  parseAllDocuments(out).map((d) => (d.toJS() as { metadata?: { annotations?: Record<string, unknown> } }).metadata?.annotations?.[KEY]);

describe('setAnnotation (surgical insert)', () => {
  it('prepends to an existing block annotations mapping; every other byte is kept', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # the pod\n  annotations:\n    a: b # keep\nspec: {}\n';
    const out = annotate(text);
    expect(out).toBe(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # the pod\n  annotations:\n    ${KEY}: '${VALUE.replace("'", "''")}'\n    a: b # keep\nspec: {}\n`);
    expect(annotationsOf(out)).toEqual([VALUE]);
  });

  it('adds annotations (and metadata) when absent, at the right indentation, in a ResourceList too', () => {
    const text = [
      'apiVersion: config.kubernetes.io/v1',
      'kind: ResourceList',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata:',
      '    name: a',
      '- kind: Pod',
      '  apiVersion: v1',
      '',
    ].join('\n');
    const out = annotate(text);
    const items = (parse(out) as { items: { metadata: { name?: string; annotations: Record<string, string> } }[] }).items;
    expect(items.map((i) => i.metadata.annotations[KEY])).toEqual([VALUE, VALUE]);
    expect(items[0]!.metadata.name).toBe('a');
    expect(out.startsWith('apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    annotations:\n')).toBe(true);
    expect(out).toContain(`- metadata:\n    annotations:\n      ${KEY}: `);
  });

  it('writes JSON into flow mappings (JSON input stays JSON)', () => {
    const text = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {}}}\n';
    const out = annotate(text);
    expect(JSON.parse(out)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { [KEY]: VALUE } } });
    const noAnn = annotate('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}\n');
    expect(JSON.parse(noAnn).metadata).toEqual({ annotations: { [KEY]: VALUE }, name: 'p' });
  });

  it('replaces an existing value in its own style, and is a no-op when the value is the same (CRLF kept)', () => {
    const text = `apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  annotations:\r\n    ${KEY}: 'old' # c\r\n`;
    const once = annotate(text);
    expect(once).toBe(text.replace("'old'", `'${VALUE.replace("'", "''")}'`));
    expect(annotate(once)).toBe(once);
    const inserted = annotate('apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n');
    expect(inserted).toBe(`apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  annotations:\r\n    ${KEY}: '${VALUE.replace("'", "''")}'\r\n  name: p\r\n`);
    expect(annotate(inserted)).toBe(inserted);
  });

  it('leaves documents it does not annotate byte-identical', () => {
    const a = 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}   # flow\n';
    const b = 'apiVersion: v1\nkind: ConfigMap # untouched\nmetadata:\n  name: b\n';
    for (const yamlPath of ['fast', 'full'] as const) {
      const m = parseInput(`${a}---\n${b}`, { yamlPath });
      m.items[0]!.setAnnotation(KEY, VALUE);
      const out = serialize(m);
      expect(out.endsWith(`---\n${b}`)).toBe(true);
      expect(out.startsWith(`apiVersion: v1\nkind: Pod\nmetadata: {"annotations": {${JSON.stringify(KEY)}: ${JSON.stringify(VALUE)}}, name: a}   # flow\n---\n`)).toBe(true);
    }
  });

  it('refuses shared or merged mappings and non-ASCII values', () => {
    const cases = [
      'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: A, metadata: &m {name: a}}\n- {apiVersion: v1, kind: Pod, metadata: *m}\n',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: &a {k: v}\n',
      'apiVersion: v1\nkind: Pod\nbase: &b {name: a}\nmetadata:\n  <<: *b\n',
      'apiVersion: v1\nkind: Pod\nmetadata: null\n',
    ];
    for (const text of cases) {
      const m = parseInput(text, { yamlPath: 'full' });
      const item = m.items[m.items.length - 1]!;
      let error: unknown;
      try {
        item.setAnnotation(KEY, VALUE);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(PinError);
      expect((error as PinError).code).toBe('INPUT_INVALID');
    }
    const m = parseInput('apiVersion: v1\nkind: Pod\n');
    expect(() => m.items[0]!.setAnnotation(KEY, 'é')).toThrow(/printable ASCII/);
  });

  it('keeps image edits and an annotation insert in the same resource together', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x.io/a:1 # pin me\n';
    for (const yamlPath of ['fast', 'full'] as const) {
      const m = parseInput(text, { yamlPath });
      m.items[0]!.setImage(['spec', 'containers', 0, 'image'], `x.io/a:1@sha256:${'1'.repeat(64)}`);
      m.items[0]!.setAnnotation(KEY, VALUE);
      expect(m.items[0]!.changed).toBe(true);
      const out = serialize(m);
      expect(out).toContain(`image: x.io/a:1@sha256:${'1'.repeat(64)} # pin me\n`);
      expect((m.items[0]!.object.metadata as { annotations: Record<string, string> }).annotations[KEY]).toBe(VALUE);
      expect(annotationsOf(out)).toEqual([VALUE]);
    }
  });
});

describe('setAnnotation: the insert is checked before anything is written', () => {
  it('an insert that would not read back as exactly the new entry is INTERNAL, not output', async () => {
    const { stateOf } = await import('./document-model.js');
    const m = parseInput('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n', { yamlPath: 'full' });
    m.items[0]!.setAnnotation(KEY, VALUE);
    const inserts = stateOf(m).docs[0]!.inserts;
    const [at, edit] = [...inserts][0]!;
    // the same entry, one level too shallow: valid YAML, wrong structure
    inserts.set(at, { ...edit, text: edit.text.replace('    ', '  ') });
    expect(() => serialize(m)).toThrow(/did not read back as intended/);
  });
});
