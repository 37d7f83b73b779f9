/**
 * The deploy manifests in fn/webhook/ agree with the code: the webhook rules send exactly the
 * kinds decide.ts checks, the Deployment's args point at the mounted config and certificate, the
 * shipped config is valid for the real config loader, and both kustomizations build.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../config/load.js';
import { isChecked } from './decide.js';
import { parseAdmissionReview } from './review.js';
import { fixture } from '../../test/support/webhook/fixtures.js';

const FN = fileURLToPath(new URL('../../fn/webhook/', import.meta.url));
const load = (f: string): any => parse(readFileSync(join(FN, 'base', f), 'utf8'));

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const KIND_OF: Record<string, string> = {
  pods: 'Pod',
  replicationcontrollers: 'ReplicationController',
  podtemplates: 'PodTemplate',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

describe('fn/webhook manifests', () => {
  const vwc = load('validatingwebhookconfiguration.yaml');
  const hook = vwc.webhooks[0];

  it('fails closed, has no side effects, speaks v1 and v1beta1, 10 s timeout', () => {
    expect(vwc.webhooks).toHaveLength(1);
    expect(hook).toMatchObject({
      failurePolicy: 'Fail',
      sideEffects: 'None',
      timeoutSeconds: 10,
      admissionReviewVersions: ['v1', 'v1beta1'],
      clientConfig: { service: { name: 'notary-pin-webhook', namespace: 'notary-pin-system', path: '/validate', port: 443 } },
    });
  });

  it('skips its own namespace and the system namespaces by label expression', () => {
    expect(hook.namespaceSelector.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['notary-pin-system', 'kube-system', 'kube-public', 'kube-node-lease'] },
    ]);
  });

  it('sends exactly the kinds (and pods/ephemeralcontainers) that decide.ts checks', () => {
    const sent = new Set<string>();
    for (const rule of hook.rules) {
      expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
      for (const group of rule.apiGroups as string[]) {
        for (const version of rule.apiVersions as string[]) {
          for (const resource of rule.resources as string[]) {
            const [res, sub] = resource.split('/') as [string, string | undefined];
            const kind = KIND_OF[res];
            expect(kind, resource).toBeDefined();
            const f = fixture('pod-create.v1');
            f.request.kind = { group, version, kind };
            f.request.resource = { group, version, resource: res };
            if (sub !== undefined) f.request.subResource = sub;
            const r = parseAdmissionReview(f);
            if (!r.ok) throw new Error(r.message);
            expect(isChecked(r.review.request), `${group}/${version} ${resource}`).toBe(true);
            sent.add(resource);
          }
        }
      }
    }
    expect([...sent].sort()).toEqual([...Object.keys(KIND_OF), 'pods/ephemeralcontainers'].sort());
  });

  it('runs a hardened Deployment whose args match its mounts', () => {
    const d = load('deployment.yaml');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources.requests).toBeDefined();
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS', port: 'https' });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS', port: 'https' });
    const args: string[] = c.args;
    expect(args[0]).toBe('webhook');
    const arg = (flag: string): string => args[args.indexOf(flag) + 1]!;
    const mount = (name: string): string => c.volumeMounts.find((m: any) => m.name === name).mountPath;
    expect(arg('--config')).toBe(`${mount('config')}/config.yaml`);
    expect(arg('--tls-cert-file')).toBe(`${mount('tls')}/tls.crt`);
    expect(arg('--tls-private-key-file')).toBe(`${mount('tls')}/tls.key`);
    expect(pod.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('notary-pin-webhook-tls');
    expect(pod.volumes.find((v: any) => v.name === 'config').configMap.name).toBe('notary-pin-config');
  });

  it('ships a config the real loader accepts, with its cache dir on a writable volume', () => {
    const cm = load('configmap.yaml');
    const spec = parseFunctionConfig(parse(cm.data['config.yaml']), 'fn/webhook/base/configmap.yaml');
    expect(spec.trust.length).toBeGreaterThan(0);
    const c = load('deployment.yaml').spec.template.spec.containers[0];
    expect(c.volumeMounts.some((m: any) => spec.cacheDir!.startsWith(`${m.mountPath}/`))).toBe(true);
  });

  it.runIf(hasKubectl() || process.env.CI === 'true')('kustomize builds the cert-manager default and the manual-CA overlay', () => {
    const out = execFileSync('kubectl', ['kustomize', FN], { encoding: 'utf8', timeout: 30_000 });
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['Certificate', 'Certificate', 'ConfigMap', 'Deployment', 'Issuer', 'Issuer', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ValidatingWebhookConfiguration'].sort(),
    );
    const v = docs.find((d) => d.kind === 'ValidatingWebhookConfiguration');
    expect(v.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('notary-pin-system/notary-pin-webhook');
    const cert = docs.find((d) => d.kind === 'Certificate' && d.metadata.name === 'notary-pin-webhook');
    expect(cert.spec.secretName).toBe('notary-pin-webhook-tls');
    expect(cert.spec.dnsNames).toContain('notary-pin-webhook.notary-pin-system.svc');

    // manual-ca: generate certificates in a copy, build, and check the caBundle is the CA.
    const tmp = mkdtempSync(join(tmpdir(), 'notary-pin-manifests-'));
    try {
      cpSync(join(FN, 'base'), join(tmp, 'base'), { recursive: true });
      cpSync(join(FN, 'manual-ca'), join(tmp, 'manual-ca'), { recursive: true, filter: (src) => !src.includes(`${join('manual-ca', 'certs')}`) });
      execFileSync('sh', [join(tmp, 'manual-ca', 'gen-certs.sh')], { stdio: 'ignore', timeout: 30_000 });
      const manual = parseAllDocuments(execFileSync('kubectl', ['kustomize', join(tmp, 'manual-ca')], { encoding: 'utf8', timeout: 30_000 })).map((d) => d.toJS());
      const hookM = manual.find((d) => d.kind === 'ValidatingWebhookConfiguration');
      const secret = manual.find((d) => d.kind === 'Secret');
      expect(secret.metadata).toMatchObject({ name: 'notary-pin-webhook-tls', namespace: 'notary-pin-system' });
      expect(secret.type).toBe('kubernetes.io/tls');
      const ca = readFileSync(join(tmp, 'manual-ca', 'certs', 'ca.crt'), 'utf8');
      expect(Buffer.from(hookM.webhooks[0].clientConfig.caBundle, 'base64').toString('utf8')).toBe(ca);
      expect(hookM.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBeUndefined();
      expect(manual.some((d) => d.kind === 'Certificate' || d.kind === 'Issuer')).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
