/**
 * Static checks of the consumer kits (no external tools): every committed NotaryPin config is valid
 * for the real config loader, catalog metadata and the Argo CD plugin are well formed and agree with
 * the files they name, and the shell scripts are executable POSIX sh.
 */
import { access, constants, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfigFile, parseFunctionConfig } from '../../src/config/load.js';
import { run } from '../support/exec.js';
import { REPO_ROOT } from './support.js';

const FN = join(REPO_ROOT, 'fn');

const readYaml = async (path: string): Promise<Record<string, any>> => parse(await readFile(join(REPO_ROOT, path), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('consumer kits: committed configs', () => {
  const configFiles = [
    'fn/kpt/example/notary-pin.yaml',
    'fn/kustomize/notary-pin-exec.yaml',
    'fn/kustomize/notary-pin-container.yaml',
    'fn/kustomize/example/overlay/notary-pin.yaml',
    'fn/argocd/example/kustomize-app/notary-pin.yaml',
    'fn/argocd/example/plain-app/notary-pin.yaml',
  ];

  it.each(configFiles)('%s is a valid NotaryPin config, as functionConfig and as --config file', async (file) => {
    const spec = parseFunctionConfig(await readYaml(file), file);
    expect(spec.mode).toBe('pin');
    expect(spec.trust.length).toBeGreaterThan(0);
    for (const rule of spec.trust) {
      // Every committed example pins its root: an unpinned root is never trusted.
      expect((rule.rootKeys?.length ?? 0) > 0 || rule.rootCA !== undefined || rule.tofu).toBe(true);
    }
    const fromFile = await loadConfigFile(join(REPO_ROOT, file));
    expect(fromFile.trust.map((r) => r.images)).toEqual(spec.trust.map((r) => r.images));
  });

  it('the kpt example config is local-config (never deployed)', async () => {
    const cfg = await readYaml('fn/kpt/example/notary-pin.yaml');
    expect(cfg.metadata.annotations['config.kubernetes.io/local-config']).toBe('true');
  });

  it('the kustomize KRM function configs carry the function annotation (exec path, container image)', async () => {
    const exec = parse((await readYaml('fn/kustomize/notary-pin-exec.yaml')).metadata.annotations['config.kubernetes.io/function']) as {
      exec: { path: string };
    };
    await access(join(FN, 'kustomize', 'example', 'overlay', exec.exec.path), constants.X_OK);
    const container = parse((await readYaml('fn/kustomize/notary-pin-container.yaml')).metadata.annotations['config.kubernetes.io/function']) as {
      container: { image: string; network: boolean };
    };
    expect(container.container.image).toMatch(/^ghcr\.io\/notary-pin\/notary-pin:\d+\.\d+\.\d+$/);
    expect(container.container.network).toBe(true);
  });
});

describe('consumer kits: kpt', () => {
  it('fn/metadata.yaml has the catalog fields, and its example package exists', async () => {
    const meta = await readYaml('fn/metadata.yaml');
    expect(Object.keys(meta).sort()).toEqual(['description', 'emails', 'examplePackageURLs', 'hidden', 'image', 'license', 'sourceURL', 'tags']);
    expect(meta.image).toBe('ghcr.io/notary-pin/notary-pin');
    expect(meta.tags).toContain('mutator');
    expect(meta.license).toBe('Apache-2.0');
    expect(meta.hidden).toBe(false);
    for (const url of meta.examplePackageURLs as string[]) {
      const path = url.replace(/^https:\/\/github\.com\/[^/]+\/[^/]+\/tree\/[^/]+\//, '');
      expect((await stat(join(REPO_ROOT, path, 'Kptfile'))).isFile()).toBe(true);
    }
  });

  it("the root Kptfile's pipeline execs the wrapper on the example's config", async () => {
    const kptfile = await readYaml('Kptfile');
    const [step] = kptfile.pipeline.mutators as { exec: string }[];
    const [exe, ...args] = step!.exec.split(/\s+/);
    await access(join(REPO_ROOT, exe!), constants.X_OK);
    expect(args).toEqual(['--config', 'fn/kpt/example/notary-pin.yaml']);
    const krmignore = await readFile(join(REPO_ROOT, '.krmignore'), 'utf8');
    expect(krmignore).toContain('!/fn/kpt/example/');
  });
});

describe('consumer kits: Argo CD', () => {
  it('plugin.yaml is a CMP v2 whose generate runs generate.sh from the mounted config, with the parameters it reads', async () => {
    const plugin = await readYaml('fn/argocd/plugin.yaml');
    expect(plugin.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(plugin.kind).toBe('ConfigManagementPlugin');
    expect(plugin.spec.generate.command).toEqual(['/bin/sh', '/home/argocd/cmp-server/config/generate.sh']);
    expect(plugin.spec.discover.fileName).toBe('./notary-pin.yaml');
    const names = (plugin.spec.parameters.static as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(['config', 'mode']);
    const script = await readFile(join(FN, 'argocd', 'generate.sh'), 'utf8');
    for (const n of names) expect(script).toContain(`PARAM_${n.toUpperCase()}`);
  });

  it('the sidecar patch mounts the ConfigMap the Component generates where plugin.yaml expects it', async () => {
    const [patch] = parseAllDocuments(await readFile(join(FN, 'argocd', 'repo-server-patch.yaml'), 'utf8')).map(
      (d) => d.toJS() as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const pod = patch!.spec.template.spec;
    const sidecar = pod.containers.find((c: { name: string }) => c.name === 'notary-pin');
    const mount = sidecar.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/home/argocd/cmp-server/config');
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const component = await readYaml('fn/argocd/kustomization.yaml');
    expect(component.kind).toBe('Component');
    expect(volume.configMap.name).toBe(component.configMapGenerator[0].name);
    expect(component.configMapGenerator[0].files).toEqual(['plugin.yaml', 'generate.sh']);
  });

  it("the install init container uses the image's own node and bundle paths (from the Dockerfile's ENTRYPOINT)", async () => {
    const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const entry = JSON.parse(dockerfile.match(/^ENTRYPOINT (\[.*\])\s*$/m)![1]!) as string[];
    const [patch] = parseAllDocuments(await readFile(join(FN, 'argocd', 'repo-server-patch.yaml'), 'utf8')).map(
      (d) => d.toJS() as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const install = patch!.spec.template.spec.initContainers.find((c: { name: string }) => c.name === 'notary-pin-install');
    expect(install.command[0]).toBe(entry[0]);
    expect(install.command.join(' ')).toContain(`'${entry[1]}'`);
  });
});

describe('consumer kits: shell scripts', () => {
  const scripts = ['fn/kpt/notary-pin', 'fn/kustomize/plugin/notary-pin.dev/v1alpha1/notarypin/NotaryPin', 'fn/argocd/generate.sh'];

  it.each(scripts)('%s is executable, parses with sh -n, and uses no bashisms', async (file) => {
    const path = join(REPO_ROOT, file);
    await access(path, constants.X_OK);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    const res = await run('/bin/sh', ['-n', path], { timeoutMs: 10_000 });
    expect(res.code, res.stderr).toBe(0);
    const code = text
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    for (const bashism of [/\[\[/, /\bpipefail\b/, /^\s*function\s/m, /\blocal\s/, /\$\{[^}]*\/\/[^}]*\}/, /<<</, /\bsource\s/, /\$'/]) {
      expect(code).not.toMatch(bashism);
    }
  });
});
