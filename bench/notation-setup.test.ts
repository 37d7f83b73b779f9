import { describe, expect, it } from 'vitest';
import { parseFunctionConfig, readYaml } from '../src/config/load.js';
import { parseTrustPolicy, statementFor } from '../src/trust/notation/trust-policy.js';
import { notationConfigYaml, notationNames, notationTrustPolicy, onHost } from './notation-setup.js';

describe('bench Notation set-up helpers', () => {
  const { names, tags } = notationNames(3, 2);

  it('names repositories and tags', () => {
    expect(names).toEqual(['bench-notation/app00', 'bench-notation/app01', 'bench-notation/app02']);
    expect(tags).toEqual(['v1.0', 'v2.0']);
  });

  it('writes a trust policy notation accepts, scoped to each repository on each host and nothing else', () => {
    const doc = parseTrustPolicy(notationTrustPolicy(['127.0.0.1:5000', '127.0.0.1:6000'], names), 'bench');
    expect(statementFor(doc, '127.0.0.1:6000/bench-notation/app02').signatureVerification.level).toBe('strict');
    expect(statementFor(doc, '127.0.0.1:5000/bench-notation/app00').trustStores).toEqual(['ca:bench']);
    expect(() => statementFor(doc, '127.0.0.1:7000/bench-notation/app00')).toThrow();
  });

  it('writes a config the function accepts: one Notation rule and its registry over plain HTTP', () => {
    const spec = parseFunctionConfig(readYaml(notationConfigYaml({ registryHost: '127.0.0.1:5000', trustPolicy: '/t/p.json', trustStore: '/t/store', cacheDir: '/t/c', mode: 'verify' })));
    expect(spec.mode).toBe('verify');
    expect(spec.cacheDir).toBe('/t/c');
    expect(spec.registries).toMatchObject([{ host: '127.0.0.1:5000', plainHTTP: true }]);
    expect(spec.trust[0]).toMatchObject({ images: ['127.0.0.1:5000/**'], notation: { trustPolicy: '/t/p.json', trustStore: '/t/store' } });
  });

  it('moves images to another host (the delay proxy) keeping name, tag and digest', () => {
    const img = { reference: '127.0.0.1:5000/bench-notation/app00:v1.0', name: 'bench-notation/app00', tag: 'v1.0', digest: `sha256:${'a'.repeat(64)}` };
    expect(onHost([img], '127.0.0.1:6000')).toEqual([{ ...img, reference: '127.0.0.1:6000/bench-notation/app00:v1.0' }]);
  });
});
