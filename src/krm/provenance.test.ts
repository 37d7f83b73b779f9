import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { ok } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';
import { runKrm } from './run.js';
import { PROVENANCE_ANNOTATION, renderProvenance } from './provenance.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const specOf = (extra: Record<string, unknown>) =>
  parseFunctionConfig({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: { trust: [{ images: ['**'], rootKeys: ['a'.repeat(64)] }], ...extra } });

/** x.io/b is signed with Notation by a certificate subject, the rest by a Notary role. */
const resolver: Resolver = {
  resolve: async (ref) =>
    ok(
      ref.repository === 'x.io/b'
        ? { digest: D2, system: 'notation' as const, signer: 'CN=Builder "é",O=Acme', role: 'x509', gun: ref.repository }
        : { digest: D1, role: 'targets/releases', gun: ref.repository },
    ),
};

const INPUT = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web # the web tier',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '      - name: z',
  '        image: x.io/b:2',
  '      initContainers:',
  '      - {name: a, image: "x.io/a"}',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap # no images',
  'metadata: {name: c}',
  '---',
  'apiVersion: v1',
  'kind: Pod',
  'metadata: {name: skipped}',
  'spec: {containers: [{name: e, image: "excluded.io/e:1"}]}',
  '',
].join('\n');

describe('spec.provenance: annotation', () => {
  it('annotates resources with pinned images (sorted, compact) and nothing else; a re-run is byte-identical', async () => {
    const spec = specOf({ provenance: 'annotation', exclude: ['excluded.io/**'] });
    const r = await runKrm(INPUT, { resolverFor: () => resolver, spec });
    expect(r.exitCode).toBe(0);
    const docs = r.stdout.split('---\n');
    expect(docs[1]).toBe(INPUT.split('---\n')[1]);
    expect(docs[2]).toBe(INPUT.split('---\n')[2]);
    const value = parse(docs[0]!).metadata.annotations[PROVENANCE_ANNOTATION] as string;
    expect(JSON.parse(value)).toEqual([
      { path: 'spec.template.spec.containers[0].image', ref: 'x.io/b:2', digest: D2, system: 'notation', signer: 'CN=Builder "é",O=Acme' },
      { path: 'spec.template.spec.initContainers[0].image', ref: 'x.io/a:latest', digest: D1, system: 'notary', signer: 'targets/releases' },
    ]);
    expect(value).toMatch(/^[\x20-\x7e]+$/); // one line of ASCII: é is escaped
    expect(docs[0]).toContain('  name: web # the web tier\n');
    const again = await runKrm(r.stdout, { resolverFor: () => resolver, spec });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(r.stdout);
  });

  it('is off by default, and verify mode never writes it', async () => {
    const off = await runKrm(INPUT, { resolverFor: () => resolver, spec: specOf({ exclude: ['excluded.io/**'] }) });
    expect(off.stdout).not.toContain(PROVENANCE_ANNOTATION);
    const pinned = off.stdout;
    const verify = await runKrm(pinned, { resolverFor: () => resolver, spec: specOf({ provenance: 'annotation', mode: 'verify', exclude: ['excluded.io/**'] }) });
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toBe(pinned);
  });

  it('a failed run writes no annotation (the input comes back unchanged)', async () => {
    const rl = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${INPUT.split('---\n')
      .map((d) => `- ${d.trimEnd().split('\n').join('\n  ')}\n`)
      .join('')}`;
    const r = await runKrm(rl, { resolverFor: () => resolver, spec: specOf({ provenance: 'annotation' }) });
    const failing = await runKrm(rl.replace('x.io/a', 'x.io/a:bad tag'), { resolverFor: () => resolver, spec: specOf({ provenance: 'annotation' }) });
    expect(r.exitCode).toBe(0);
    expect(failing.exitCode).toBe(1);
    expect(failing.stdout).not.toContain(PROVENANCE_ANNOTATION);
  });

  it('metadata shared through an anchor is refused (INPUT_INVALID) and the input comes back unchanged', async () => {
    const rl = [
      'apiVersion: config.kubernetes.io/v1',
      'kind: ResourceList',
      'items:',
      '- {apiVersion: v1, kind: Pod, metadata: &m {name: a}, spec: {containers: [{name: c, image: "x.io/a:1"}]}}',
      '- {apiVersion: v1, kind: Pod, metadata: *m, spec: {containers: [{name: c, image: "x.io/a:1"}]}}',
      '',
    ].join('\n');
    const r = await runKrm(rl, { resolverFor: () => resolver, spec: specOf({ provenance: 'annotation' }) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.startsWith(rl)).toBe(true); // the items as they were, then the results
    expect(r.stdout).not.toContain(PROVENANCE_ANNOTATION);
    expect(r.stderr.join('\n')).toContain('cannot add the provenance annotation: metadata has a YAML anchor or tag');
    expect(r.stderr.join('\n')).toContain('INPUT_INVALID');
  });

  it('renders deterministically whatever the order of the entries', () => {
    const a = { path: 'b', ref: 'r', digest: D1, system: 'notary' as const, signer: 's' };
    const b = { ...a, path: 'a' };
    expect(renderProvenance([a, b])).toBe(renderProvenance([b, a]));
    expect(renderProvenance([a, b]).startsWith('[{"path":"a","ref":"r","digest"')).toBe(true);
  });
});
