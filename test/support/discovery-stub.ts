/**
 * TEST SUPPORT ONLY: the smallest API server `kubectl apply --dry-run=client` needs — discovery
 * documents for the kinds our manifests use, and 404 for every object (so each one is a dry-run
 * create). Plain HTTP on 127.0.0.1; nothing is stored. It records the requests it saw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Kind {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

/** The kinds fn/webhook deploys (core, apps, policy, admissionregistration, cert-manager). */
export const WEBHOOK_KINDS: readonly Kind[] = [
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', namespaced: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', resource: 'validatingwebhookconfigurations', namespaced: false },
  { group: 'cert-manager.io', version: 'v1', kind: 'Issuer', resource: 'issuers', namespaced: true },
  { group: 'cert-manager.io', version: 'v1', kind: 'Certificate', resource: 'certificates', namespaced: true },
];

export interface DiscoveryStub {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startDiscoveryStub(kinds: readonly Kind[] = WEBHOOK_KINDS): Promise<DiscoveryStub> {
  const requests: string[] = [];
  const groups = [...new Set(kinds.filter((k) => k.group !== '').map((k) => `${k.group}/${k.version}`))];
  const resourceList = (gv: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: kinds
      .filter((k) => (k.group === '' ? k.version : `${k.group}/${k.version}`) === gv)
      .map((k) => ({ name: k.resource, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
  });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (path === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/api/v1') return json(200, resourceList('v1'));
    if (path === '/apis') {
      return json(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...new Set(groups.map((gv) => gv.split('/')[0]!))].map((name) => {
          const versions = groups.filter((gv) => gv.startsWith(`${name}/`)).map((gv) => ({ groupVersion: gv, version: gv.split('/')[1]! }));
          return { name, versions, preferredVersion: versions[0] };
        }),
      });
    }
    const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (gv && groups.includes(gv[1]!)) return json(200, resourceList(gv[1]!));
    if (path === '/version') return json(200, { major: '1', minor: '32', gitVersion: 'v1.32.0-stub' });
    // Any object: not found, so `apply` plans a create.
    return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found (discovery stub)' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
