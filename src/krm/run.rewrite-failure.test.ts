/**
 * When a rewrite fails after every image resolved (here: the read-back check refuses the output),
 * the run fails as a whole and the output carries no partial edit: the original items plus results.
 */
import { parse } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { PinError, ok } from '../errors/errors.js';
import type { Resolver } from '../engine/port.js';

vi.mock('../manifest/write.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../manifest/write.js')>();
  let calls = 0;
  return {
    ...real,
    // the first serialisation (the rewritten output, as pieces) fails; later ones are real
    serializeParts: (...args: Parameters<typeof real.serializeParts>) => {
      if (calls++ === 0) throw new PinError({ code: 'INTERNAL', message: 'the rewritten manifests did not read back as intended' });
      return real.serializeParts(...args);
    },
  };
});

const { runKrm } = await import('./run.js');

describe('runKrm when a rewrite fails', () => {
  it('writes the input unchanged plus an error result, exit 1', async () => {
    const D1 = `sha256:${'1'.repeat(64)}`;
    const spec = parseFunctionConfig({ apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin', spec: { trust: [{ images: ['**'], rootKeys: ['a'.repeat(64)] }] } });
    const resolver: Resolver = { resolve: async (ref) => ok({ digest: D1, role: 'targets', gun: ref.repository }) };
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - {name: a, image: "x.io/a:1"}\n';
    const r = await runKrm(input, { resolverFor: () => resolver, spec });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.startsWith(input)).toBe(true);
    expect(r.stdout).not.toContain(`x.io/a:1@${D1}"}`);
    const out = parse(r.stdout) as { results: Array<{ severity: string; tags?: { code?: string } }> };
    expect(out.results.some((x) => x.severity === 'error' && x.tags?.code === 'INTERNAL')).toBe(true);
    expect(r.stderr.join('\n')).toContain('INTERNAL');
  });
});
