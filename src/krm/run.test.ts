import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { PinError, ok } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';
import { runKrm } from './run.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const spec = parseFunctionConfig({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: { trust: [{ images: ['**'], rootKeys: ['a'.repeat(64)] }] } });

/** Signs every tag, with a digest per tag. */
const resolver: Resolver = {
  resolve: async (ref) => ok({ digest: ref.tag === '2' ? D2 : D1, role: 'targets', gun: ref.repository }),
};

describe('runKrm', () => {
  it('pins a ResourceList and appends results', async () => {
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - {name: a, image: "x.io/a:1"} # keep me\n';
    const r = await runKrm(input, { resolverFor: () => resolver, spec });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`image: "x.io/a:1@${D1}"} # keep me`);
    expect(parse(r.stdout).results[0].tags.outcome).toBe('pinned');
  });

  it('rewrites a scalar shared through an anchor once', async () => {
    const input = [
      'apiVersion: config.kubernetes.io/v1',
      'kind: ResourceList',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata: {name: p}',
      '  spec:',
      '    containers:',
      '    - {name: a, image: &img "x.io/a:1"}',
      '    initContainers:',
      '    - {name: c, image: *img}',
      '',
    ].join('\n');
    const r = await runKrm(input, { resolverFor: () => resolver, spec });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`&img "x.io/a:1@${D1}"`);
    expect(r.stdout).toContain('image: *img');
  });

  it('collects images while a stream is parsed: same outcomes, results and files as from the objects', async () => {
    const doc = (i: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-long-deployment-name-${i}\n  annotations: {config.kubernetes.io/path: "apps/d${i}.yaml"}\n` +
      `spec:\n  template:\n    spec:\n      containers:\n      - {name: main, image: "x.io/a:${i % 2 === 0 ? 1 : 2}"}\n`;
    const input = [0, 1, 2, 3].map(doc).join('---\n');
    const r = await runKrm(input, { resolverFor: () => resolver, spec });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(input.replace(/x\.io\/a:1"/g, `x.io/a:1@${D1}"`).replace(/x\.io\/a:2"/g, `x.io/a:2@${D2}"`));
    expect(r.results.map((x) => [x.resourceRef?.name, x.file?.path, x.field?.path, x.field?.proposedValue])).toEqual(
      [0, 1, 2, 3].map((i) => [`a-long-deployment-name-${i}`, `apps/d${i}.yaml`, 'spec.template.spec.containers[0].image', `x.io/a:${i % 2 === 0 ? 1 : 2}@${i % 2 === 0 ? D1 : D2}`]),
    );
    // every result has its own resourceRef object
    expect(new Set(r.results.map((x) => x.resourceRef)).size).toBe(4);
  });

  describe('images go to the resolver only once the reader has accepted the input', () => {
    const doc = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n  - {name: a, image: "x.io/a${i}:1"}\n`;
    const counting = () => {
      const asked: string[] = [];
      const r: Resolver = { resolve: async (ref, rule) => (asked.push(ref.repository), resolver.resolve(ref, rule)) };
      return { asked, resolverFor: () => r };
    };

    it('a stream whose last document the indexed reader gives up on: each image is looked up once', async () => {
      // the anchor in the last document is met only after the others were read
      const input = `${[0, 1, 2].map(doc).join('---\n')}---\n${doc(3).replace('{name: p3}', '&m {name: p3}')}`;
      const { asked, resolverFor } = counting();
      const r = await runKrm(input, { resolverFor, spec });
      expect(r.exitCode).toBe(0);
      expect(asked.sort()).toEqual(['x.io/a0', 'x.io/a1', 'x.io/a2', 'x.io/a3']);
      expect(r.outcomes.map((o) => [o.use.resourceIndex, o.status])).toEqual([0, 1, 2, 3].map((i) => [i, 'pinned']));
    });

    it('a stream whose last document is invalid: nothing is looked up', async () => {
      const input = `${[0, 1, 2].map(doc).join('---\n')}---\n${doc(3)}metadata: {name: twice}\n`;
      const { asked, resolverFor } = counting();
      const r = await runKrm(input, { resolverFor, spec });
      expect(r.exitCode).toBe(1);
      expect(r.stderr.join('\n')).toMatch(/document 4 is not valid YAML: Map keys must be unique.*\[INPUT_INVALID\]/);
      await new Promise((done) => setTimeout(done, 20)); // a lookup started while reading would show by now
      expect(asked).toEqual([]);
    });
  });

  it('reports an input error before a config error, as before the config was read first', async () => {
    const r = await runKrm('a: [1\n', { resolverFor: () => resolver, configFile: '/nonexistent/notary-pin.yaml' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.join('\n')).toMatch(/\[INPUT_INVALID\]/);
    const c = await runKrm('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n', { resolverFor: () => resolver, configFile: '/nonexistent/notary-pin.yaml' });
    expect(c.exitCode).toBe(1);
    expect(c.stderr.join('\n')).toMatch(/\[CONFIG_INVALID\]/);
  });
});

describe('runKrm: trust state that cannot be stored fails the run', () => {
  it('a resolver whose close() fails (a TOFU/version write) leaves the ResourceList unchanged with the error', async () => {
    const { PinError } = await import('../errors/errors.js');
    const failing: Resolver = {
      resolve: resolver.resolve,
      close: async () => {
        throw new PinError({ code: 'CONFIG_INVALID', message: 'cannot write /c/tofu/x/versions.json: EACCES', hint: 'spec.cacheDir must be writable' });
      },
    };
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - {name: a, image: "x.io/a:1"}\n';
    for (const opts of [{ spec }, {}]) {
      const withConfig = opts.spec ? input : `${input}functionConfig: {apiVersion: notary-pin.dev/v1alpha1, kind: NotaryPin, spec: {trust: [{images: ["**"], rootKeys: ["${'a'.repeat(64)}"]}]}}\n`;
      const r = await runKrm(withConfig, { resolverFor: () => failing, ...opts });
      expect(r.exitCode).toBe(1);
      const out = parse(r.stdout);
      expect(out.items[0].spec.containers[0].image).toBe('x.io/a:1');
      expect(out.results.some((x: { message: string; tags?: { code?: string } }) => x.tags?.code === 'CONFIG_INVALID' && x.message.includes('EACCES'))).toBe(true);
      expect(r.stderr.join('\n')).toContain('spec.cacheDir must be writable');
    }
  });

  describe('trust data fetched before a large input is parsed (prefetchMinBytes)', () => {
    const input = [
      'apiVersion: config.kubernetes.io/v1',
      'kind: ResourceList',
      'items:',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata: {name: c}',
      '  data: {notes: "x"}',
      '  image: x.io/not-a-workload:9 # a hint only: no workload uses it',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata: {name: p}',
      '  spec:',
      '    containers:',
      '    - {name: a, image: "x.io/a:1"} # keep me',
      '    - name: b',
      '      image: x.io/b:2',
      '',
    ].join('\n');

    /** Records which images were asked for, and whether the input had been parsed by then. */
    const recording = () => {
      const asked: string[] = [];
      const r: Resolver = { resolve: async (ref) => (asked.push(`${ref.repository}:${ref.tag}`), ok({ digest: ref.tag === '2' ? D2 : D1, role: 'targets', gun: ref.repository })) };
      return { asked, r };
    };

    it('gives the same output and results as without it; only the parsed workloads decide', async () => {
      const off = recording();
      const on = recording();
      const a = await runKrm(input, { resolverFor: () => off.r, spec, prefetchMinBytes: Number.MAX_SAFE_INTEGER });
      const b = await runKrm(input, { resolverFor: () => on.r, spec, prefetchMinBytes: 0 });
      expect(b.exitCode).toBe(0);
      expect(b.stdout).toBe(a.stdout);
      expect(b.outcomes.map((o) => [o.use.image, o.status])).toEqual(a.outcomes.map((o) => [o.use.image, o.status]));
      expect(b.stdout).toContain(`image: "x.io/a:1@${D1}"} # keep me`);
      expect(b.stdout).toContain(`image: x.io/b:2@${D2}`);
      expect(b.stdout).toContain('image: x.io/not-a-workload:9 # a hint only');
      // without: only the workload's images; with: the hints first (the stray one too), then the workload's again
      expect(off.asked).toEqual(['x.io/a:1', 'x.io/b:2']);
      expect(on.asked.slice(0, 3)).toEqual(['x.io/not-a-workload:9', 'x.io/a:1', 'x.io/b:2']);
      expect(b.results.map((x) => x.tags?.outcome)).toEqual(a.results.map((x) => x.tags?.outcome));
    });

    it('a failure during the prefetch still fails the run the same way (nothing rewritten)', async () => {
      const failing: Resolver = { resolve: async (ref) => (ref.tag === '2' ? { ok: false, error: new PinError({ code: 'UNSIGNED', message: 'no trust data' }) } : ok({ digest: D1, role: 'targets', gun: ref.repository })) };
      const r = await runKrm(input, { resolverFor: () => failing, spec, prefetchMinBytes: 0 });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('image: "x.io/a:1"} # keep me');
      expect(r.stdout).toContain('image: x.io/b:2\n');
      expect(r.results.some((x) => x.severity === 'error' && x.tags?.code === 'UNSIGNED')).toBe(true);
    });
  });
});

describe('runKrm: enforcement', () => {
  const input =
    'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: dev-1}\n  spec:\n    containers:\n' +
    '    - {name: a, image: "x.io/a:1"}\n    - {name: b, image: "bad.io/b:1"}\n';
  const signsX: Resolver = {
    resolve: async (ref) =>
      ref.domain === 'x.io' ? ok({ digest: D1, role: 'targets', gun: ref.repository }) : { ok: false, error: new PinError({ code: 'UNSIGNED', message: 'tag 1 is not signed' }) },
  };
  const withEnforcement = (enforcement: string, namespaces?: string[]) =>
    parseFunctionConfig({
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: { trust: [{ name: 'dev', images: ['**'], rootKeys: ['a'.repeat(64)], enforcement, ...(namespaces ? { namespaces } : {}) }] },
    });

  it('warn: the failure is a warning result saying it was not enforced; the field is left as written and the others are pinned', async () => {
    const r = await runKrm(input, { resolverFor: () => signsX, spec: withEnforcement('warn') });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`image: "x.io/a:1@${D1}"`);
    expect(r.stdout).toContain('image: "bad.io/b:1"}');
    const results = parse(r.stdout).results;
    const b = results.find((x: any) => x.field.currentValue === 'bad.io/b:1');
    expect(b).toMatchObject({ severity: 'warning', tags: { code: 'UNSIGNED', outcome: 'not-enforced', enforcement: 'warn', rule: 'dev' } });
    expect(b.message).toBe('bad.io/b:1: NOT ENFORCED (enforcement: warn on rule dev): tag 1 is not signed');
    expect(b.field.proposedValue).toBeUndefined();
    expect([r.stderr].flat().join('\n')).toContain('1 failed but not enforced (warnings)');
  });

  it('audit as well; a rule for other namespaces does not apply, and enforce fails the run writing nothing', async () => {
    const audit = await runKrm(input, { resolverFor: () => signsX, spec: withEnforcement('audit') });
    expect(audit.exitCode).toBe(0);
    expect(parse(audit.stdout).results.find((x: any) => x.tags.enforcement === 'audit').severity).toBe('warning');
    const elsewhere = await runKrm(input, { resolverFor: () => signsX, spec: withEnforcement('warn', ['prod-*']) });
    expect(elsewhere.exitCode).toBe(1);
    expect(elsewhere.stdout).toContain('image: "x.io/a:1"}');
    const enforce = await runKrm(input, { resolverFor: () => signsX, spec: withEnforcement('enforce') });
    expect(enforce.exitCode).toBe(1);
    expect(enforce.stdout).toContain('image: "x.io/a:1"}');
  });
});

describe('runKrm: a failed run says its pins were not written', () => {
  const failing: Resolver = {
    resolve: async (ref) => (ref.tag === '2' ? { ok: false, error: new PinError({ code: 'UNSIGNED', message: 'no trust data' }) } : ok({ digest: D1, role: 'targets', gun: ref.repository })),
  };
  const pod = (image: string, name: string) => `- apiVersion: v1\n  kind: Pod\n  metadata: {name: ${name}}\n  spec:\n    containers:\n    - {name: a, image: "${image}"}\n`;

  it('ResourceList: the good image "would pin" in results and on stderr; nothing says "pinned"', async () => {
    const input = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${pod('x.io/a:1', 'good')}${pod('x.io/b:2', 'bad')}`;
    const r = await runKrm(input, { resolverFor: () => failing, spec });
    expect(r.exitCode).toBe(1);
    expect(parse(r.stdout).items[0].spec.containers[0].image).toBe('x.io/a:1');
    const good = r.results.find((x) => x.resourceRef?.name === 'good')!;
    expect(good.message).toBe(`x.io/a:1: would pin to ${D1} (signed by targets; not written: the run failed)`);
    expect(good.tags?.outcome).toBe('would-pin');
    expect(good.field?.proposedValue).toBe(`x.io/a:1@${D1}`);
    const text = r.stderr.join('\n');
    expect(text).toContain(`would pin x.io/a:1 -> x.io/a:1@${D1} (targets; not written: the run failed)`);
    expect(text).toContain('1 would pin (not written: the run failed), 0 verified, 0 excluded, 1 failed');
    expect(text).not.toMatch(/\bpinned\b/);
  });

  it('stream: nothing on stdout, and stderr says "would pin"', async () => {
    const stream = `apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers:\n  - {name: a, image: "x.io/a:1"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - {name: a, image: "x.io/b:2"}\n`;
    const r = await runKrm(stream, { resolverFor: () => failing, spec });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.join('\n')).toContain('would pin x.io/a:1');
    expect(r.stderr.join('\n')).not.toMatch(/\bpinned\b/);
  });

  it('a successful run still says "pinned"', async () => {
    const r = await runKrm(`apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${pod('x.io/a:1', 'good')}`, { resolverFor: () => failing, spec });
    expect(r.exitCode).toBe(0);
    expect(r.stderr.join('\n')).toContain(`pinned    x.io/a:1 -> x.io/a:1@${D1} (targets)`);
    expect(r.results[0]!.message).toBe(`x.io/a:1: pinned to ${D1} (signed by targets)`);
  });
});
