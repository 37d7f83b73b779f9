/** Issue 12 item 6: `spec.registries` and a trust rule's `notation`, exactly as the issue writes them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinError } from '../errors/errors.js';
import { loadConfigFile, parseFunctionConfig } from './load.js';

const base = { apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin' };

function configError(fn: () => unknown): PinError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe('CONFIG_INVALID');
    return e as PinError;
  }
  throw new Error('expected CONFIG_INVALID');
}

const ISSUE_EXAMPLE = `apiVersion: notary-pin.dev/v1alpha1
kind: NotaryPin
spec:
  registries:
  - host: registry.example.com:5000
    ca: certs/registry-ca.pem
    plainHTTP: false
    auth: {username: ci, passwordEnv: REGISTRY_PASSWORD}
  trust:
  - name: notation-signed
    images: ["registry.example.com:5000/**"]
    notation:
      trustPolicy: notation/trustpolicy.json   # a file or an inline object
      trustStore: notation/truststore
`;

describe('Notation configuration', () => {
  it('reads the issue\'s example as written; relative paths resolve against the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-notation-cfg-'));
    const file = join(dir, 'notary-pin.yaml');
    writeFileSync(file, ISSUE_EXAMPLE);
    const spec = await loadConfigFile(file);
    expect(spec.registries).toEqual([
      { host: 'registry.example.com:5000', ca: join(dir, 'certs/registry-ca.pem'), plainHTTP: false, auth: { username: 'ci', passwordEnv: 'REGISTRY_PASSWORD' }, timeoutSeconds: 10, maxManifestBytes: 4 * 1024 * 1024, maxBlobBytes: 32 * 1024 * 1024 },
    ]);
    expect(spec.trust[0]!.notation).toEqual({ trustPolicy: join(dir, 'notation/trustpolicy.json'), trustStore: join(dir, 'notation/truststore'), maxSignatures: 10 });
    expect(spec.trust[0]!.server).toBeUndefined();
  });

  it('takes an inline trust policy object (left as is by path resolution) and an empty notation object (notation\'s own directory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-notation-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  trust:\n  - images: ["a.example/**"]\n    notation:\n      trustPolicy: {version: "1.0", trustPolicies: []}\n      maxSignatures: 3\n  - images: ["b.example/**"]\n    notation: {}\n',
    );
    const spec = await loadConfigFile(file);
    expect(spec.trust[0]!.notation).toEqual({ trustPolicy: { version: '1.0', trustPolicies: [] }, trustStore: undefined, maxSignatures: 3 });
    expect(spec.trust[1]!.notation).toEqual({ trustPolicy: undefined, trustStore: undefined, maxSignatures: 10 });
  });

  it('revocation.bundleDir (an offline revocation bundle) resolves like the other paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-notation-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  revocation: {bundleDir: revocation-bundle}\n');
    expect((await loadConfigFile(file)).revocation).toEqual({ bundleDir: join(dir, 'revocation-bundle') });
    expect(configError(() => parseFunctionConfig({ ...base, spec: { revocation: { bundledir: 'x' } } })).message).toContain('did you mean "bundleDir"?');
  });

  it('a ConfigMap carries registries and notation rules as YAML text', () => {
    const spec = parseFunctionConfig({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: {
        registries: '- host: 127.0.0.1:5000\n  plainHTTP: true\n',
        trust: '- images: ["127.0.0.1:5000/**"]\n  notation: {trustPolicy: /etc/np/trustpolicy.json, trustStore: /etc/np/truststore}\n',
      },
    });
    expect(spec.registries[0]!.plainHTTP).toBe(true);
    expect(spec.trust[0]!.notation!.trustStore).toBe('/etc/np/truststore');
  });

  it('a rule may carry both Notary v1 fields and notation (require: all by default); require alone is refused', () => {
    const both = parseFunctionConfig({ ...base, spec: { trust: [{ images: ['**'], server: 'https://notary.example', rootKeys: ['a'.repeat(64)], notation: {} }] } });
    expect(both.trust[0]!.require).toBeUndefined();
    const any = parseFunctionConfig({ ...base, spec: { cacheDir: '/c', trust: [{ images: ['**'], tofu: true, notation: {}, require: 'any' }] } });
    expect(any.trust[0]!.require).toBe('any');
    const e = configError(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['**'], notation: {}, require: 'any' }] } }));
    expect(e.message).toContain('spec.trust[0].require: require (all | any) combines Notary v1 and Notation');
    const v1 = configError(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['**'], server: 'https://notary.example', require: 'all' }] } }));
    expect(v1.message).toContain('spec.trust[0].require');
  });

  it('unknown fields in notation and registries are errors with a suggestion; bad values are named', () => {
    expect(configError(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['**'], notation: { trustPolicies: 'x' } }] } })).message).toContain(
      'trustPolicies: unknown field (did you mean "trustPolicy"?)',
    );
    expect(configError(() => parseFunctionConfig({ ...base, spec: { registries: [{ host: 'r.example', plainHttp: true }] } })).message).toContain(
      'plainHttp: unknown field (did you mean "plainHTTP"?)',
    );
    expect(configError(() => parseFunctionConfig({ ...base, spec: { registries: [{ host: 'r.example', plainHTTP: true }] } })).message).toContain('loopback');
    expect(configError(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['**'], notation: { maxSignatures: 0 } }] } })).message).toContain('maxSignatures');
    expect(configError(() => parseFunctionConfig({ ...base, spec: { registries: [{ host: 'r.example' }, { host: 'R.example' }] } })).message).toContain('same host');
  });
});
