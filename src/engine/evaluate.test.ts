import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import type { TrustRule } from '../config/schema.js';
import { PinError, err, ok } from '../errors/errors.js';
import type { ImageReference } from '../reference/image-reference.js';
import type { Resolver } from './port.js';
import { collectImageUses, evaluate, startEvaluation } from './evaluate.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

/** A resolver over a fixed table of signed tags; anything else is unsigned. Counts calls. */
function tableResolver(signed: Record<string, string>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async resolve(ref: ImageReference, _rule: TrustRule) {
      calls.push(`${ref.repository}:${ref.tag ?? ''}@${ref.digest ?? ''}`);
      if (ref.digest) {
        const hit = Object.entries(signed).find(([, d]) => d === ref.digest);
        return hit
          ? ok({ digest: ref.digest, role: 'targets', gun: ref.repository })
          : err(new PinError({ code: 'UNSIGNED', message: `digest ${ref.digest} is not signed` }));
      }
      const d = signed[`${ref.repository}:${ref.tag ?? 'latest'}`];
      return d
        ? ok({ digest: d, tag: ref.tag ?? 'latest', role: 'targets/releases', gun: ref.repository })
        : err(new PinError({ code: 'UNSIGNED', message: `tag ${ref.tag} is not signed` }));
    },
  };
}

function spec(extra: Record<string, unknown> = {}) {
  return parseFunctionConfig({
    apiVersion: 'notary-pin.dev/v1alpha1',
    kind: 'NotaryPin',
    spec: { trust: [{ images: ['**'], rootKeys: ['a'.repeat(64)] }], ...extra },
  });
}

function deployment(name: string, ...images: unknown[]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'prod' },
    spec: { template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } } },
  };
}

describe('evaluate (pin mode)', () => {
  it('pins tags to their signed digest, keeping the name as written', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1 });
    const out = await evaluate([deployment('web', 'nginx:1.25')], spec(), r, { mode: 'pin' });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      status: 'pinned',
      changed: true,
      newValue: `nginx:1.25@${D1}`,
      use: { field: 'spec.template.spec.containers[0].image', container: 'c0', resource: { kind: 'Deployment', name: 'web', namespace: 'prod' } },
    });
  });

  it('writes repo@digest with reference: digest', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1 });
    const out = await evaluate([deployment('web', 'nginx:1.25')], spec({ reference: 'digest' }), r, { mode: 'pin' });
    expect(out[0]).toMatchObject({ status: 'pinned', newValue: `nginx@${D1}` });
  });

  it('resolves each unique image once however many resources use it', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1, 'docker.io/library/redis:7': D2 });
    const resources = Array.from({ length: 500 }, (_, i) => deployment(`d${i}`, 'nginx:1.25', 'redis:7'));
    const out = await evaluate(resources, spec(), r, { mode: 'pin' });
    expect(out).toHaveLength(1000);
    expect(out.every((o) => o.status === 'pinned')).toBe(true);
    expect(r.calls.sort()).toEqual(['docker.io/library/nginx:1.25@', 'docker.io/library/redis:7@']);
  });

  it('Notation rules: a repository\'s images resolve together (nothing per repository to load first), repositories still bounded', async () => {
    const inFlight = new Map<string, number>();
    let peakRepos = 0;
    let peakSameRepo = 0;
    const r: Resolver = {
      async resolve(ref) {
        inFlight.set(ref.repository, (inFlight.get(ref.repository) ?? 0) + 1);
        peakRepos = Math.max(peakRepos, inFlight.size);
        peakSameRepo = Math.max(peakSameRepo, inFlight.get(ref.repository)!);
        await new Promise((res) => setTimeout(res, 20));
        const left = inFlight.get(ref.repository)! - 1;
        if (left === 0) inFlight.delete(ref.repository);
        else inFlight.set(ref.repository, left);
        return ok({ digest: D1, role: 'notary.x509', gun: ref.repository, system: 'notation' });
      },
    };
    const images = ['a', 'b', 'c'].flatMap((repo) => ['1', '2', '3'].map((tag) => `registry.example.com/${repo}:${tag}`));
    const notationSpec = parseFunctionConfig({
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: { concurrency: 1, trust: [{ images: ['**'], notation: { trustPolicy: 'p.json', trustStore: 'store' } }] },
    });
    const out = await evaluate([deployment('all', ...images)], notationSpec, r, { mode: 'pin' });
    expect(out.every((o) => o.status === 'pinned')).toBe(true);
    expect(peakSameRepo).toBe(3);
    expect(peakRepos).toBeLessThanOrEqual(2); // one slot; the next repository starts as the first image frees it
  });

  it('bounds concurrency by repository: one slot per GUN, its images together', async () => {
    let active = new Set<string>();
    let peak = 0;
    const seen: string[] = [];
    const r: Resolver = {
      async resolve(ref) {
        active.add(ref.repository);
        peak = Math.max(peak, active.size);
        seen.push(`${ref.repository}:${ref.tag}`);
        await new Promise((res) => setTimeout(res, 5));
        active.delete(ref.repository);
        return ok({ digest: D1, role: 'targets', gun: ref.repository });
      },
    };
    const images = ['a', 'b', 'c', 'd'].flatMap((repo) => ['1', '2', '3'].map((tag) => `registry.example.com/${repo}:${tag}`));
    const out = await evaluate([deployment('all', ...images)], spec({ concurrency: 2 }), r, { mode: 'pin' });
    expect(out.every((o) => o.status === 'pinned')).toBe(true);
    expect(seen).toHaveLength(12);
    expect(peak).toBe(2);
    // a repository's first image goes alone (it loads the trust data), the rest follow it
    expect(seen.indexOf('registry.example.com/a:1')).toBeLessThan(seen.indexOf('registry.example.com/a:2'));
    active = new Set();
  });

  it('refreshes an old pin from its tag and verifies a digest-only reference as is', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1 });
    const out = await evaluate(
      [deployment('web', `nginx:1.25@${D2}`, `nginx@${D1}`)],
      spec(),
      r,
      { mode: 'pin' },
    );
    expect(out[0]).toMatchObject({ status: 'pinned', changed: true, newValue: `nginx:1.25@${D1}` });
    expect(out[1]).toMatchObject({ status: 'pinned', changed: false, newValue: `nginx@${D1}` });
  });

  it('fails unsigned tags, bad references, non-string images and images without a rule', async () => {
    const r = tableResolver({});
    const s = parseFunctionConfig({
      apiVersion: 'notary-pin.dev/v1alpha1',
      kind: 'NotaryPin',
      spec: { trust: [{ images: ['docker.io/**'], rootKeys: ['a'.repeat(64)] }] },
    });
    const out = await evaluate([deployment('web', 'nginx:1.25', 'Nginx', 42, 'ghcr.io/org/app:1')], s, r, { mode: 'pin' });
    expect(out.map((o) => o.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const codes = out.map((o) => (o.status === 'failed' ? o.error.code : ''));
    expect(codes).toEqual(['UNSIGNED', 'REFERENCE_INVALID', 'REFERENCE_INVALID', 'NO_TRUST_RULE']);
    const noRule = out[3]!;
    expect(noRule.status === 'failed' && noRule.error.hint).toContain('ghcr.io');
    expect(noRule.status === 'failed' && noRule.error.image).toBe('ghcr.io/org/app:1');
  });

  it('leaves excluded images alone without resolving them', async () => {
    const r = tableResolver({});
    const out = await evaluate([deployment('web', 'busybox:1.36')], spec({ exclude: ['docker.io/library/busybox:*'] }), r, { mode: 'pin' });
    expect(out[0]!.status).toBe('excluded');
    expect(r.calls).toEqual([]);
  });

  it('turns a throwing resolver into a failure, never a pass', async () => {
    const r: Resolver = { resolve: () => Promise.reject(new Error('socket hang up')) };
    const out = await evaluate([deployment('web', 'nginx:1.25')], spec(), r, { mode: 'pin' });
    expect(out[0]).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
  });
});

describe('evaluate (verify mode)', () => {
  it('requires a digest and a signed one', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1 });
    const out = await evaluate(
      [deployment('web', 'nginx:1.25', `nginx:1.25@${D1}`, `nginx@${D2}`)],
      spec(),
      r,
      { mode: 'verify' },
    );
    expect(out.map((o) => o.status)).toEqual(['failed', 'verified', 'failed']);
    expect(out[0]!.status === 'failed' && out[0]!.error.code).toBe('NOT_PINNED');
    expect(out[2]!.status === 'failed' && out[2]!.error.code).toBe('UNSIGNED');
    // verify mode never asks about tags, only digests
    expect(r.calls.every((c) => c.includes('@sha256:'))).toBe(true);
  });
});

describe('startEvaluation (incremental)', () => {
  it('starts resolving at add(), before finish(), and ends with the outcomes evaluate gives', async () => {
    const table = { 'docker.io/library/nginx:1.25': D1, 'docker.io/library/redis:7': D2 };
    const resources = [deployment('a', 'nginx:1.25', 'redis:7'), deployment('b', 'nginx:1.25'), deployment('c', 'redis:8')];
    const r = tableResolver(table);
    const ev = startEvaluation(spec(), r, { mode: 'pin' });
    const uses = collectImageUses(resources, spec());
    ev.add(uses[0]!);
    await Promise.resolve();
    await Promise.resolve();
    expect(r.calls).toEqual(['docker.io/library/nginx:1.25@']); // under way before finish()
    for (const use of uses.slice(1)) ev.add(use);
    const incremental = await ev.finish();
    const whole = await evaluate(resources, spec(), tableResolver(table), { mode: 'pin' });
    expect(incremental).toEqual(whole);
    expect(r.calls.sort()).toEqual(['docker.io/library/nginx:1.25@', 'docker.io/library/redis:7@', 'docker.io/library/redis:8@']);
  });
});

describe('evaluate: deadline (signal) and the repository cap', () => {
  /** A resolver that never answers for repositories under `stall/`, and records what it was asked and with which signal. */
  function stallingResolver() {
    const calls: { repository: string; signal?: AbortSignal }[] = [];
    const r: Resolver = {
      resolve(ref, _rule, opts) {
        calls.push({ repository: ref.repository, signal: opts?.signal });
        if (ref.repository.includes('/stall/')) return new Promise(() => undefined);
        return Promise.resolve(ok({ digest: ref.digest ?? D1, role: 'targets', gun: ref.repository }));
      },
      sourceOf: (ref) => `https://trust.example/${ref.domain}`,
    };
    return { r, calls };
  }
  const images = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `reg.example/${prefix}/app${i}@${D1}`);

  it('once aborted, starts nothing more and fails every unresolved image with DEADLINE naming its trust server', async () => {
    const { r, calls } = stallingResolver();
    const controller = new AbortController();
    const resources = [deployment('hostile', ...images(200, 'stall')), deployment('ok', `reg.example/fine/app@${D1}`)];
    const done = evaluate(resources, spec({ concurrency: 8 }), r, { mode: 'verify', signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // the first 8 repositories hold every slot; the rest wait
    expect(calls).toHaveLength(8);
    expect(calls.every((c) => c.signal === controller.signal)).toBe(true);
    controller.abort();
    const out = await done;
    expect(calls).toHaveLength(8);
    const failed = out.filter((o) => o.status === 'failed');
    expect(failed).toHaveLength(201);
    for (const f of failed.slice(0, 200)) {
      if (f.status !== 'failed') continue;
      expect(f.error.code).toBe('DEADLINE');
      expect(f.error.message).toBe('no verified trust data before the deadline: still waiting for https://trust.example/reg.example');
      expect(f.error.image).toMatch(/^reg\.example\/stall\/app\d+@/);
    }
    // the image behind the stalled ones in the queue never started either
    expect(out.at(-1)).toMatchObject({ status: 'failed', error: { code: 'DEADLINE', image: `reg.example/fine/app@${D1}` } });
  });

  it('an already-aborted signal reaches no resolver at all', async () => {
    const { r, calls } = stallingResolver();
    const out = await evaluate([deployment('x', ...images(3, 'fine'))], spec(), r, { mode: 'verify', signal: AbortSignal.abort() });
    expect(calls).toEqual([]);
    expect(out.map((o) => (o.status === 'failed' ? o.error.code : o.status))).toEqual(['DEADLINE', 'DEADLINE', 'DEADLINE']);
  });

  it('answers resolved before the abort keep their outcome', async () => {
    const { r } = stallingResolver();
    const controller = new AbortController();
    const done = evaluate([deployment('x', `reg.example/fine/a@${D1}`, `reg.example/stall/b@${D1}`)], spec(), r, { mode: 'verify', signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect((await done).map((o) => (o.status === 'failed' ? o.error.code : o.status))).toEqual(['verified', 'DEADLINE']);
  });

  it('over maxRepositories: rejects with TOO_MANY_IMAGES (count, cap, how to raise it) before asking the resolver anything', async () => {
    const { r, calls } = stallingResolver();
    // 3,000 distinct repositories; repeats of one repository count once
    const resources = [deployment('hostile', ...images(3000, 'stall'), `reg.example/stall/app0:v2@${D1}`)];
    const e = await evaluate(resources, spec(), r, { mode: 'verify', maxRepositories: 64 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe('TOO_MANY_IMAGES');
    expect((e as PinError).message).toBe('its 3001 images name more than 64 distinct repositories, the most verified per review (spec.maxRepositoriesPerReview)');
    expect((e as PinError).hint).toContain('raise spec.maxRepositoriesPerReview (now 64)');
    expect(calls).toEqual([]);
  });

  it('at maxRepositories: resolves as usual (repeated repositories and unresolved images do not count)', async () => {
    const { r, calls } = stallingResolver();
    const uses = [...images(3, 'fine'), `reg.example/fine/app0:v1@${D1}`, 'not a ref!', `reg.example/fine/app1@${D1}`];
    const out = await evaluate([deployment('x', ...uses)], spec(), r, { mode: 'verify', maxRepositories: 3 });
    expect(out.map((o) => o.status)).toEqual(['verified', 'verified', 'verified', 'verified', 'failed', 'verified']);
    expect(new Set(calls.map((c) => c.repository)).size).toBe(3);
  });
});

describe('evaluate: coverage, placeholders, Lists', () => {
  const prometheus = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s' }, spec: { image: 'quay.io/prometheus/prometheus:v2.54.1' } };

  it('an undeclared image field is a warning outcome, never resolved; strict makes it a failure', async () => {
    const r = tableResolver({});
    const warn = await evaluate([prometheus], spec(), r, { mode: 'pin' });
    expect(warn.map((o) => [o.status, o.use.field, o.status === 'unchecked' && o.error.code])).toEqual([['unchecked', 'spec.image', 'UNCHECKED_IMAGE_FIELD']]);
    expect(r.calls).toEqual([]);
    const strict = await evaluate([prometheus], spec({ coverage: 'strict' }), r, { mode: 'pin' });
    expect(strict.map((o) => [o.status, o.status === 'failed' && o.error.code])).toEqual([['failed', 'UNCHECKED_IMAGE_FIELD']]);
    const o = strict[0] as Extract<(typeof strict)[number], { status: 'failed' }>;
    expect(o.error.message).toBe('spec.image of Prometheus (monitoring.coreos.com/v1) is a string field named "image" that notary-pin does not check: nothing declares it an image field');
    expect(o.error.hint).toBe(
      'to check it, turn on spec.presets: [prometheus-operator] or declare it in spec.imageFields: {kind: Prometheus, apiVersion: monitoring.coreos.com, path: spec.image}; ' +
        'if it is not an image, list {kind: Prometheus, apiVersion: monitoring.coreos.com, path: spec.image} in spec.ignoreImageFields; spec.coverage: strict makes unchecked fields errors',
    );
    const preset = await evaluate([prometheus], spec({ presets: ['prometheus-operator'] }), r, { mode: 'pin' });
    expect(preset.map((x) => x.status)).toEqual(['failed']);
    expect(r.calls).toEqual(['quay.io/prometheus/prometheus:v2.54.1@']);
  });

  it('exclude patterns match a value that is not an image reference as written', async () => {
    const r = tableResolver({ 'docker.io/library/nginx:1.25': D1 });
    const res = [deployment('a', 'ko://knative.dev/serving/cmd/activator', 'nginx:1.25')];
    const out = await evaluate(res, spec({ exclude: ['ko://**'] }), r, { mode: 'pin' });
    expect(out.map((o) => o.status)).toEqual(['excluded', 'pinned']);
    const none = await evaluate(res, spec(), r, { mode: 'pin' });
    expect(none.map((o) => o.status)).toEqual(['failed', 'pinned']);
    expect((none[0] as Extract<(typeof none)[number], { status: 'failed' }>).error.hint).toContain('"ko://**"');
  });

  it('attributes the images of a List to the item that holds them', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'List', items: [deployment('inner', 'nginx:1')] }] };
    const uses = collectImageUses([list], spec());
    expect(uses.map((u) => [u.resource, u.field, u.resourceIndex])).toEqual([
      [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'inner', namespace: 'prod' }, 'items[0].items[0].spec.template.spec.containers[0].image', 0],
    ]);
  });
});
