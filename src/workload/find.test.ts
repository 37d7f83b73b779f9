import { describe, expect, it } from 'vitest';
import { findImages } from './find.js';
import { apiGroup } from './kinds.js';
import { formatField, parseFieldPath } from './path.js';

const deploy = (spec: unknown) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec } } });

describe('formatField', () => {
  it('writes KRM field paths', () => {
    expect(formatField(['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('spec.template.spec.containers[0].image');
    expect(formatField(['items', 3, 'spec'])).toBe('items[3].spec');
    expect(formatField([])).toBe('');
  });
  it('brackets keys that are not identifiers', () => {
    expect(formatField(['metadata', 'annotations', 'example.com/image'])).toBe('metadata.annotations["example.com/image"]');
  });
});

describe('apiGroup / parseFieldPath', () => {
  it('splits apiVersion', () => {
    expect(apiGroup('v1')).toBe('');
    expect(apiGroup('apps/v1')).toBe('apps');
    expect(apiGroup('batch/v1beta1')).toBe('batch');
  });
  it('parses imageFields paths', () => {
    expect(parseFieldPath('spec.components[].image')).toEqual([
      { key: 'spec', each: false },
      { key: 'components', each: true },
      { key: 'image', each: false },
    ]);
  });
});

describe('findImages', () => {
  it('finds containers, init, ephemeral containers and image volumes with names', () => {
    const locs = findImages(
      deploy({
        containers: [{ name: 'a', image: 'a:1' }],
        initContainers: [{ name: 'i', image: 'i:1' }],
        ephemeralContainers: [{ name: 'e', image: 'e:1' }],
        volumes: [{ name: 'v', image: { reference: 'v:1' } }, { name: 'cm', configMap: {} }],
      }),
    );
    expect(locs.map((l) => [l.field, l.kind, l.container ?? l.volume, l.value])).toEqual([
      ['spec.template.spec.containers[0].image', 'container', 'a', 'a:1'],
      ['spec.template.spec.initContainers[0].image', 'initContainer', 'i', 'i:1'],
      ['spec.template.spec.ephemeralContainers[0].image', 'ephemeralContainer', 'e', 'e:1'],
      ['spec.template.spec.volumes[0].image.reference', 'volume', 'v', 'v:1'],
    ]);
    expect(locs[0]?.path).toEqual(['spec', 'template', 'spec', 'containers', 0, 'image']);
  });

  it('reports non-string values so the caller can reject them, and skips missing image keys', () => {
    const locs = findImages(deploy({ containers: [{ name: 'n', image: 42 }, { name: 'none' }, { name: 'nil', image: null }, { image: { x: 1 } }] }));
    expect(locs.map((l) => l.value)).toEqual([42, null, { x: 1 }]);
    expect(locs[2]?.container).toBeUndefined();
  });

  it('never throws on hostile shapes', () => {
    const hostile: unknown[] = [
      null,
      42,
      'x',
      [],
      { kind: 'Deployment' },
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: 'x' },
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: [] } },
      deploy(null),
      deploy([]),
      deploy({ containers: 'nginx' }),
      deploy({ containers: { 0: { image: 1 } } }),
      deploy({ containers: [null, 1, 'x', [], [{ image: 1 }]] }),
      deploy({ volumes: [null, { image: 5 }, { image: null }, { image: [] }] }),
      { apiVersion: 'v1', kind: 'List', items: 'x' },
      { apiVersion: 'v1', kind: 'List', items: [null, 1, { kind: 'Pod' }] },
      { apiVersion: 'v1', kind: 'constructor' },
      { apiVersion: 'v1', kind: '__proto__' },
    ];
    for (const h of hostile) expect(findImages(h, [{ kind: 'Deployment', path: 'spec.x[].image' }])).toEqual([]);
    // a string named image in a malformed place is reported as unchecked, not dropped
    expect(findImages(deploy({ containers: { 0: { image: 'x' } } })).map((l) => [l.field, l.kind])).toEqual([['spec.template.spec.containers["0"].image', 'unchecked']]);
    // a kind or apiVersion that matches nothing still has its pod spec checked, by shape
    for (const h of [
      { apiVersion: 'v1', kind: 'toString', spec: { containers: [{ image: 'x' }] } },
      { apiVersion: 1, kind: 'Pod', spec: { containers: [{ image: 'x' }] } },
    ]) {
      expect(findImages(h).map((l) => [l.field, l.via])).toEqual([['spec.containers[0].image', 'shape']]);
    }
  });

  it('ignores inherited (prototype) properties', () => {
    const proto = { image: 'inherited:1' };
    const c = Object.create(proto) as Record<string, unknown>;
    c.name = 'c';
    expect(findImages(deploy({ containers: [c] }))).toEqual([]);
  });

  it('matches workload kinds by API group, any version', () => {
    const spec = { template: { spec: { containers: [{ image: 'x:1' }] } } };
    expect(findImages({ apiVersion: 'apps/v1beta1', kind: 'StatefulSet', spec })).toHaveLength(1);
    expect(findImages({ apiVersion: 'extensions/v1beta1', kind: 'ReplicaSet', spec })).toHaveLength(1);
    const via = (o: unknown) => findImages(o).map((l) => l.via);
    expect(via({ apiVersion: 'extensions/v1beta1', kind: 'StatefulSet', spec })).toEqual(['shape']);
    expect(via({ apiVersion: 'example.com/v1', kind: 'Deployment', spec })).toEqual(['shape']);
    expect(via({ apiVersion: 'v1', kind: 'Deployment', spec })).toEqual(['shape']);
    expect(via({ apiVersion: 'apps/v1', kind: 'Pod', spec: { containers: [{ image: 'x' }] } })).toEqual(['shape']);
    expect(via({ apiVersion: 'apps/v1', kind: 'Deployment', spec })).toEqual(['kind']);
    expect(findImages({ apiVersion: 'batch/v2alpha1', kind: 'CronJob', spec: { jobTemplate: { spec } } })).toHaveLength(1);
  });

  it('walks Lists, typed lists inherit kind and apiVersion', () => {
    const locs = findImages({
      apiVersion: 'v1',
      kind: 'PodList',
      items: [{ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } }],
    });
    expect(locs.map((l) => l.field)).toEqual(['items[0].spec.containers[0].image']);
    expect(locs[0]?.resource).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'p' });
  });

  it('applies imageFields by kind and apiVersion (exact or group)', () => {
    const obj = { apiVersion: 'x.example.com/v1', kind: 'App', spec: { image: 'a:1', parts: [{ image: 'p:1' }, { noimage: 1 }, 'str'], images: ['i:1', 'i:2'] } };
    const f = (apiVersion?: string) => [
      { kind: 'App', ...(apiVersion !== undefined && { apiVersion }), path: 'spec.image' },
      { kind: 'App', ...(apiVersion !== undefined && { apiVersion }), path: 'spec.parts[].image' },
      { kind: 'App', ...(apiVersion !== undefined && { apiVersion }), path: 'spec.images[]' },
    ];
    const fields = findImages(obj, f()).map((l) => `${l.field}=${String(l.value)}:${l.kind}`);
    expect(fields).toEqual(['spec.image=a:1:custom', 'spec.parts[0].image=p:1:custom', 'spec.images[0]=i:1:custom', 'spec.images[1]=i:2:custom']);
    expect(findImages(obj, f('x.example.com/v1'))).toHaveLength(4);
    expect(findImages(obj, f('x.example.com'))).toHaveLength(4);
    // not declared: the `image` strings are still reported, as unchecked
    const unchecked = (o: unknown, fields: ReturnType<typeof f>) => findImages(o, fields).filter((l) => l.kind !== 'unchecked');
    expect(unchecked(obj, f('x.example.com/v2'))).toHaveLength(0);
    expect(unchecked({ ...obj, kind: 'Other' }, f())).toHaveLength(0);
    expect(findImages({ ...obj, kind: 'Other' }, f()).map((l) => l.field)).toEqual(['spec.image', 'spec.parts[0].image']);
    expect(unchecked(obj, [{ kind: 'App', path: 'spec.missing.image' }, { kind: 'App', path: 'spec.image.deeper' }])).toEqual([]);
  });

  it('does not report a built-in location twice when imageFields repeats it', () => {
    const obj = deploy({ containers: [{ name: 'a', image: 'a:1' }] });
    const locs = findImages(obj, [{ kind: 'Deployment', path: 'spec.template.spec.containers[].image' }]);
    expect(locs).toHaveLength(1);
    expect(locs[0]?.kind).toBe('container');
  });
});
