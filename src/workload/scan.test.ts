import { describe, expect, it } from 'vitest';
import { findImages } from './find.js';
import { matchesKind } from './kinds.js';
import { declaredPath } from './path.js';
import { PRESETS, presetsCovering } from './presets.js';
import { PRESET_NAMES } from '../config/schema.js';

const fields = (obj: unknown, cfg: Parameters<typeof findImages>[1] = []) => findImages(obj, cfg).map((l) => `${l.field} ${l.via}`);

describe('the pod spec shape, anywhere', () => {
  it('finds a pod spec at any depth of any kind, with its init/ephemeral containers and image volumes', () => {
    const obj = {
      apiVersion: 'example.com/v1',
      kind: 'Anything',
      spec: { deep: [{ nested: { containers: [{ name: 'a', image: 'a:1' }], initContainers: [{ image: 'i:1' }], volumes: [{ name: 'v', image: { reference: 'v:1' } }] } }] },
    };
    expect(fields(obj)).toEqual([
      'spec.deep[0].nested.containers[0].image shape',
      'spec.deep[0].nested.initContainers[0].image shape',
      'spec.deep[0].nested.volumes[0].image.reference shape',
    ]);
  });

  it('a containers list without any image is no pod spec; other image strings are unchecked', () => {
    expect(fields({ apiVersion: 'v1', kind: 'X', spec: { containers: [{ name: 'patch-only' }], image: 'x:1' } })).toEqual(['spec.image unchecked']);
  });

  it('does not report controller-written status as unchecked', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ image: 'a:1' }] }, status: { containerStatuses: [{ name: 'a', image: 'docker.io/library/a:1', imageID: 'x' }] } };
    expect(fields(pod)).toEqual(['spec.containers[0].image kind']);
  });

  it('visits an object shared through aliases once: the walk stays linear', () => {
    let n: Record<string, unknown> = { image: 'shared:1' };
    for (let i = 0; i < 64; i++) n = { a: n, b: n };
    const t = Date.now();
    const locs = findImages({ apiVersion: 'v1', kind: 'ConfigMap', data: n });
    expect(Date.now() - t).toBeLessThan(2000);
    expect(locs).toHaveLength(1);
    expect(locs[0]?.kind).toBe('unchecked');
  });

  it('walks very deep objects and Lists without recursion', () => {
    let deep: unknown = { containers: [{ image: 'deep:1' }] };
    for (let i = 0; i < 50_000; i++) deep = { x: deep };
    expect(findImages({ apiVersion: 'v1', kind: 'X', spec: deep })).toHaveLength(1);
    let list: unknown = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ image: 'l:1' }] } };
    for (let i = 0; i < 2_000; i++) list = { apiVersion: 'v1', kind: 'List', items: [list] };
    const locs = findImages(list);
    expect(locs.map((l) => [l.value, l.resource?.name, l.path.length])).toEqual([['l:1', 'p', 4000 + 4]]);
  });
});

describe('declaring and ignoring fields', () => {
  const app = { apiVersion: 'x.example.com/v1', kind: 'App', metadata: { name: 'a' }, spec: { image: 'a:1', helper: { image: 'h:1' } } };

  it('ignoreImageFields silences an unchecked field, matched like imageFields (group only here)', () => {
    expect(fields(app)).toEqual(['spec.image unchecked', 'spec.helper.image unchecked']);
    expect(fields(app, { imageFields: [], ignoreImageFields: [{ kind: 'App', apiVersion: 'x.example.com', path: 'spec.helper.image' }] })).toEqual(['spec.image unchecked']);
    expect(fields(app, { imageFields: [], ignoreImageFields: [{ kind: 'App', apiVersion: 'y.example.com', path: 'spec.helper.image' }] })).toHaveLength(2);
  });

  it("a Kptfile pipeline's function images are not workload images", () => {
    const kptfile = { apiVersion: 'kpt.dev/v1', kind: 'Kptfile', metadata: { name: 'p' }, pipeline: { mutators: [{ image: 'gcr.io/kpt-fn/set-labels:v0.1' }], validators: [{ image: 'v:1' }] } };
    expect(fields(kptfile)).toEqual([]);
    expect(fields({ ...kptfile, apiVersion: 'example.com/v1' })).toHaveLength(2);
  });

  it('never ignores a field that is checked', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ image: 'a:1' }] } };
    expect(fields(pod, { imageFields: [], ignoreImageFields: [{ kind: 'Pod', path: 'spec.containers[].image' }] })).toEqual(['spec.containers[0].image kind']);
  });

  it('imageFields claim the field: it is checked, not unchecked', () => {
    expect(fields(app, [{ kind: 'App', apiVersion: 'x.example.com', path: 'spec.image' }])).toEqual(['spec.image imageFields', 'spec.helper.image unchecked']);
  });

  it('one matcher: apiVersion as group/version or group only', () => {
    expect(matchesKind({ kind: 'Rollout', apiVersion: 'argoproj.io' }, 'Rollout', 'argoproj.io/v1alpha1')).toBe(true);
    expect(matchesKind({ kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1' }, 'Rollout', 'argoproj.io/v1alpha1')).toBe(true);
    expect(matchesKind({ kind: 'Rollout', apiVersion: 'argoproj.io/v1' }, 'Rollout', 'argoproj.io/v1alpha1')).toBe(false);
    expect(matchesKind({ kind: 'Rollout' }, 'Rollout', undefined)).toBe(true);
    expect(matchesKind({ kind: 'Rollout', apiVersion: 'argoproj.io' }, 'Rollout', undefined)).toBe(false);
    expect(matchesKind({ kind: 'Pod', apiVersion: 'v1' }, 'Pod', 'v1')).toBe(true);
  });

  it('writes declared paths for hints', () => {
    expect(declaredPath(['spec', 'steps', 0, 'image'])).toBe('spec.steps[].image');
    expect(declaredPath(['spec', 'images', 3])).toBe('spec.images[]');
    expect(declaredPath(['metadata', 'annotations', 'example.com/image'])).toBeUndefined();
    expect(declaredPath(['a', 0, 1])).toBeUndefined();
  });
});

describe('presets', () => {
  it('define every preset name the config accepts', () => {
    expect(Object.keys(PRESETS).sort()).toEqual([...PRESET_NAMES].sort());
  });

  it('cover their kinds by API group, and only when turned on', () => {
    const task = { apiVersion: 'tekton.dev/v1beta1', kind: 'Task', spec: { steps: [{ name: 's', image: 's:1' }], sidecars: [{ image: 'c:1' }] } };
    expect(fields(task)).toEqual(['spec.steps[0].image unchecked', 'spec.sidecars[0].image unchecked']);
    expect(fields(task, { imageFields: [], presets: ['tekton'] })).toEqual(['spec.steps[0].image preset', 'spec.sidecars[0].image preset']);
    expect(fields({ ...task, apiVersion: 'other.dev/v1' }, { imageFields: [], presets: ['tekton'] })).toEqual(['spec.steps[0].image unchecked', 'spec.sidecars[0].image unchecked']);
    const pull = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'ImageListPullJob', spec: { images: ['a:1', 'b:1'] } };
    expect(fields(pull, { imageFields: [], presets: ['openkruise'] })).toEqual(['spec.images[0] preset', 'spec.images[1] preset']);
  });

  it('are named in hints for the fields they declare', () => {
    expect(presetsCovering('Prometheus', 'monitoring.coreos.com/v1', 'spec.image')).toEqual(['prometheus-operator']);
    expect(presetsCovering('Task', 'tekton.dev/v1', 'spec.steps[].image')).toEqual(['tekton']);
    expect(presetsCovering('Rollout', 'argoproj.io/v1alpha1', 'spec.template.spec.containers[].image')).toEqual(['argo-rollouts']);
    expect(presetsCovering('Prometheus', 'example.com/v1', 'spec.image')).toEqual([]);
  });
});
