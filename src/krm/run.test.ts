import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { ok } from '../errors/errors.js';
import type { Resolver } from '../resolve/types.js';
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
});
