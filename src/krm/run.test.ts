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
});
