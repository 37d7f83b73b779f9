/**
 * Differential tests of the indexed reader (indexed-reader.ts, position-index.ts) against the `yaml` Document path: for every
 * input, when the fast path builds a model it must equal the full model (items, objects, refs,
 * metadata) and give the same bytes after the same `setImage` calls and results, and the same errors.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PinError } from '../errors/errors.js';
import { fastStateOf, renderResults } from './indexed-reader.js';
import { frameAt, indexDocuments, type Frame } from './position-index.js';
import { foldWrappedPlain, yamlCoreValue } from './plain-scalar.js';
import { renderBlock } from './results.js';
import { createHash } from 'node:crypto';
import { parseInput, parsePathOf } from './read.js';
import { serialize } from './write.js';
import type { KrmResult, Manifest } from './manifest.js';
import { findImages } from '../workload/find.js';

const pinned = (image: string): string => `${image}@sha256:${createHash('sha256').update(image).digest('hex')}`;
const here = fileURLToPath(new URL('./', import.meta.url));
const repoTestdata = fileURLToPath(new URL('../../testdata/', import.meta.url));

const RESULTS: KrmResult[] = [
  { message: 'pinned', severity: 'info', resourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a' }, field: { path: 'spec.x', currentValue: 'a:1', proposedValue: 'a@sha256:00' } },
  { message: 'needs: quoting # here', tags: { 'notary-pin.dev/x': 'yes' } },
];

function snapshot(m: Manifest): unknown {
  return {
    form: m.form,
    documentCount: m.documentCount,
    apiVersion: m.apiVersion,
    functionConfig: m.functionConfig,
    existingResults: m.existingResults,
    hasFc: 'functionConfig' in m,
    hasExisting: 'existingResults' in m,
    items: m.items.map((i) => ({ index: i.index, docIndex: i.docIndex, object: i.object, ref: i.ref, changed: i.changed })),
  };
}

function pinAll(m: Manifest): void {
  for (const item of m.items) {
    for (const loc of findImages(item.object)) {
      if (typeof loc.value === 'string' && !loc.value.includes('@')) item.setImage(loc.path, pinned(loc.value));
    }
  }
}

/** Parse both ways and compare everything; returns the path the auto mode took. */
function differential(text: string | Uint8Array): 'fast' | 'full' | 'error' {
  let full: Manifest;
  try {
    full = parseInput(text, { yamlPath: 'full', maxBytes: 1e9 });
  } catch (e) {
    // Invalid input: the auto path must report exactly the same error.
    let err: unknown;
    try {
      parseInput(text, { yamlPath: 'auto', maxBytes: 1e9 });
    } catch (e2) {
      err = e2;
    }
    expect(err).toBeInstanceOf(PinError);
    expect((err as PinError).code).toBe((e as PinError).code);
    // a stack overflow's position depends on the stack depth left: compare its kind only
    const norm = (m: string): string => m.replace(/Maximum call stack size exceeded.*/, 'Maximum call stack size exceeded');
    expect(norm((err as PinError).message)).toBe(norm((e as PinError).message));
    return 'error';
  }
  const fast = parseInput(text, { yamlPath: 'auto', maxBytes: 1e9 });
  expect(parsePathOf(full)).toBe('full');
  expect(snapshot(fast)).toEqual(snapshot(full));
  // deep-equal is not enough for -0 / NaN: compare the JSON-ish texts with Object.is semantics too
  expect(fast.items.map((i) => i.object)).toStrictEqual(full.items.map((i) => i.object));
  expect(serialize(fast)).toBe(serialize(full));
  expect(serialize(fast, RESULTS)).toBe(serialize(full, RESULTS));
  pinAll(full);
  pinAll(fast);
  expect(snapshot(fast)).toEqual(snapshot(full));
  expect(serialize(fast)).toBe(serialize(full));
  const out = serialize(full, RESULTS);
  expect(serialize(fast, RESULTS)).toBe(out);
  expect(serialize(fast, RESULTS, { resultsMode: 'append' })).toBe(serialize(full, RESULTS, { resultsMode: 'append' }));
  expect(serialize(fast, RESULTS, { verify: 'full' })).toBe(out);
  visited(text, full);
  return parsePathOf(fast);
}

/**
 * `onResource` (called once per resource after the reader is chosen): the visited objects are the full
 * path's, each `item.object` read again lazily equals it too — whether materialised before or
 * after `setImage` — and the output is the same. `pinnedFull` has had `pinAll`.
 */
function visited(text: string | Uint8Array, pinnedFull: Manifest): void {
  const unpinned = parseInput(text, { yamlPath: 'full', maxBytes: 1e9 });
  for (const materialiseFirst of [false, true]) {
    const seen: Record<string, unknown>[] = [];
    const m = parseInput(text, {
      yamlPath: 'auto',
      maxBytes: 1e9,
      onResource: (o, i) => {
        expect(i).toBe(seen.length); // once per resource, in order: never again from index 0
        seen.push(structuredClone(o));
      },
    });
    expect(seen).toStrictEqual(unpinned.items.map((i) => i.object));
    if (materialiseFirst) expect(m.items.map((i) => i.object)).toStrictEqual(seen);
    // pin from the visited objects, as the KRM function does (no `item.object` read)
    m.items.forEach((item, n) => {
      for (const loc of findImages(seen[n])) {
        if (typeof loc.value === 'string' && !loc.value.includes('@')) item.setImage(loc.path, pinned(loc.value));
      }
    });
    expect(snapshot(m)).toEqual(snapshot(pinnedFull));
    expect(m.items.map((i) => i.object)).toStrictEqual(pinnedFull.items.map((i) => i.object));
    expect(serialize(m)).toBe(serialize(pinnedFull));
    expect(serialize(m, RESULTS)).toBe(serialize(pinnedFull, RESULTS));
  }
}

/** Generated bundle: n Deployments with comments, quoted images and flow maps (like /tmp/prof/gen.mjs). */
export function bundle(n: number, opts: { resourceList?: boolean; indentSeq?: boolean } = {}): string {
  const rl = opts.resourceList ?? true;
  const d = opts.indentSeq ? '  ' : '';
  let out = rl ? 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n' : '';
  for (let i = 0; i < n; i++) {
    const img = `registry.example.com/team${i % 50}/app${i % 4}:1.${i % 4}`;
    const body = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i} # the name
  namespace: ns-${i % 10}
  annotations:
    config.kubernetes.io/path: 'apps/app-${i}.yaml'
    note: "it's \\"quoted\\" \\u00e9"
spec:
  replicas: ${i % 3}
  paused: ${i % 2 === 0 ? 'false' : 'true'}
  selector:
    matchLabels: {app: app-${i}, "tier": 'web'}
  template:
    metadata:
      labels: {app: app-${i}}
    spec:
      containers:
      ${d}- name: main
      ${d}  image: ${img} # main image
      ${d}  ports:
      ${d}  - containerPort: 8080
      ${d}  env:
      ${d}  - {name: A, value: "1"}
      ${d}  - name: B
      ${d}    value: '${i % 5 === 0 ? '' : 'x'}'
      ${d}- name: side
      ${d}  image: "registry.example.com/team${(i + 7) % 50}/side:2.0"
      ${d}- {name: flow, image: 'registry.example.com/flow:${i % 3}', args: [a, "b", 'c']}
      initContainers: [{"name": "init", "image": "busybox:1.36"}]
`;
    out += rl ? body.replace(/^(?=.)/gm, '  ').replace(/^  /, '- ') : `${i === 0 ? '' : '---\n'}${body}`;
  }
  if (rl) out += 'functionConfig:\n  apiVersion: notary-pin.dev/v1alpha1\n  kind: NotaryPin\n  spec:\n    exclude: ["**"]\n# trailing comment\n';
  return out;
}

describe('fast path: differential against the yaml path', () => {
  const goldens = readdirSync(join(here, 'testdata'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(here, 'testdata', d.name, 'input.yaml')))
    .map((d) => d.name);
  // Golden cases the fast path must take (the others use anchors, tags, block scalars, `...`).
  const mustBeFast = new Set(['comments', 'extrafields', 'flow', 'json-resourcelist', 'json-stream', 'kinds', 'list', 'resourcelist', 'untouched']);

  for (const name of goldens) {
    it(`golden ${name}`, () => {
      const path = differential(readFileSync(join(here, 'testdata', name, 'input.yaml'), 'utf8'));
      if (mustBeFast.has(name)) expect(path).toBe('fast');
    });
  }

  const repoCases = existsSync(repoTestdata) ? readdirSync(repoTestdata).filter((d) => existsSync(join(repoTestdata, d, 'resources.yaml'))) : [];
  it('has the repository testdata cases', () => {
    expect(repoCases.length).toBeGreaterThan(5);
  });
  for (const name of repoCases) {
    it(`testdata ${name}`, () => {
      const path = differential(readFileSync(join(repoTestdata, name, 'resources.yaml'), 'utf8'));
      if (name !== 'anchors-and-flow') expect(path).toBe('fast');
    });
  }

  it('bad-input corpus: same errors, or the same model', () => {
    const dir = join(repoTestdata, 'bad-input');
    for (const f of readdirSync(dir).filter((x) => /\.(ya?ml|json)$/.test(x) && x !== 'expected.yaml')) {
      differential(readFileSync(join(dir, f)));
    }
  });

  it('generated ResourceList of 2,000 Deployments (comments, quoted images, flow maps)', () => {
    expect(differential(bundle(2000))).toBe('fast');
  });
  it('generated bundle with indented block sequences', () => {
    expect(differential(bundle(50, { indentSeq: true }))).toBe('fast');
  });
  it('generated multi-document stream', () => {
    expect(differential(bundle(200, { resourceList: false }))).toBe('fast');
  });
  it('CRLF bundle and bundle without a final line break', () => {
    expect(differential(bundle(20).replace(/\n/g, '\r\n'))).toBe('fast');
    expect(differential(bundle(20).replace(/\n# trailing comment\n$/, ''))).toBe('fast');
    expect(differential(bundle(20, { resourceList: false }).replace(/\n$/, ''))).toBe('fast');
  });
});

describe('fast path: edge inputs agree or fall back', () => {
  const dep = (image: string, extra = '') => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: ${image}\n${extra}`;
  const rl = (body: string, tail = '') => `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${body.replace(/^(?=.)/gm, '  ').replace(/^  /, '- ')}${tail}`;
  const cases: Record<string, string> = {
    plain: dep('nginx:1.25'),
    numbers: dep('nginx', 'data:\n  a: -.5\n  b: 0o17\n  c: 1_000\n  d: 0b11\n  e: .inf\n  f: -0\n  g: 0x1F\n  h: 1e3\n  i: 017\n  j: +12\n  k: .NaN\n  l: 12345678901234567890\n  m: 1.\n  n: ~\n  o: Null\n  p: yes\n  q: TRUE\n  r:\n'),
    numericImage: dep('1.5'),
    nullImage: dep('null'),
    emptyImage: dep("''"),
    mapImage: dep('{a: 1}'),
    keys: dep('nginx', 'data:\n  1: a\n  "2": b\n  true: c\n  ~: d\n'),
    merge: dep('nginx', 'base: &b {x: 1}\nother:\n  <<: *b\n'),
    quotedMergeKey: dep('nginx', 'data:\n  "<<": 1\n'),
    proto: dep('nginx', 'data:\n  __proto__: {polluted: true}\n'),
    multilinePlain: dep('nginx:1.25\n          continued'),
    multilineQuoted: dep('"nginx:1.25\n          continued"'),
    escapes: dep('"ngin\\x78:1.25"'),
    jsonEscapes: dep('"ngin\\u0078:1.25"'),
    singleQuotes: dep("'it''s:1'"),
    commentAfter: dep('nginx:1.25    # comment'),
    commentLines: dep('\n          # comment\n          nginx:1.25'),
    valueOnNextLine: dep('\n          nginx:1.25'),
    flowKeyNoValue: dep('nginx', 'data: {a, b: 1}\n'),
    flowPairInSeq: dep('nginx', 'data: [a: 1]\n'),
    emptySeqEntry: dep('nginx', 'data:\n-\n- a\n'),
    emptyValues: dep('nginx', 'data:\n  a:\n  b:\n    # c\n  c: 1\nz:\n'),
    nullDocs: `---\n${dep('nginx')}---\n`,
    leadingMarker: `# c\n---\n${dep('nginx')}`,
    markerComment: `--- # c\n${dep('nginx')}`,
    docEnd: `${dep('nginx')}...\n`,
    scalarDoc: 'hello\n',
    listDoc: '- a\n',
    empty: '',
    commentsOnly: '# nothing\n',
    tabs: dep('nginx', 'data:\n  a:\tb\n'),
    bom: `\ufeff${dep('nginx')}`,
    longKey: dep('nginx', `data:\n  ${'k'.repeat(1100)}: v\n`),
    duplicateKeys: dep('nginx', 'data:\n  a: 1\n  a: 2\n'),
    noKind: 'apiVersion: v1\nmetadata: {}\n',
    flowUnderIndented: dep('nginx', 'data: [1,\n2]\n'),
    explicitKey: dep('nginx', 'data:\n  ? a\n  : b\n'),
    rl: rl(dep('nginx:1.25')),
    rlExistingResults: rl(dep('nginx:1.25'), 'results:\n- message: old\n'),
    rlEmptyResults: rl(dep('nginx:1.25'), 'results: []\nfunctionConfig: {}\n'),
    rlTrailingIndentedComment: rl(dep('nginx:1.25'), '  # indented\n\n# col 0\n'),
    rlTrailingQuotedMultiline: rl(dep('nginx:1.25'), 'functionConfig:\n  x: "a\n    # not a comment"\n'),
    rlFlowLast: rl(dep('nginx:1.25'), 'functionConfig: {a: [1,\n    2]}  # c\n'),
    rlNoItems: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n',
    rlNullItems: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n',
    rlItemsMap: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {}\n',
    rlBadVersion: 'apiVersion: v1\nkind: ResourceList\nitems: []\n',
    rlMixed: `${rl(dep('nginx'))}---\n${dep('nginx')}`,
    rlJson: JSON.stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'nginx' }] } }] }, null, 2),
    rlIndentedSeq: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  - apiVersion: v1\n    kind: Pod\n    spec:\n      containers:\n        - image: nginx\n',
    unsafeReplacement: dep('"a,b"'),
    controlChars: dep('"a\\u0001b"'),
    nonAsciiLineBreak: dep('nginx', 'data: "a\u2028b"\n'),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      differential(text);
    });
  }

  it('takes the fast path for plain inputs and falls back for anchors, tags, block scalars', () => {
    expect(differential(cases.plain as string)).toBe('fast');
    expect(differential(cases.rl as string)).toBe('fast');
    expect(differential(cases.rlJson as string)).toBe('fast');
    expect(differential(cases.merge as string)).toBe('full');
    expect(differential(dep('!!str nginx'))).toBe('full');
    // a block scalar image: the fast path reads it, and setImage escalates (see 'block scalars' below)
    expect(differential(dep('|-\n          nginx'))).toBe('fast');
    expect(differential(cases.numbers as string)).toBe('full'); // 1_000, 0b11, -.5: js-yaml reads them differently
  });

  it('setImage errors on a fast model are the full model errors', () => {
    for (const image of ['1.5', 'null', '{a: 1}', '[a]', "''"]) {
      const text = dep(image);
      const errOf = (m: Manifest): PinError => {
        try {
          (m.items[0] as Manifest['items'][0]).setImage(['spec', 'template', 'spec', 'containers', 0, 'image'], 'x:1');
        } catch (e) {
          return e as PinError;
        }
        return undefined as never;
      };
      const f = errOf(parseInput(text, { yamlPath: 'auto' }));
      const g = errOf(parseInput(text, { yamlPath: 'full' }));
      if (g === undefined) {
        expect(f).toBeUndefined();
        continue;
      }
      expect(f).toBeInstanceOf(PinError);
      expect({ code: f.code, message: f.message }).toEqual({ code: g.code, message: g.message });
    }
    const m = parseInput(dep('nginx'), { yamlPath: 'fast' });
    expect(parsePathOf(m)).toBe('fast');
    expect(() => (m.items[0] as Manifest['items'][0]).setImage(['spec', 'nope'], 'x')).toThrow(/missing/);
    expect(() => (m.items[0] as Manifest['items'][0]).setImage(['spec', 'template'], 'x')).toThrow(/not a scalar/);
  });

  it('honours yamlPath: full and NOTARY_PIN_YAML_PATH', () => {
    expect(parsePathOf(parseInput(cases.plain as string, { yamlPath: 'full' }))).toBe('full');
    const before = process.env.NOTARY_PIN_YAML_PATH;
    try {
      process.env.NOTARY_PIN_YAML_PATH = 'full';
      expect(parsePathOf(parseInput(cases.plain as string))).toBe('full');
      process.env.NOTARY_PIN_YAML_PATH = 'auto';
      expect(parsePathOf(parseInput(cases.plain as string))).toBe('fast');
    } finally {
      if (before === undefined) delete process.env.NOTARY_PIN_YAML_PATH;
      else process.env.NOTARY_PIN_YAML_PATH = before;
    }
  });
});

describe('fast path: plain scalars wrapped over several lines', () => {
  const dep = (image: string, extra = '') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  annotations:\n    note: a long note\n      wrapped over\n\n      three lines\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: ${image}\n${extra}`;
  const crd = (wrapped: string) =>
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        description: ${wrapped}\n        type: object\n`;

  it('are read by the fast path (stream, ResourceList, with onResource) and agree with the yaml path', () => {
    const text = `${dep('nginx:1.25')}---\n${crd('Application is a definition\n          of Application resource.\n\n\n          Second paragraph - with dashes.')}`;
    expect(differential(text)).toBe('fast');
    const seen: unknown[] = [];
    const m = parseInput(text, { onResource: (o) => seen.push(o) });
    expect(parsePathOf(m)).toBe('fast');
    expect(seen).toEqual(parseInput(text, { yamlPath: 'full' }).items.map((i) => i.object));
    expect((seen[0] as { metadata: { annotations: { note: string } } }).metadata.annotations.note).toBe('a long note wrapped over\nthree lines');
    const list = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${dep('nginx:1.25').replace(/^(?=.)/gm, '  ').replace(/^  /, '- ')}`;
    expect(differential(list)).toBe('fast');
  });

  it('a wrapped image is never edited by the fast model: setImage escalates and matches the full path', () => {
    expect(differential(dep('registry.example.com/a\n          b:1'))).toBe('fast');
    expect(differential(crd('a\n          b # a comment after the scalar'))).toBe('fast');
    const m = parseInput(dep('nginx\n          1.25'));
    expect(m.items[0]!.object).toMatchObject({ spec: { template: { spec: { containers: [{ image: 'nginx 1.25' }] } } } });
    m.items[0]!.setImage(['spec', 'template', 'spec', 'containers', 0, 'image'], 'nginx:1.25@sha256:' + '0'.repeat(64));
    expect(fastStateOf(m)?.escalated).toBeDefined();
  });

  it('falls back (and agrees) for what the fast reader does not read itself', () => {
    for (const wrapped of [
      'a\n          # comment\n          b', // comment line
      'a\n          - b', // continuation starting with an indicator
      'a\n          b: c', // `: ` inside
      'a\n          \'b\'', // quote at a line start
    ]) {
      const path = differential(crd(wrapped));
      expect(path === 'full' || path === 'error', wrapped).toBe(true);
    }
    expect(differential(`a: [x\n  y]\napiVersion: v1\nkind: ConfigMap\n`)).not.toBe('fast'); // flow context
    expect(foldWrappedPlain('a\n  b\n\n  c', 0)).toBe('a b\nc');
    expect(foldWrappedPlain('a\nb', 0)).toBeUndefined(); // not indented deeper than its first line
  });
});

describe('indexed reader helpers', () => {
  it('yamlCoreValue resolves like the yaml core schema', () => {
    expect(yamlCoreValue('')).toBeNull();
    expect(yamlCoreValue('~')).toBeNull();
    expect(yamlCoreValue('True')).toBe(true);
    expect(yamlCoreValue('0o17')).toBe(15);
    expect(yamlCoreValue('0x1F')).toBe(31);
    expect(yamlCoreValue('-.5')).toBe(-0.5);
    expect(yamlCoreValue('1e3')).toBe(1000);
    expect(Number.isNaN(yamlCoreValue('.nan'))).toBe(true);
    expect(typeof yamlCoreValue('1_000')).toBe('symbol');
    expect(typeof yamlCoreValue('yes')).toBe('symbol');
    expect(typeof yamlCoreValue('nginx')).toBe('symbol');
  });
  it('indexDocuments gives exact scalar ranges', () => {
    const text = 'a: x  # c\nb: "q\\"r"\nc: [ \'s\' , t ]\nd:\n  - u\n';
    const idx = indexDocuments(text);
    expect(idx).toBeDefined();
    const root = idx!.roots[0]!;
    const ranges = root.vals!.map((v) => text.slice(v!.contentFrom, v!.contentTo));
    expect(ranges.slice(0, 3)).toEqual(['x', '"q\\"r"', "[ 's' , t ]"]);
    expect(root.vals![3]!.items!.map((f) => text.slice(f.contentFrom, f.contentTo))).toEqual(['u']);
    expect(root.vals![2]!.items!.map((f) => text.slice(f.contentFrom, f.contentTo))).toEqual(["'s'", 't']);
  });
});

describe('fast path: compact index (memory)', () => {
  const items = (root: Frame): Frame[] => frameAt(root, ['items'])?.items ?? [];
  const image = ['spec', 'template', 'spec', 'containers', 0, 'image'];

  it('keeps frames only for the roots and their children; items keep just their string scalars', () => {
    const text = bundle(3);
    const idx = indexDocuments(text)!;
    const root = idx.roots[0]!;
    expect(root.keys).toEqual(['apiVersion', 'kind', 'items', 'functionConfig']);
    const its = items(root);
    expect(its).toHaveLength(3);
    for (const it of its) {
      expect(it.packed).toBeDefined();
      expect(it.keys).toBeUndefined();
      expect(it.vals).toBeUndefined();
    }
    // 24 string scalars per item (values, not keys), 1 in functionConfig.spec: nothing else is kept
    expect(idx.table.length).toBe(3 * 24 + 1);
    const f = frameAt(its[1]!, image)!;
    expect(text.slice(f.contentFrom, f.contentTo)).toBe('registry.example.com/team1/app1:1.1');
    expect(f.value).toBe('registry.example.com/team1/app1:1.1');
    const side = frameAt(its[1]!, ['spec', 'template', 'spec', 'containers', 1, 'image'])!;
    expect([text.slice(side.contentFrom, side.contentTo), side.style, side.value]).toEqual(['"registry.example.com/team8/side:2.0"', 2, 'registry.example.com/team8/side:2.0']);
    const note = frameAt(its[0]!, ['metadata', 'annotations', 'note'])!;
    expect(note.value).toBe('it\'s "quoted" \u00e9');
    const empty = frameAt(its[0]!, ['spec', 'template', 'spec', 'containers', 0, 'env', 1, 'value'])!;
    expect([text.slice(empty.contentFrom, empty.contentTo), empty.style, empty.value]).toEqual(["''", 1, '']);
    // not string scalars, or not there: the index can not say (setImage escalates)
    expect(frameAt(its[0]!, ['spec', 'replicas'])).toBeUndefined();
    expect(frameAt(its[0]!, ['spec', 'template'])).toBeUndefined();
    expect(frameAt(its[0]!, ['spec', 'template', 'spec', 'containers', '0', 'image'])).toBeUndefined();
    expect(frameAt(its[0]!, ['spec', 'nope'])).toBeUndefined();
    expect(frameAt(its[0]!, [])).toBe(its[0]);
  });

  it('finds the items of a JSON ResourceList (flow collections js-yaml wraps)', () => {
    const text = JSON.stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [{ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ image: 'a:1' }, { image: 'b:2' }] } }, { apiVersion: 'v1', kind: 'Pod' }] }, null, 1);
    const idx = indexDocuments(text)!;
    const root = idx.roots[0]!;
    expect(root.keys).toEqual(['apiVersion', 'kind', 'items']);
    const its = items(root);
    expect(its.map((f) => f.packed !== undefined)).toEqual([true, true]);
    expect(text.slice(frameAt(its[0]!, ['spec', 'containers', 1, 'image'])!.contentFrom, frameAt(its[0]!, ['spec', 'containers', 1, 'image'])!.contentTo)).toBe('"b:2"');
    const block = indexDocuments('apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{apiVersion: v1, kind: Pod, spec: {image: x}}]\n')!;
    const bi = items(block.roots[0]!);
    expect(bi).toHaveLength(1);
    expect(frameAt(bi[0]!, ['spec', 'image'])!.value).toBe('x');
  });

  it('compacts stream documents whole when asked', () => {
    const text = bundle(2, { resourceList: false });
    const idx = indexDocuments(text, { compactRoots: true })!;
    expect(idx.roots.map((r) => [r.packed !== undefined, r.keys])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    expect(idx.table.length).toBe(2 * 24);
    // packed once, with the root: no block of their own for spec.template and the like first
    expect(idx.table.paths).toHaveLength(24);
    expect(frameAt(idx.roots[1]!, image)!.value).toBe('registry.example.com/team1/app1:1.1');
    expect(frameAt(idx.roots[1]!, ['kind'])!.value).toBe('Deployment');
  });

  it('keys the table can not hold (NUL, \\u0001, empty) agree with the full path', () => {
    const doc = 'apiVersion: example.com/v1\nkind: App\nspec:\n  "a\\u0000b": {image: "x:1"}\n  "a\\u0001c": [\'y:1\']\n  "": {"": "z:1"}\n  a: {b: w}\n';
    const rl = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${doc.replace(/^(?=.)/gm, '  ').replace(/^  /, '- ')}`;
    for (const text of [doc, rl]) {
      const held = [['spec', '', ''], ['spec', 'a', 'b']];
      const notHeld = [['spec', 'a\u0000b', 'image'], ['spec', 'a\u0001c', 0]];
      const fast = parseInput(text, { yamlPath: 'auto' });
      const full = parseInput(text, { yamlPath: 'full' });
      expect(parsePathOf(fast)).toBe('fast');
      expect(fast.items[0]!.object).toEqual(full.items[0]!.object);
      const set = (m: Manifest, paths: (string | number)[][]) => {
        for (const p of paths) m.items[0]!.setImage(p, `${String(p[2])}@sha256:${'0'.repeat(64)}`);
      };
      set(fast, held);
      set(full, held);
      expect(fastStateOf(fast)!.escalated).toBeUndefined(); // found in the table
      expect(serialize(fast)).toBe(serialize(full));
      set(fast, notHeld);
      set(full, notHeld);
      expect(fastStateOf(fast)!.escalated).toBeDefined(); // not in the table: the full model did it
      expect(snapshot(fast)).toEqual(snapshot(full));
      expect(serialize(fast)).toBe(serialize(full));
      expect(serialize(fast, RESULTS)).toBe(serialize(full, RESULTS));
    }
  });

  it('an invalid result is the same error on both paths, whichever way serialize goes', () => {
    const text = bundle(3);
    const bad = [...RESULTS, { message: 'x', severity: 'fatal' } as never, { message: 1 } as never];
    for (const opts of [{}, { verify: 'full' as const }, { resultsMode: 'append' as const }, { strategy: 'restringify' as const }]) {
      const errOf = (m: Manifest): string => {
        try {
          serialize(m, bad, opts);
        } catch (e) {
          return `${(e as PinError).code}: ${(e as PinError).message}`;
        }
        return 'no error';
      };
      const fast = parseInput(text, { yamlPath: 'auto' });
      expect(parsePathOf(fast)).toBe('fast');
      const want = errOf(parseInput(text, { yamlPath: 'full' }));
      expect(want).toMatch(/^INTERNAL: result 2 is not a valid KRM result/);
      expect(errOf(fast)).toBe(want);
    }
  });

  it('renderResults writes what renderBlock writes', () => {
    const cases: unknown[][] = [[], RESULTS, [{}], [{ a: 1 }, {}, { b: [1, 'x'] }], [1, { a: 1 }], [[1], { a: 1 }]];
    for (const r of cases) {
      for (const indentSeq of [false, true]) {
        for (const [indent, eol] of [['', '\n'], ['  ', '\r\n']] as const) {
          const want = renderBlock('results', r, indentSeq).map((l) => indent + l).join(eol) + eol;
          expect(renderResults(r, indentSeq, indent, eol)).toBe(want);
          const mappings = r.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
          expect(renderResults({ length: r.length, entry: (i) => r[i], mappings }, indentSeq, indent, eol)).toBe(want);
        }
      }
    }
  });
});

describe('fast path: block scalars', () => {
  const image = ['spec', 'template', 'spec', 'containers', 0, 'image'];
  const toRl = (docs: string[], tail = 'functionConfig:\n  apiVersion: notary-pin.dev/v1alpha1\n  kind: NotaryPin\n') =>
    `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${docs.map((d) => d.replace(/^(?=.)/gm, '  ').replace(/^  /, '- ')).join('')}${tail}`;
  const toStream = (docs: string[]) => docs.join('---\n');
  const dep = (img: string, name = 'd') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: ${img}\n`;
  const cm = (data: string, name = 'c') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${data}`;
  const tricky = '    - image: x\n    ---\n    # not a comment\n      more: indented\n    key: value\n';
  const styles = ['|', '|-', '|+', '>', '>-', '>+', '|2', '|2-', '|-2', '>+2', '| # header comment'];
  const datas: Record<string, string> = {};
  for (const h of styles) {
    datas[`${h} middle`] = `  a: ${h}\n${tricky}\n\n  b: plain\n`;
    datas[`${h} last`] = `  a: x\n  b: ${h}\n${tricky}`;
    datas[`${h} last, trailing blank lines`] = `  b: ${h}\n${tricky}\n  \n\n`;
  }
  datas['folded more-indented lines'] = '  f: >\n    one\n    two\n\n      three\n    four\n  g: >-\n    a\n     b\n\n';
  datas['empty block scalars'] = '  a: |\n  b: >-\n  c: |+\n\n  d: x\n';
  datas['indentation indicator with leading spaces'] = '  a: |1\n     leading spaces\n    less\n  b: x\n';
  datas['block scalar in a sequence'] = '  list:\n  - |\n    one\n  - >-\n    two\n  -   |+\n    three\n\n';

  const texts = (): [string, string][] => {
    const out: [string, string][] = [];
    for (const [name, data] of Object.entries(datas)) {
      const docs = [cm(data), dep('nginx:1.25'), cm(data, 'c2')];
      out.push([`${name}: stream`, toStream(docs)]);
      out.push([`${name}: stream, block scalar document last, no final line break`, toStream([dep('nginx:1'), cm(data)]).replace(/\n$/, '')]);
      out.push([`${name}: ResourceList`, toRl(docs)]);
      out.push([`${name}: ResourceList, item last, no functionConfig`, toRl([dep('nginx:1'), cm(data)], '')]);
      out.push([`${name}: ResourceList, item last, indented sequence`, toRl([dep('nginx:1'), cm(data)]).replace(/^(?=[ -])/gm, '  ')]);
    }
    return out;
  };
  for (const [name, text] of texts()) {
    it(name, () => {
      expect(differential(text)).toBe('fast');
      expect(differential(text.replace(/\n/g, '\r\n'))).toBe('fast');
    });
  }

  it('reads block scalars like yaml does (spot check of the values)', () => {
    const text = toRl([cm('  a: |+\n    x\n\n\n  b: >-\n    p\n    q\n\n    r\n  c: |2\n     y\n')]);
    const m = parseInput(text, { yamlPath: 'auto' });
    expect(parsePathOf(m)).toBe('fast');
    expect(m.items[0]!.object.data).toEqual({ a: 'x\n\n\n', b: 'p q\nr', c: ' y\n' });
  });

  it('a block scalar image: the fast model escalates, and matches the full path', () => {
    for (const img of ['|-\n          nginx:1.25', '>\n          nginx:1.25', '|\n          nginx:1.25\n\n']) {
      for (const text of [dep(img), toRl([dep(img), cm('  a: |\n    x\n')]), toStream([cm('  a: |\n    x\n'), dep(img)])]) {
        expect(differential(text)).toBe('fast'); // read fast, then setImage escalated
        const m = parseInput(text, { yamlPath: 'auto' });
        const item = m.items.find((i) => i.object.kind === 'Deployment')!;
        item.setImage(image, 'nginx@sha256:' + '0'.repeat(64));
        expect(fastStateOf(m)!.escalated).toBeDefined();
        const full = parseInput(text, { yamlPath: 'full' });
        full.items.find((i) => i.object.kind === 'Deployment')!.setImage(image, 'nginx@sha256:' + '0'.repeat(64));
        expect(serialize(m)).toBe(serialize(full));
        expect(serialize(m, RESULTS)).toBe(serialize(full, RESULTS));
      }
    }
  });

  it('plain images next to block scalars are edited without escalating', () => {
    const text = toRl([cm('  a: |\n    - image: x\n'), dep('nginx:1.25'), cm('  z: |+\n    y\n\n')]);
    const m = parseInput(text, { yamlPath: 'auto' });
    pinAll(m);
    const out = serialize(m, RESULTS);
    expect(fastStateOf(m)!.escalated).toBeUndefined();
    const full = parseInput(text, { yamlPath: 'full' });
    pinAll(full);
    expect(out).toBe(serialize(full, RESULTS));
    expect(out).toContain(pinned('nginx:1.25'));
  });

  it('block scalars outside a resource, as keys, or with anchors and tags keep the full path', () => {
    const base = [dep('nginx:1')];
    expect(differential(toRl(base, 'functionConfig:\n  apiVersion: x/v1\n  kind: C\n  note: |\n    x\n'))).toBe('full');
    expect(differential(toRl(base, 'results:\n- message: |\n    old\n'))).toBe('full');
    expect(differential(`note: |\n  x\n${toRl(base).replace(/^/, '')}`)).toBe('full');
    expect(differential(cm('  ? |\n    k\n  : v\n'))).toBe('full');
    expect(differential(cm('  a: &x |\n    v\n  b: *x\n'))).toBe('full');
    expect(differential(cm('  a: !!str |\n    v\n'))).toBe('full');
  });

  it('a block scalar js-yaml reads differently from yaml: the full path', () => {
    // js-yaml keeps the last, space-only line of a `|+` scalar at the end of the input; yaml does not
    const text = cm('  b: |+\n    x\n  ').replace(/\n$/, '');
    expect(indexDocuments(text, { blockScalars: true })!.docs).toEqual([expect.objectContaining({ data: { b: 'x\n\n' } })]);
    expect(parseInput(text, { yamlPath: 'full' }).items[0]!.object.data).toEqual({ b: 'x\n' });
    expect(differential(text)).toBe('full');
    expect(differential(toRl([cm('  b: |+\n    x\n  ')], ''))).toBe('full');
  });

  it('odd block scalars agree or fall back', () => {
    for (const data of [
      '  a: |\n      \n    x\n', // a leading space-only line longer than the content
      '  a: |0\n    x\n',
      '  a: |10\n    x\n',
      '  a: |-+\n    x\n',
      '  a: |\n    x\n   # less indented comment\n    y\n',
      '  a: >\n\n    x\n\n\n',
      '  a: |\n  b: |\n',
      '  a: |\nb: top\n',
      '  a: |2\n    x\n   y\n',
    ]) {
      differential(cm(data));
      differential(toRl([cm(data), dep('nginx:1')]));
    }
  });

  it('indexDocuments rejects block scalars unless asked for them', () => {
    const text = cm('  a: |\n    x\n  b: y\n');
    expect(indexDocuments(text)).toBeUndefined();
    const idx = indexDocuments(text, { blockScalars: true })!;
    expect(idx.blocks).toEqual([{ doc: 0, at: text.indexOf('|') }]);
    expect(idx.lastIsBlock).toBe(false);
    expect(indexDocuments(cm('  a: |\n    x\n'), { blockScalars: true })!.lastIsBlock).toBe(true);
    const f = frameAt(idx.roots[0]!, ['data', 'a'])!;
    expect([f.style, f.value]).toEqual([3, 'x\n']); // not compacted: the frame keeps js-yaml's value
  });

  /** A bundle of n resources: Deployments and ConfigMaps with block scalars of every style. */
  const mixed = (n: number, rl: boolean): string => {
    const docs: string[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) docs.push(dep(`registry.example.com/team${i % 50}/app:1.${i % 4}`, `app-${i}`));
      else {
        const h = styles[i % styles.length] as string;
        docs.push(cm(`  config.yaml: ${h}\n    server:\n      port: ${8000 + i}\n    # - image: nope\n    ---\n  script.sh: |\n    #!/bin/sh\n    echo "${i}"\n\n  plain: value-${i}\n`, `cm-${i}`));
      }
    }
    return rl ? toRl(docs, 'functionConfig:\n  apiVersion: notary-pin.dev/v1alpha1\n  kind: NotaryPin\n  spec: {exclude: ["**"]}\n') : toStream(docs);
  };

  it('generated 2,000-resource bundle of Deployments and block-scalar ConfigMaps (ResourceList and stream)', () => {
    for (const rl of [true, false]) {
      const text = mixed(2000, rl);
      expect(differential(text)).toBe('fast');
      const m = parseInput(text, { yamlPath: 'auto' });
      expect(parsePathOf(m)).toBe('fast');
      pinAll(m);
      const out = serialize(m, RESULTS);
      expect(fastStateOf(m)!.escalated).toBeUndefined(); // the fast model did all of it
      const full = parseInput(text, { yamlPath: 'full' });
      pinAll(full);
      expect(out).toBe(serialize(full, RESULTS));
    }
  }, 60_000);
});

describe('fast path: onResource releases stream documents', () => {
  const stream = bundle(30, { resourceList: false });

  it('visits each document once, in order, and re-reads released ones on demand', () => {
    const seen: unknown[] = [];
    const m = parseInput(stream, { maxBytes: 1e9, onResource: (o, i) => (seen[i] = o) });
    expect(parsePathOf(m)).toBe('fast');
    expect(seen).toHaveLength(30);
    // released: the object is a fresh reading of the document's source, equal to what was visited
    expect(m.items[3]!.object).not.toBe(seen[3]);
    expect(m.items[3]!.object).toStrictEqual(seen[3]);
    expect(m.items[3]!.object).toBe(m.items[3]!.object);
  });

  it('a ResourceList keeps its items (the visitor gets the same objects)', () => {
    const seen: unknown[] = [];
    const m = parseInput(bundle(5), { maxBytes: 1e9, onResource: (o, i) => (seen[i] = o) });
    expect(m.items.map((i) => i.object)).toEqual(seen);
    expect(m.items[2]!.object).toBe(seen[2]);
  });

  it('hands each resource out once, after the path is chosen, when the LAST document makes the fast path give up', () => {
    // an anchor in the last document: the indexed reader refuses only when it reaches it
    const text = `${stream}---\napiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\ndata: {a: *m}\n`;
    const events: string[] = [];
    const objects: unknown[] = [];
    const m = parseInput(text, {
      maxBytes: 1e9,
      resources: {
        pick: (o, i) => (events.push(`pick ${i}`), o),
        take: (o, i) => (events.push(`take ${i}`), objects.push(o)),
      },
    });
    expect(parsePathOf(m)).toBe('full');
    const takes = events.filter((e) => e.startsWith('take'));
    expect(takes).toEqual(Array.from({ length: 31 }, (_, i) => `take ${i}`));
    // the fast path picked the first 30 and gave up; nothing was taken before every pick of the reader that read the input
    expect(events.indexOf('take 0')).toBe(events.lastIndexOf('pick 30') + 1);
    expect(events.filter((e) => e === 'pick 0')).toHaveLength(2);
    expect(objects).toStrictEqual(parseInput(text, { yamlPath: 'full', maxBytes: 1e9 }).items.map((i) => i.object));
    // onResource: called exactly once per resource, in order
    const calls: number[] = [];
    parseInput(text, { maxBytes: 1e9, onResource: (_o, i) => calls.push(i) });
    expect(calls).toEqual(Array.from({ length: 31 }, (_, i) => i));
  });

  it('hands nothing out when the input is invalid, however far the fast path read', () => {
    const taken: number[] = [];
    const picked: number[] = [];
    const sink = { pick: (_o: unknown, i: number) => picked.push(i), take: (_p: unknown, i: number) => taken.push(i) };
    for (const last of ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [}\n', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nmetadata: {name: y}\n', '- a list\n', 'kind: ResourceList\napiVersion: config.kubernetes.io/v1\n']) {
      picked.length = 0;
      expect(() => parseInput(`${stream}---\n${last}`, { maxBytes: 1e9, resources: sink })).toThrow(PinError);
      expect(picked.length).toBeGreaterThan(0); // the fast path read resources before it met the problem
    }
    expect(taken).toEqual([]);
  });

  it('a ResourceList: every item is picked first, then each is taken with what was picked from it', () => {
    const events: string[] = [];
    const m = parseInput(bundle(4), { maxBytes: 1e9, resources: { pick: (_o, i) => (events.push(`pick ${i}`), i * 10), take: (p, i) => events.push(`take ${i}=${String(p)}`) } });
    expect(parsePathOf(m)).toBe('fast');
    expect(events).toEqual(['pick 0', 'pick 1', 'pick 2', 'pick 3', 'take 0=0', 'take 1=10', 'take 2=20', 'take 3=30']);
  });

  it('re-reads indented roots, CRLF and kept trailing lines of a block scalar exactly', () => {
    const text = '  apiVersion: v1\r\n  kind: ConfigMap\r\n  metadata: {name: a}\r\n  data:\r\n    k: |+\r\n      x\r\n\r\n\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: b}\r\ndata:\r\n  k: >-\r\n    y\r\n    z\r\n';
    const full = parseInput(text, { yamlPath: 'full', maxBytes: 1e9 });
    const m = parseInput(text, { maxBytes: 1e9, onResource: () => undefined });
    expect(parsePathOf(m)).toBe('fast');
    expect(m.items.map((i) => i.object)).toStrictEqual(full.items.map((i) => i.object));
  });
});
