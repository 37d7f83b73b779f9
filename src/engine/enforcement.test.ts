import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { compileNamespaces } from '../config/rules.js';
import { err, ok, PinError } from '../errors/errors.js';
import type { Resolver } from './port.js';
import { evaluate, type ImageOutcome } from './evaluate.js';
import { isWaivable } from './enforcement.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const KEY = 'a'.repeat(64);

/** Signs only `signed.io/**` tags (digest D1); anything else is UNSIGNED. Records the rule each image was asked under. */
function resolver(): Resolver & { rules: string[] } {
  const rules: string[] = [];
  return {
    rules,
    async resolve(ref, rule) {
      rules.push(`${ref.repository}=${rule.name ?? '?'}`);
      if (ref.domain === 'signed.io') return ok({ digest: D1, tag: ref.tag, role: 'targets', gun: ref.repository });
      return err(new PinError({ code: 'UNSIGNED', message: `tag ${ref.tag ?? ''} is not signed` }));
    },
  };
}

function spec(extra: Record<string, unknown>) {
  return parseFunctionConfig({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: extra });
}

function pod(namespace: string | undefined, ...images: string[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: namespace === undefined ? { name: 'p' } : { name: 'p', namespace },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

const brief = (o: ImageOutcome) =>
  o.status === 'waived' ? `waived:${o.enforcement}:${o.error.code}` : o.status === 'failed' ? `failed:${o.error.code}` : o.status;

describe('enforcement (spec.enforcement and per rule)', () => {
  it('enforce (default) fails; warn and audit waive the failure with why, and the other images are still pinned', async () => {
    const images = ['signed.io/app:1', 'unsigned.io/app:1'];
    const enforce = await evaluate([pod('a', ...images)], spec({ trust: [{ name: 'all', images: ['**'], rootKeys: [KEY] }] }), resolver(), { mode: 'pin' });
    expect(enforce.map(brief)).toEqual(['pinned', 'failed:UNSIGNED']);
    for (const enforcement of ['warn', 'audit'] as const) {
      const out = await evaluate([pod('a', ...images)], spec({ enforcement, trust: [{ name: 'all', images: ['**'], rootKeys: [KEY] }] }), resolver(), { mode: 'pin' });
      expect(out.map(brief)).toEqual(['pinned', `waived:${enforcement}:UNSIGNED`]);
      expect(out[1]).toMatchObject({ why: `spec.enforcement: ${enforcement}`, rule: 'all' });
    }
  });

  it("the rule's enforcement wins over the spec's, both ways", async () => {
    const s = spec({
      enforcement: 'audit',
      trust: [
        { name: 'strict', images: ['unsigned.io/strict/**'], rootKeys: [KEY], enforcement: 'enforce' },
        { name: 'lenient', images: ['**'], rootKeys: [KEY] },
      ],
    });
    const out = await evaluate([pod('a', 'unsigned.io/strict/x:1', 'unsigned.io/other:1')], s, resolver(), { mode: 'pin' });
    expect(out.map(brief)).toEqual(['failed:UNSIGNED', 'waived:audit:UNSIGNED']);
    const warnRule = spec({ trust: [{ name: 'team', images: ['**'], rootKeys: [KEY], enforcement: 'warn' }] });
    const w = await evaluate([pod('a', 'unsigned.io/x:1')], warnRule, resolver(), { mode: 'verify' });
    // verify mode: NOT_PINNED is about the image's trust too, waived under the rule's warn
    expect(w.map(brief)).toEqual(['waived:warn:NOT_PINNED']);
    expect(w[0]).toMatchObject({ why: 'enforcement: warn on rule team' });
  });

  it('never waives failures about the input or the configuration', async () => {
    const s = spec({ enforcement: 'audit', trust: [{ images: ['**'], rootKeys: [KEY] }] });
    const out = await evaluate([pod('a', 'NOT A REF!')], s, resolver(), { mode: 'pin' });
    expect(out.map(brief)).toEqual(['failed:REFERENCE_INVALID']);
    for (const code of ['INPUT_INVALID', 'CONFIG_INVALID', 'REFERENCE_INVALID', 'INTERNAL', 'NOTATION_POLICY', 'NOTATION_TRUST_STORE', 'TRUST_SERVER_RETIRED'] as const) {
      expect(isWaivable(code), code).toBe(false);
    }
    for (const code of ['UNSIGNED', 'TRUST_FETCH', 'TRUST_EXPIRED', 'NOTATION_INTEGRITY', 'DEADLINE', 'NO_TRUST_RULE'] as const) expect(isWaivable(code), code).toBe(true);
  });

  it('an image no rule matches is governed by spec.enforcement', async () => {
    const s = spec({ enforcement: 'warn', trust: [{ images: ['signed.io/**'], rootKeys: [KEY], enforcement: 'enforce' }] });
    const out = await evaluate([pod('a', 'elsewhere.io/x:1')], s, resolver(), { mode: 'pin' });
    expect(out.map(brief)).toEqual(['waived:warn:NO_TRUST_RULE']);
    expect(out[0]).toMatchObject({ rule: '(no rule)', why: 'spec.enforcement: warn' });
  });
});

describe('per-namespace rules', () => {
  it('compileNamespaces: globs on the namespace; "" only for resources without one; * never matches none', () => {
    const m = compileNamespaces(['team-a', 'prod-*']);
    expect([m('team-a'), m('prod-eu'), m('prod-'), m('team-ab'), m('dev'), m(undefined), m('')]).toEqual([true, true, true, false, false, false, false]);
    expect(compileNamespaces(['*'])(undefined)).toBe(false);
    expect(compileNamespaces(['*'])('x')).toBe(true);
    expect(compileNamespaces([''])(undefined)).toBe(true);
    expect(compileNamespaces([''])('x')).toBe(false);
    expect(compileNamespaces(['a.b'])('axb')).toBe(false);
  });

  // The README's evaluation-order example.
  const rollout = spec({
    trust: [
      { name: 'platform', images: ['signed.io/platform/**', 'unsigned.io/platform/**'], rootKeys: [KEY] },
      { name: 'prod', images: ['**'], namespaces: ['prod-*'], rootKeys: [KEY], enforcement: 'enforce' },
      { name: 'dev', images: ['**'], namespaces: ['dev-*', 'team-a'], rootKeys: [KEY], enforcement: 'warn' },
      { name: 'rest', images: ['**'], rootKeys: [KEY], enforcement: 'audit' },
    ],
  });

  it('first matching rule wins, with its namespaces; a later namespaced rule never weakens an earlier rule without namespaces', async () => {
    const r = resolver();
    const ns = async (namespace: string | undefined, image: string) => (await evaluate([pod(namespace, image)], rollout, r, { mode: 'pin' })).map(brief)[0];
    expect(await ns('prod-eu', 'unsigned.io/x:1')).toBe('failed:UNSIGNED');
    expect(await ns('dev-1', 'unsigned.io/x:1')).toBe('waived:warn:UNSIGNED');
    expect(await ns('team-a', 'unsigned.io/x:1')).toBe('waived:warn:UNSIGNED');
    expect(await ns('other', 'unsigned.io/x:1')).toBe('waived:audit:UNSIGNED');
    expect(await ns(undefined, 'unsigned.io/x:1')).toBe('waived:audit:UNSIGNED');
    // platform images are governed by the first rule (enforce) in every namespace, dev ones included
    expect(await ns('dev-1', 'unsigned.io/platform/x:1')).toBe('failed:UNSIGNED');
    expect(await ns('other', 'unsigned.io/platform/x:1')).toBe('failed:UNSIGNED');
    expect(await ns('dev-1', 'signed.io/platform/x:1')).toBe('pinned');
    expect(r.rules).toContain('unsigned.io/platform/x=platform');
  });

  it('one image in two namespaces is planned per namespace (and resolved under each rule)', async () => {
    const r = resolver();
    const out = await evaluate([pod('prod-a', 'unsigned.io/x:1'), pod('dev-a', 'unsigned.io/x:1')], rollout, r, { mode: 'pin' });
    expect(out.map(brief)).toEqual(['failed:UNSIGNED', 'waived:warn:UNSIGNED']);
    expect(r.rules.sort()).toEqual(['unsigned.io/x=dev', 'unsigned.io/x=prod']);
  });

  it('a resource without a namespace matches a rule listing ""', async () => {
    const s = spec({
      trust: [
        { name: 'cluster', images: ['**'], namespaces: [''], rootKeys: [KEY], enforcement: 'warn' },
        { name: 'ns', images: ['**'], rootKeys: [KEY] },
      ],
    });
    const none = await evaluate([pod(undefined, 'unsigned.io/x:1'), pod('a', 'unsigned.io/x:1')], s, resolver(), { mode: 'pin' });
    expect(none.map(brief)).toEqual(['waived:warn:UNSIGNED', 'failed:UNSIGNED']);
  });

  it('namespace patterns are validated', () => {
    expect(() => spec({ trust: [{ images: ['**'], namespaces: ['Prod'], rootKeys: [KEY] }] })).toThrow(/namespace or a glob/);
    expect(() => spec({ trust: [{ images: ['**'], namespaces: [], rootKeys: [KEY] }] })).toThrow();
    expect(() => spec({ enforcement: 'deny', trust: [] })).toThrow(/enforcement/);
  });
});
