import { describe, expect, it, vi } from 'vitest';
import { PinError } from '../errors/errors.js';
import { decide, isChecked, objectForEngine, type DecideDeps, type EvaluateFn } from './decide.js';
import { parseAdmissionReview, type AdmissionReviewRequest } from './review.js';
import { evaluate as engineEvaluate } from '../engine/evaluate.js';
import { FakeResolver } from '../../test/support/webhook/fake-resolver.js';
import { fixture, SIGNED, testSpec, UNSIGNED, type FixtureName } from '../../test/support/webhook/fixtures.js';

function review(body: unknown): AdmissionReviewRequest {
  const r = parseAdmissionReview(body);
  if (!r.ok) throw new Error(r.message);
  return r.review;
}

function deps(over: Partial<DecideDeps> = {}): DecideDeps & { resolver: FakeResolver } {
  const resolver = (over.resolver as FakeResolver | undefined) ?? new FakeResolver({ signed: [SIGNED], down: ['127.0.0.1:5000/shop/down'] });
  return { spec: testSpec(), evaluate: engineEvaluate, ...over, resolver };
}

const BUDGET = { budgetMs: 5000 };

async function run(name: FixtureName, mutate?: (f: any) => void, d = deps()) {
  const f = fixture(name);
  mutate?.(f);
  return decide(review(f), d, BUDGET);
}

describe('decide: checked workloads', () => {
  it('allows a Pod whose images are all pinned to signed digests, echoing uid and apiVersion', async () => {
    const d = deps();
    const res = await run('pod-create.v1', undefined, d);
    expect(res.reason).toBe('verified');
    expect(res.images).toBe(2);
    expect(res.response).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '0df28fbd-5f5f-4ad7-a4d5-6c2c1b1e0f01', allowed: true },
    });
    expect(d.resolver.calls).toBe(2);
  });

  it('denies a Pod with an image by tag, naming the field, container and the fix', async () => {
    const res = await run('pod-create.v1', (f) => {
      f.request.object.spec.containers[0].image = '127.0.0.1:5000/shop/web:1.4.2';
    });
    expect(res.reason).toBe('policy');
    const r = res.response.response;
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(403);
    expect(r.status?.message).toContain('Pod shop/web');
    expect(r.status?.message).toContain('spec.containers[0].image (container "web"): "127.0.0.1:5000/shop/web:1.4.2": not pinned by digest: pin it with notary-pin');
    expect(r.status?.message).not.toContain('initContainers');
  });

  it('denies a Deployment update listing every offending image once, in one message', async () => {
    const res = await run('deployment-update.v1');
    const r = res.response.response;
    expect(r.uid).toBe('3c5e8f0a-1111-4b7e-9d0e-6a7b8c9d0e02');
    expect(r.allowed).toBe(false);
    const lines = r.status!.message.split('\n');
    expect(lines[0]).toBe('notary-pin: Deployment shop/api: 2 image(s) failed verification (each image must be pinned by digest and the digest signed under the trust rules):');
    expect(lines[1]).toMatch(/^- spec\.template\.spec\.containers\[0\]\.image \(container "api"\): "127\.0\.0\.1:5000\/shop\/api:2\.0\.0": not pinned by digest/);
    expect(lines[2]).toContain('spec.template.spec.containers[1].image (container "metrics")');
    expect(lines[2]).toContain(`digest not signed: ${UNSIGNED} is not a signed target of 127.0.0.1:5000/shop/exporter; sign the image`);
    // The decision is about the new object: the signed images of oldObject do not count.
    expect(res.failures.map((f) => f.error.code)).toEqual(['NOT_PINNED', 'UNSIGNED']);
    // The object's env (a secret here) never appears in what the API server shows.
    expect(JSON.stringify(res.response)).not.toContain('hunter2');
  });

  it('checks the Pod template inside a CronJob', async () => {
    const ok = await run('cronjob-create.v1');
    expect(ok.response.response.allowed).toBe(true);
    expect(ok.images).toBe(1);
    const bad = await run('cronjob-create.v1', (f) => {
      f.request.object.spec.jobTemplate.spec.template.spec.containers[0].image = `127.0.0.1:5000/shop/report:3.1@${UNSIGNED}`;
    });
    expect(bad.response.response.allowed).toBe(false);
    expect(bad.response.response.status?.message).toContain('spec.jobTemplate.spec.template.spec.containers[0].image (container "report")');
  });

  it('checks ephemeral containers added through pods/ephemeralcontainers', async () => {
    const res = await run('pod-ephemeralcontainers.v1');
    expect(res.reason).toBe('policy');
    const msg = res.response.response.status!.message;
    expect(msg).toContain('spec.ephemeralContainers[0].image (container "debugger-x7k2p"): "127.0.0.1:5000/tools/busybox:1.36": not pinned by digest');
    expect(res.failures).toHaveLength(1);
  });

  it('turns a pre-1.22 EphemeralContainers object into the Pod shape', async () => {
    const f = fixture('pod-ephemeralcontainers.v1');
    f.request.kind = { group: '', version: 'v1', kind: 'EphemeralContainers' };
    f.request.object = { kind: 'EphemeralContainers', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop' }, ephemeralContainers: [{ name: 'dbg', image: 'busybox:1.36' }] };
    const obj = objectForEngine(review(f).request);
    expect(obj).toMatchObject({ kind: 'Pod', apiVersion: 'v1', spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox:1.36' }] } });
    const res = await decide(review(f), deps(), BUDGET);
    expect(res.response.response.allowed).toBe(false);
  });

  it('checks dry-run requests exactly like real ones', async () => {
    const res = await run('statefulset-create-dryrun.v1');
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toContain('spec.template.spec.containers[0].image (container "postgres")');
  });

  it('answers v1beta1 in v1beta1 and warns about excluded images', async () => {
    const res = await run('replicaset-create.v1beta1');
    expect(res.response.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(res.response.response.allowed).toBe(true);
    expect(res.response.response.warnings).toEqual([
      'notary-pin: spec.template.spec.containers[1].image (container "pause"): image "registry.k8s.io/pause:3.10" is excluded from signature verification by policy',
    ]);
  });

  it('explains trust data failures and a missing trust rule', async () => {
    const res = await run('pod-create.v1', (f) => {
      f.request.object.spec.containers[0].image = `127.0.0.1:5000/shop/down@${SIGNED}`;
    });
    expect(res.response.response.status?.message).toContain('trust data failed (TRUST_FETCH): GET https://notary.example/');
    const spec = testSpec({ trust: [] });
    const none = await run('pod-create.v1', undefined, deps({ spec }));
    expect(none.response.response.status?.message).toContain('no trust rule covers this image');
  });

  it('checks CREATE and UPDATE of every kind a webhook rule sends', () => {
    const f = fixture('configmap-create.v1');
    f.request.kind = { group: 'example.com', version: 'v2', kind: 'MyApp' };
    expect(isChecked(review(f).request)).toBe(true);
    f.request.operation = 'DELETE';
    expect(isChecked(review(f).request)).toBe(false);
  });

  it('honours imageFields[].apiVersion given as a group only (argoproj.io), as the function does', async () => {
    const spec = testSpec({ imageFields: [{ kind: 'Workflow', apiVersion: 'argoproj.io', path: 'spec.image' }] });
    const f = fixture('configmap-create.v1');
    f.request.kind = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow' };
    f.request.resource = { group: 'argoproj.io', version: 'v1alpha1', resource: 'workflows' };
    f.request.object = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w', namespace: 'shop' }, spec: { image: '127.0.0.1:5000/shop/a:1' } };
    const res = await decide(review(f), deps({ spec }), BUDGET);
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toContain('- spec.image: "127.0.0.1:5000/shop/a:1": not pinned by digest');
  });

  it('checks a pod spec in a kind nobody listed (an Argo Rollout), by its shape', async () => {
    const f = fixture('configmap-create.v1');
    f.request.kind = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout' };
    f.request.resource = { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts' };
    f.request.object = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { template: { spec: { containers: [{ name: 'app', image: `127.0.0.1:5000/shop/web@${UNSIGNED}` }] } } },
    };
    const res = await decide(review(f), deps(), BUDGET);
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toContain('spec.template.spec.containers[0].image (container "app")');
  });

  it('warns about an image field nobody declared, and denies it under spec.coverage: strict', async () => {
    const f = fixture('configmap-create.v1');
    f.request.kind = { group: 'monitoring.coreos.com', version: 'v1', kind: 'Prometheus' };
    f.request.resource = { group: 'monitoring.coreos.com', version: 'v1', resource: 'prometheuses' };
    f.request.object = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'mon' }, spec: { image: 'quay.io/prometheus/prometheus:v2.54.1' } };
    const warn = await decide(review(f), deps(), BUDGET);
    expect(warn.response.response.allowed).toBe(true);
    expect(warn.response.response.warnings).toEqual([
      'notary-pin: spec.image is not checked as an image (UNCHECKED_IMAGE_FIELD; declare it in spec.imageFields or spec.presets, or list it in spec.ignoreImageFields): "quay.io/prometheus/prometheus:v2.54.1"',
    ]);
    const strict = await decide(review(f), deps({ spec: testSpec({ coverage: 'strict' }) }), BUDGET);
    expect(strict.response.response.allowed).toBe(false);
    expect(strict.response.response.status?.message).toContain('- spec.image: "quay.io/prometheus/prometheus:v2.54.1": not checked (spec.coverage: strict)');
    expect(strict.response.response.status?.message).toContain('spec.presets: [prometheus-operator]');
    const ignored = await decide(review(f), deps({ spec: testSpec({ coverage: 'strict', ignoreImageFields: [{ kind: 'Prometheus', path: 'spec.image' }] }) }), BUDGET);
    expect(ignored.response.response).toEqual({ uid: f.request.uid, allowed: true });
    const preset = await decide(review(f), deps({ spec: testSpec({ coverage: 'strict', presets: ['prometheus-operator'] }) }), BUDGET);
    expect(preset.response.response.allowed).toBe(false);
    expect(preset.response.response.status?.message).toContain('- spec.image: "quay.io/prometheus/prometheus:v2.54.1": no trust rule covers this image');
  });

  it('verifies the image field of such a custom kind through the engine', async () => {
    const spec = testSpec({ imageFields: [{ kind: 'MyApp', path: 'spec.image' }] });
    const f = fixture('configmap-create.v1');
    f.request.kind = { group: 'example.com', version: 'v1', kind: 'MyApp' };
    f.request.object = { apiVersion: 'example.com/v1', kind: 'MyApp', metadata: { name: 'a', namespace: 'shop' }, spec: { image: '127.0.0.1:5000/shop/a:1' } };
    const res = await decide(review(f), deps({ spec }), BUDGET);
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toContain('- spec.image: "127.0.0.1:5000/shop/a:1": not pinned by digest');
  });
});

describe('decide: requests left alone', () => {
  it('allows a ConfigMap after looking at it: its data.image is a warning, not an image', async () => {
    const res = await run('configmap-create.v1');
    expect(res.reason).toBe('verified');
    expect(res.response.response.allowed).toBe(true);
    expect(res.response.response.warnings).toEqual([expect.stringContaining('notary-pin: data.image is not checked as an image (UNCHECKED_IMAGE_FIELD')]);
    const ignored = await run('configmap-create.v1', undefined, deps({ spec: testSpec({ ignoreImageFields: [{ kind: 'ConfigMap', apiVersion: 'v1', path: 'data.image' }] }) }));
    expect(ignored.response.response).toEqual({ uid: fixture('configmap-create.v1').request.uid, allowed: true });
  });

  it.each<[string, FixtureName, ((f: any) => void) | undefined]>([
    ['a DELETE', 'pod-delete.v1', undefined],
    ['a CONNECT', 'pod-create.v1', (f) => (f.request.operation = 'CONNECT')],
    ['pods/status', 'pod-create.v1', (f) => ((f.request.subResource = 'status'), (f.request.operation = 'UPDATE'))],
  ])('allows %s without evaluating it', async (_label, name, mutate) => {
    const evaluate = vi.fn<EvaluateFn>(engineEvaluate);
    const res = await run(name, mutate, deps({ evaluate }));
    expect(res.reason).toBe('skipped');
    expect(res.response.response).toEqual({ uid: fixture(name).request.uid, allowed: true });
    expect(evaluate).not.toHaveBeenCalled();
  });
});

describe('decide: fail closed', () => {
  it('denies with a clear message when verification does not finish in time', async () => {
    const resolver = new FakeResolver({ signed: [SIGNED], hang: true });
    const res = await decide(review(fixture('pod-create.v1')), deps({ resolver }), { budgetMs: 50 });
    expect(res.reason).toBe('timeout');
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toMatch(/trust verification for Pod shop\/web did not finish in time \(webhook timeout 0\.1s\); denied \(fail closed\)/);
  });

  it('at the deadline, aborts the review and lists every image still waiting with its trust server', async () => {
    const signals: AbortSignal[] = [];
    const hang = new FakeResolver({ signed: [SIGNED], hang: true });
    const resolver = { resolve: (ref: any, rule: any, o?: { signal?: AbortSignal }) => (o?.signal && signals.push(o.signal), hang.resolve(ref, rule)) };
    const t0 = performance.now();
    const res = await decide(review(fixture('deployment-update.v1')), deps({ resolver: resolver as never }), { budgetMs: 100, timeoutMs: 1000 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.reason).toBe('timeout');
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s.aborted)).toBe(true);
    const msg = res.response.response.status!.message;
    expect(msg).toContain('did not finish in time (webhook timeout 1s); denied (fail closed)');
    expect(msg).toContain('Still waiting for trust data (1 image(s)):');
    expect(msg).toContain(`- spec.template.spec.containers[1].image (container "metrics"): "127.0.0.1:5000/shop/exporter@${UNSIGNED}": no verified trust data before the deadline: still waiting for https://127.0.0.1:4443`);
    // the image that failed on its own is listed too
    expect(msg).toContain('Failed as well (1 image(s)):');
    expect(msg).toContain('not pinned by digest: pin it with notary-pin');
    expect(res.failures.map((f) => f.error.code).sort()).toEqual(['DEADLINE', 'NOT_PINNED']);
  });

  it('denies a review naming more repositories than spec.maxRepositoriesPerReview, before any trust lookup', async () => {
    const d = deps({ spec: testSpec({ maxRepositoriesPerReview: 1 }) });
    const res = await run('pod-create.v1', undefined, d);
    expect(res.reason).toBe('policy');
    expect(res.error?.code).toBe('TOO_MANY_IMAGES');
    expect(res.response.response.status?.message).toContain(
      'TOO_MANY_IMAGES: its 2 images name more than 1 distinct repositories, the most verified per review (spec.maxRepositoriesPerReview)',
    );
    expect(res.response.response.status?.message).toContain('raise spec.maxRepositoriesPerReview (now 1)');
    expect(d.resolver.calls).toBe(0);
    // at the default cap (64) the same review is verified
    expect((await run('pod-create.v1')).reason).toBe('verified');
  });

  it('reports when the oldest trust data behind an admission was verified', async () => {
    const old = new Date(Date.now() - 45_000);
    const inner = new FakeResolver({ signed: [SIGNED] });
    const resolver = {
      resolve: async (ref: any, rule: any) => {
        const r = await inner.resolve(ref, rule);
        return r.ok ? { ok: true as const, value: { ...r.value, verifiedAt: ref.repository.endsWith('web') ? old : new Date() } } : r;
      },
    };
    const res = await run('pod-create.v1', undefined, deps({ resolver: resolver as never }));
    expect(res.reason).toBe('verified');
    expect(res.trustVerifiedAt).toEqual(old);
    expect((await run('pod-create.v1')).trustVerifiedAt).toBeUndefined(); // the fake resolver does not say
  });

  it('denies when the engine throws', async () => {
    const evaluate: EvaluateFn = () => Promise.reject(new PinError({ code: 'INTERNAL', message: 'boom', hint: 'report it' }));
    const res = await run('pod-create.v1', undefined, deps({ evaluate }));
    expect(res.reason).toBe('error');
    expect(res.response.response.status?.message).toContain('INTERNAL: boom (report it); denied (fail closed)');
  });

  it('denies a CREATE without an object', async () => {
    const res = await run('pod-create.v1', (f) => (f.request.object = null));
    expect(res.reason).toBe('error');
    expect(res.error?.code).toBe('INPUT_INVALID');
  });

  it('treats a pin outcome in verify mode as a failure', async () => {
    const evaluate: EvaluateFn = async (resources, spec, resolver, opts) =>
      (await engineEvaluate(resources, spec, resolver, opts)).map((o) =>
        o.status === 'verified' ? { status: 'pinned' as const, use: o.use, resolution: o.resolution, newValue: 'x', changed: true } : o,
      );
    const res = await run('pod-create.v1', undefined, deps({ evaluate }));
    expect(res.response.response.allowed).toBe(false);
    expect(res.failures.every((f) => f.error.code === 'INTERNAL')).toBe(true);
  });

  it('decides from request.kind: a Pod review whose object claims to be a ConfigMap is denied', async () => {
    const res = await run('pod-create.v1', (f) => (f.request.object.kind = 'ConfigMap'));
    expect(res.reason).toBe('error');
    expect(res.response.response.allowed).toBe(false);
    expect(res.response.response.status?.message).toContain(`the object's kind "ConfigMap" does not match the request's kind "Pod"`);
    const other = await run('pod-create.v1', (f) => (f.request.object.apiVersion = 'example.com/v1'));
    expect(other.response.response.allowed).toBe(false);
    expect(other.response.response.status?.message).toContain(`the object's apiVersion "example.com/v1" does not match the request's apiVersion "v1"`);
    // and the other way round: a ConfigMap review carrying a Pod is refused too
    const cm = await run('configmap-create.v1', (f) => (f.request.object.kind = 'Pod'));
    expect(cm.response.response.allowed).toBe(false);
  });

  it('fills namespace, apiVersion and kind from the request when the object lacks them', () => {
    const f = fixture('pod-create.v1');
    delete f.request.object.metadata.namespace;
    delete f.request.object.apiVersion;
    delete f.request.object.kind;
    const obj = objectForEngine(review(f).request);
    expect(obj).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' } });
  });
});
