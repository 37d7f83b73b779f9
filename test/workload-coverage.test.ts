/**
 * Which objects and fields carry images (src/workload/), end to end through the KRM function (pin
 * and verify mode) and the webhook's decision, over realistic CRD manifests (test/fixtures/workloads)
 * and the vendored, signed trust data of testdata/_trust (offline: the full TUF verification).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { productionResolver } from '../src/cli/resolver.js';
import { SpecSchema, type Spec, type SpecInput } from '../src/config/schema.js';
import { evaluate } from '../src/engine/evaluate.js';
import { runKrm, type KrmRunResult } from '../src/krm/run.js';
import { decide } from '../src/webhook/decide.js';
import { parseAdmissionReview } from '../src/webhook/review.js';

const repo = join(import.meta.dirname, '..');
const trustDir = join(repo, 'testdata', '_trust');
const fixtures = join(import.meta.dirname, 'fixtures', 'workloads');
const ALL_PRESETS = ['argo-rollouts', 'knative-serving', 'prometheus-operator', 'openkruise', 'tekton'] as const;

function spec(extra: Partial<SpecInput> = {}): Spec {
  return SpecSchema.parse({
    trust: [{ name: 'testdata', images: ['registry.example.com/**', 'docker.io/**'], trustDir, rootCA: join(trustDir, 'root-ca.pem') }],
    ...extra,
  });
}

function fn(input: string, s: Spec): Promise<KrmRunResult> {
  return runKrm(input, { spec: s, resolverFor: (x) => productionResolver(x, {}) });
}

const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
/** Image strings of the fixtures (all signed in testdata/_trust) not followed by a digest. */
const UNPINNED = /(registry\.example\.com\/shop\/(web|api|worker):[0-9.]+|nginx:1\.2[57]|redis:7\.2)(?![0-9.@])/g;
const unpinned = (text: string): string[] => [...text.matchAll(UNPINNED)].map((m) => m[0]);
const codes = (r: KrmRunResult, code: string) => r.results.filter((x) => x.tags?.code === code);

/** An AdmissionReview CREATE of `object`, typed as the API server would type it. */
function reviewOf(object: Record<string, unknown>) {
  const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', String(object.apiVersion)];
  const kind = String(object.kind);
  const md = object.metadata as { name: string; namespace?: string };
  const r = parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${md.name}`,
      kind: { group, version, kind },
      resource: { group, version, resource: `${kind.toLowerCase()}s` },
      operation: 'CREATE',
      name: md.name,
      namespace: md.namespace,
      object,
    },
  });
  if (!r.ok) throw new Error(r.message);
  return r.review;
}

const objectsOf = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);

async function webhook(object: Record<string, unknown>, s: Spec) {
  const resolver = productionResolver(s, {});
  try {
    return (await decide(reviewOf(object), { spec: s, resolver, evaluate }, { budgetMs: 20_000 })).response.response;
  } finally {
    await resolver.close?.();
  }
}

describe('CRDs with pod specs are checked without any configuration (by shape)', () => {
  it.each(['argo-rollouts.yaml', 'knative-serving.yaml'])('%s: every image pinned, nothing left unchecked', async (name) => {
    const input = read(name);
    const r = await fn(input, spec());
    expect(r.exitCode, r.stderr.join('\n')).toBe(0);
    expect(unpinned(r.stdout)).toEqual([]);
    expect(r.outcomes.every((o) => o.status === 'pinned')).toBe(true);
    expect(r.outcomes.length).toBe(unpinned(input).length);
  });

  it('verify mode fails each unpinned image of an Argo Rollout, AnalysisTemplate and Experiment', async () => {
    const r = await fn(read('argo-rollouts.yaml'), spec({ mode: 'verify' }));
    expect(r.exitCode).toBe(1);
    expect(codes(r, 'NOT_PINNED').map((x) => `${x.resourceRef?.kind} ${x.field?.path}`)).toEqual([
      'Rollout spec.template.spec.containers[0].image',
      'AnalysisTemplate spec.metrics[0].provider.job.spec.template.spec.containers[0].image',
      'Experiment spec.templates[0].template.spec.containers[0].image',
      'Experiment spec.templates[1].template.spec.containers[0].image',
    ]);
  });
});

describe('image fields outside pod specs: warnings, strict mode, presets', () => {
  const expectedUnchecked: Record<string, string[]> = {
    'prometheus-operator.yaml': ['Prometheus spec.image', 'Prometheus spec.thanos.image', 'Alertmanager spec.image', 'ThanosRuler spec.image'],
    'openkruise.yaml': ['ImagePullJob spec.image'],
    'tekton.yaml': [
      'Task spec.stepTemplate.image',
      'Task spec.steps[0].image',
      'Task spec.steps[1].image',
      'Task spec.sidecars[0].image',
      'Pipeline spec.tasks[1].taskSpec.steps[0].image',
      'Pipeline spec.finally[0].taskSpec.steps[0].image',
    ],
  };
  const presetFor: Record<string, string> = { 'prometheus-operator.yaml': 'prometheus-operator', 'openkruise.yaml': 'openkruise', 'tekton.yaml': 'tekton' };

  it.each(Object.keys(expectedUnchecked))('%s: by default each is a warning naming the field and the preset; the run passes', async (name) => {
    const r = await fn(read(name), spec());
    expect(r.exitCode, r.stderr.join('\n')).toBe(0);
    const warnings = codes(r, 'UNCHECKED_IMAGE_FIELD');
    expect(warnings.map((w) => `${w.resourceRef?.kind} ${w.field?.path}`).sort()).toEqual([...expectedUnchecked[name]!].sort());
    for (const w of warnings) {
      expect(w.severity).toBe('warning');
      expect(w.message).toContain(`turn on spec.presets: [${presetFor[name]}]`);
      expect(w.message).toContain('spec.ignoreImageFields');
    }
    expect(r.stderr.join('\n')).toContain(`${warnings.length} image field(s) not checked (warnings)`);
  });

  it.each(Object.keys(expectedUnchecked))('%s: spec.coverage: strict makes them errors (exit 1, nothing written)', async (name) => {
    const r = await fn(read(name), spec({ coverage: 'strict' }));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(codes(r, 'UNCHECKED_IMAGE_FIELD').map((x) => x.severity)).toEqual(expectedUnchecked[name]!.map(() => 'error'));
  });

  it.each(['argo-rollouts.yaml', 'knative-serving.yaml', 'prometheus-operator.yaml', 'openkruise.yaml', 'tekton.yaml'])(
    '%s: with the presets every image is pinned (strict), verified afterwards, and the webhook agrees',
    async (name) => {
      const input = read(name);
      const s = spec({ presets: [...ALL_PRESETS], coverage: 'strict' });
      const pinned = await fn(input, s);
      expect(pinned.exitCode, pinned.stderr.join('\n')).toBe(0);
      expect(unpinned(pinned.stdout)).toEqual([]);
      expect(pinned.outcomes.length).toBe(unpinned(input).length);

      const verify = spec({ presets: [...ALL_PRESETS], coverage: 'strict', mode: 'verify' });
      const verified = await fn(pinned.stdout, verify);
      expect(verified.exitCode, verified.stderr.join('\n')).toBe(0);
      const refused = await fn(input, verify);
      expect(codes(refused, 'NOT_PINNED')).toHaveLength(unpinned(input).length);

      // The webhook, on the same objects with the same policy: the unpinned ones are denied, the pinned admitted.
      for (const obj of objectsOf(input)) {
        const images = unpinned(JSON.stringify(obj)).length;
        const res = await webhook(obj, verify);
        expect(res.allowed, `${String(obj.kind)} ${res.status?.message}`).toBe(images === 0);
        if (images > 0) expect(res.status?.message).toContain(`${images} image(s) failed verification`);
      }
      for (const obj of objectsOf(pinned.stdout)) {
        const res = await webhook(obj, verify);
        expect(res, String(obj.kind)).toEqual({ uid: expect.any(String), allowed: true });
      }
    },
  );

  it('the webhook warns about unchecked fields by default and denies them under strict, like the function', async () => {
    const [prometheus] = objectsOf(read('prometheus-operator.yaml'));
    const warn = await webhook(prometheus!, spec({ mode: 'verify', exclude: ['registry.example.com/**'] }));
    expect(warn.allowed).toBe(true);
    expect(warn.warnings?.filter((w) => w.includes('UNCHECKED_IMAGE_FIELD')).map((w) => w.split(' ')[1])).toEqual(['spec.image', 'spec.thanos.image']);
    const strict = await webhook(prometheus!, spec({ mode: 'verify', exclude: ['registry.example.com/**'], coverage: 'strict' }));
    expect(strict.allowed).toBe(false);
    expect(strict.status?.message).toContain('- spec.thanos.image: "registry.example.com/shop/worker:0.9": not checked (spec.coverage: strict)');
  });
});

describe('one definition for the function and the webhook', () => {
  const workflow = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'wf', namespace: 'ci' },
    spec: { image: 'registry.example.com/shop/web:1.0' },
  };
  const s = spec({ mode: 'verify', coverage: 'strict', imageFields: [{ kind: 'Workflow', apiVersion: 'argoproj.io', path: 'spec.image' }] });

  it('imageFields[].apiVersion given as a group only is honoured in both modes, on the same object', async () => {
    const r = await fn(JSON.stringify(workflow), s);
    expect(r.exitCode).toBe(1);
    expect(codes(r, 'NOT_PINNED').map((x) => x.field?.path)).toEqual(['spec.image']);
    const res = await webhook(workflow, s);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toContain('- spec.image: "registry.example.com/shop/web:1.0": not pinned by digest');
  });
});

describe('Lists', () => {
  /** A Deployment inside `depth` nested `kind: List`s (kubectl flattens Lists to any depth). */
  function nested(depth: number, image: string): string {
    let obj: Record<string, unknown> = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'deep', namespace: 'shop' },
      spec: { template: { spec: { containers: [{ name: 'web', image }] } } },
    };
    for (let i = 0; i < depth; i++) obj = { apiVersion: 'v1', kind: 'List', metadata: {}, items: [obj] };
    return stringify(obj);
  }

  it.each([1, 5, 8, 30])('a List nested %i deep is walked in pin and verify mode, results name the item', async (depth) => {
    const input = nested(depth, 'registry.example.com/shop/web:1.0');
    const pinned = await fn(input, spec());
    expect(pinned.exitCode, pinned.stderr.join('\n')).toBe(0);
    expect(unpinned(pinned.stdout)).toEqual([]);
    expect(pinned.results.map((r) => [r.resourceRef, r.field?.path])).toEqual([
      [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'deep', namespace: 'shop' }, `${'items[0].'.repeat(depth)}spec.template.spec.containers[0].image`],
    ]);
    expect(pinned.stderr.join('\n')).toContain('<- Deployment shop/deep');

    const verify = await fn(input, spec({ mode: 'verify' }));
    expect(verify.exitCode).toBe(1);
    expect(codes(verify, 'NOT_PINNED').map((r) => r.resourceRef?.name)).toEqual(['deep']);
    const ok = await fn(pinned.stdout, spec({ mode: 'verify' }));
    expect(ok.exitCode, ok.stderr.join('\n')).toBe(0);
  });

  it('items of a typed list (DeploymentList) are attributed to the item, with the list kind it implies', async () => {
    const list = {
      apiVersion: 'apps/v1',
      kind: 'DeploymentList',
      items: [{ metadata: { name: 'a' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } } }],
    };
    const r = await fn(JSON.stringify(list), spec({ mode: 'verify' }));
    expect(r.results.map((x) => x.resourceRef)).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'a' }]);
  });
});

describe('build placeholders', () => {
  const deployment = (name: string, image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'knative-serving' },
    spec: { template: { spec: { containers: [{ name, image }] } } },
  });
  const input = [deployment('activator', 'ko://knative.dev/serving/cmd/activator'), deployment('web', 'nginx:1.25')].map((d) => stringify(d)).join('---\n');

  it('spec.exclude matches the raw value of a field that is not an image reference (ko://**)', async () => {
    const r = await fn(input, spec({ exclude: ['ko://**'] }));
    expect(r.exitCode, r.stderr.join('\n')).toBe(0);
    expect(r.outcomes.map((o) => `${o.use.resource.name} ${o.status}`)).toEqual(['activator excluded', 'web pinned']);
    expect(r.stdout).toContain('image: ko://knative.dev/serving/cmd/activator\n');
    expect(unpinned(r.stdout)).toEqual([]);
  });

  it('without it, the placeholder fails with a hint that says how to exclude it, and the other resources are still reported', async () => {
    const r = await fn(input, spec());
    expect(r.exitCode).toBe(1);
    const bad = codes(r, 'REFERENCE_INVALID');
    expect(bad).toHaveLength(1);
    expect(bad[0]?.message).toContain('a spec.exclude pattern that matches it as written (e.g. "ko://**") leaves it alone');
    expect(r.results.find((x) => x.resourceRef?.name === 'web')?.tags?.outcome).toBe('pinned');
  });

  it('a raw-value pattern never excludes a real image reference', async () => {
    const r = await fn(input, spec({ exclude: ['ko://**', 'knative.dev/**'] }));
    expect(r.outcomes.find((o) => o.use.resource.name === 'web')?.status).toBe('pinned');
  });
});
