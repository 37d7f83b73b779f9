import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinError } from '../errors/errors.js';
import { defaultSpec, loadConfigFile, parseFunctionConfig } from './load.js';

const base = { apiVersion: 'notary-pin.dev/v1alpha1', kind: 'NotaryPin' };

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    return { code: (e as PinError).code, message: (e as PinError).message };
  }
  throw new Error('expected an error');
}

describe('parseFunctionConfig', () => {
  it('gives defaults without a config', () => {
    const spec = parseFunctionConfig(undefined);
    expect(spec).toEqual(defaultSpec());
    expect(spec.mode).toBe('pin');
    expect(spec.reference).toBe('tag-and-digest');
    expect(spec.trust).toEqual([]);
    expect(spec.concurrency).toBe(64);
  });

  it('parses a full NotaryPin config with rule defaults filled in', () => {
    const spec = parseFunctionConfig({
      ...base,
      metadata: { name: 'pin', annotations: { 'config.kubernetes.io/local-config': 'true' } },
      spec: {
        mode: 'verify',
        reference: 'digest',
        exclude: ['docker.io/library/busybox:*'],
        trust: [
          {
            images: ['127.0.0.1:5000/**'],
            server: 'https://127.0.0.1:4443',
            ca: '/etc/ca.pem',
            rootKeys: ['a'.repeat(64)],
            signers: ['targets/releases'],
          },
        ],
        imageFields: [{ kind: 'MyApp', path: 'spec.components[].image' }],
      },
    });
    expect(spec.mode).toBe('verify');
    expect(spec.reference).toBe('digest');
    expect(spec.trust[0]).toMatchObject({ tofu: false, timeoutSeconds: 10, maxDelegationDepth: 4 });
    expect(spec.imageFields[0]!.path).toBe('spec.components[].image');
  });

  it('names an unknown field and suggests the right one', () => {
    const e = codeOf(() =>
      parseFunctionConfig({ ...base, spec: { trust: [{ images: ['x'], sever: 'https://a' }] } }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('spec.trust[0].sever: unknown field');
    expect(e.message).toContain('did you mean "server"');
  });

  it('names an unknown top-level spec field', () => {
    const e = codeOf(() => parseFunctionConfig({ ...base, spec: { mdoe: 'pin' } }));
    expect(e.message).toContain('spec.mdoe: unknown field');
    expect(e.message).toContain('did you mean "mode"');
  });

  it('rejects wrong enum values, bad key IDs and bad URLs with their paths', () => {
    expect(codeOf(() => parseFunctionConfig({ ...base, spec: { mode: 'mutate' } })).message).toContain('spec.mode');
    expect(
      codeOf(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['x'], rootKeys: ['abc'] }] } })).message,
    ).toContain('spec.trust[0].rootKeys[0]');
    expect(
      codeOf(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['x'], server: 'ftp://x' }] } })).message,
    ).toContain('spec.trust[0].server');
    expect(
      codeOf(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: [] }] } })).message,
    ).toContain('spec.trust[0].images');
  });

  it('rejects tofu: true without spec.cacheDir when the config is loaded (not per image), unless the rule pins', () => {
    const e = codeOf(() => parseFunctionConfig({ ...base, spec: { trust: [{ images: ['x'] }, { images: ['y'], tofu: true }] } }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('spec.trust[1].tofu: tofu: true needs spec.cacheDir');
    expect(parseFunctionConfig({ ...base, spec: { cacheDir: '/c', trust: [{ images: ['y'], tofu: true }] } }).trust[0]!.tofu).toBe(true);
    expect(parseFunctionConfig({ ...base, spec: { trust: [{ images: ['y'], tofu: true, rootKeys: ['ab'.repeat(32)] }] } }).trust).toHaveLength(1);
    const cm = codeOf(() => parseFunctionConfig({ apiVersion: 'v1', kind: 'ConfigMap', data: { trust: '- images: ["**"]\n  tofu: true\n' } }));
    expect(cm.message).toContain('data: trust[0].tofu');
  });

  it('rejects a wrong kind, a list and a scalar', () => {
    expect(codeOf(() => parseFunctionConfig({ apiVersion: 'v1', kind: 'Secret' })).message).toContain('"Secret"');
    expect(codeOf(() => parseFunctionConfig([1, 2])).message).toContain('a list');
    expect(codeOf(() => parseFunctionConfig('pin')).message).toContain('must be a mapping');
  });

  it('accepts a ConfigMap with the same keys in data', () => {
    const spec = parseFunctionConfig({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: {
        mode: 'verify',
        reference: 'digest',
        concurrency: '4',
        exclude: '- gcr.io/**\n- quay.io/*\n',
        trust: '- images: ["**"]\n  tofu: true\n',
        cacheDir: '/var/cache/notary-pin',
      },
    });
    expect(spec).toMatchObject({ mode: 'verify', reference: 'digest', concurrency: 4, exclude: ['gcr.io/**', 'quay.io/*'] });
    expect(spec.trust[0]!.tofu).toBe(true);
  });

  it('rejects unknown ConfigMap keys and non-string values', () => {
    expect(codeOf(() => parseFunctionConfig({ kind: 'ConfigMap', data: { trsut: '[]' } })).message).toContain(
      'data.trsut: unknown field (did you mean "trust"?)',
    );
    expect(codeOf(() => parseFunctionConfig({ kind: 'ConfigMap', data: { concurrency: 4 } })).message).toContain(
      'must be a string',
    );
    expect(codeOf(() => parseFunctionConfig({ kind: 'ConfigMap', data: { concurrency: 'many' } })).message).toContain(
      'expected a number',
    );
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-config-'));

  it('loads YAML', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, `apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  mode: verify\n`);
    expect((await loadConfigFile(file)).mode).toBe('verify');
  });

  it('resolves relative paths against the config file directory, leaving PEM and absolute paths alone', async () => {
    const file = join(dir, 'paths.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: notary-pin.dev/v1alpha1',
        'kind: NotaryPin',
        'spec:',
        '  cacheDir: cache',
        '  trust:',
        '  - images: ["**"]',
        '    ca: certs/ca.pem',
        '    rootCA: "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"',
        '    trustDir: /abs/trust',
        '    auth: {passwordFile: secret.txt}',
        '',
      ].join('\n'),
    );
    const spec = await loadConfigFile(file);
    expect(spec.cacheDir).toBe(join(dir, 'cache'));
    expect(spec.trust[0]!.ca).toBe(join(dir, 'certs/ca.pem'));
    expect(spec.trust[0]!.rootCA).toContain('-----BEGIN CERTIFICATE-----');
    expect(spec.trust[0]!.trustDir).toBe('/abs/trust');
    expect(spec.trust[0]!.auth!.passwordFile).toBe(join(dir, 'secret.txt'));
  });

  it('resolves relative paths against an explicit base directory when given', async () => {
    const file = join(dir, 'based.yaml');
    writeFileSync(file, 'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  trust:\n  - images: ["**"]\n    trustDir: vendored\n');
    const spec = await loadConfigFile(file, '/srv/app');
    expect(spec.trust[0]!.trustDir).toBe('/srv/app/vendored');
  });

  it('reports a missing file and broken YAML as CONFIG_INVALID', async () => {
    await expect(loadConfigFile(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'spec: [unclosed\n');
    await expect(loadConfigFile(bad)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('not valid YAML') });
  });
});

describe('readYaml (config files)', () => {
  it('reads every config file in the repository exactly as the yaml library does', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const { readYaml } = await import('./load.js');
    const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => f !== '' && !f.includes('bad-input'));
    let compared = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      let expected: unknown;
      try {
        expected = parse(text, { maxAliasCount: 100, uniqueKeys: true });
      } catch {
        continue; // multi-document files and the like: not config files
      }
      expect(readYaml(text), f).toEqual(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('takes the yaml library for anchors, aliases, tags and directives (alias expansion stays bounded)', async () => {
    const { readYaml } = await import('./load.js');
    expect(readYaml('a: &x [1]\nb: *x\n')).toEqual({ a: [1], b: [1] });
    expect(readYaml('images: ["r.io/**", r.io/**]\n')).toEqual({ images: ['r.io/**', 'r.io/**'] });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(() => readYaml(bomb)).toThrow(/alias/i);
    expect(() => readYaml('a: 1\na: 2\n')).toThrow();
    expect(() => readYaml('a: 1\n---\nb: 2\n')).toThrow();
  });
});

describe('image field coverage settings', () => {
  it('takes presets by name, ignoreImageFields and coverage, in both config forms', () => {
    const spec = parseFunctionConfig({ ...base, spec: { presets: ['tekton', 'argo-rollouts'], ignoreImageFields: [{ kind: 'ConfigMap', path: 'data.image' }], coverage: 'strict' } });
    expect([spec.presets, spec.ignoreImageFields, spec.coverage]).toEqual([['tekton', 'argo-rollouts'], [{ kind: 'ConfigMap', path: 'data.image' }], 'strict']);
    const cm = parseFunctionConfig({ apiVersion: 'v1', kind: 'ConfigMap', data: { presets: '[knative-serving]', coverage: 'strict' } });
    expect([cm.presets, cm.coverage]).toEqual([['knative-serving'], 'strict']);
    expect([defaultSpec().presets, defaultSpec().ignoreImageFields, defaultSpec().coverage]).toEqual([[], [], 'warn']);
  });

  it('refuses an unknown preset, coverage mode or ignoreImageFields key', () => {
    expect(codeOf(() => parseFunctionConfig({ ...base, spec: { presets: ['argo'] } })).code).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseFunctionConfig({ ...base, spec: { coverage: 'lenient' } })).code).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseFunctionConfig({ ...base, spec: { ignoreImageFields: [{ kind: 'X', path: 'a', extra: 1 }] } })).code).toBe('CONFIG_INVALID');
  });
});
