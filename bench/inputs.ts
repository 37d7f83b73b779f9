/**
 * The bench's inputs: the bundle of Deployments, and an input shaped like argo-cd's `install.yaml`
 * (59 documents, ~1.9 MB, three large CRDs whose long descriptions are plain scalars, some wrapped
 * over several lines, plus the RBAC, ConfigMaps, Services and workloads around them).
 */

/** `n` Deployments, one image each, taken round-robin from `images`, as one `---` stream. */
export function deploymentBundle(images: readonly { reference: string }[], n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const img = images[i % images.length]!;
    docs.push(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: app-${i}`,
        '  namespace: bench',
        'spec:',
        '  replicas: 1',
        '  selector:',
        `    matchLabels: {app: app-${i}}`,
        '  template:',
        '    metadata:',
        `      labels: {app: app-${i}}`,
        '    spec:',
        '      containers:',
        '      - name: main',
        `        image: ${img.reference}`,
        '        ports:',
        '        - containerPort: 8080',
        '',
      ].join('\n'),
    );
  }
  return docs.join('---\n');
}

const WORDS = (
  'the of a to is in field this when for be that name resource if which value set by an must specifies ' +
  'application source target revision sync policy cluster namespace repository path kustomize helm ' +
  'parameters status health operation defaults default controller annotations labels selector template ' +
  'strategy automated prune self heal retry backoff duration limit destination server project roles'
).split(' ');

/** Deterministic pseudo-random words. */
class Words {
  private s = 7;
  next(): string {
    this.s = (this.s * 1103515245 + 12345) % 2 ** 31;
    return WORDS[this.s % WORDS.length]!;
  }
  sentence(n: number): string {
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(this.next());
    const s = w.join(' ');
    return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
  }
}

/**
 * A description as controller-gen writes it: one plain line, or (`wrap`) a plain scalar wrapped
 * over continuation lines indented below its key.
 */
function description(words: Words, indent: string, wrap: boolean): string[] {
  const text = `${words.sentence(12)} ${words.sentence(14)} ${words.sentence(10)}`;
  if (!wrap) return [`${indent}description: ${text}`];
  const lines: string[] = [];
  let line = `${indent}description:`;
  for (const w of text.split(' ')) {
    if (line.length + w.length > 78) {
      lines.push(line);
      line = `${indent}  ${w}`;
    } else line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}

/** An openAPIV3Schema `properties` tree, `depth` levels deep, `width` properties per level. */
function schemaProperties(words: Words, indent: string, depth: number, width: number, wrap: boolean, out: string[]): void {
  out.push(`${indent}properties:`);
  for (let i = 0; i < width; i++) {
    out.push(`${indent}  ${words.next()}${words.next()[0]!.toUpperCase()}${words.next()}${i}:`);
    out.push(...description(words, `${indent}    `, wrap && i % 2 === 0));
    if (depth > 0) {
      out.push(`${indent}    type: object`);
      schemaProperties(words, `${indent}    `, depth - 1, width, wrap, out);
    } else {
      out.push(`${indent}    type: ${i % 3 === 0 ? 'integer' : 'string'}`);
      if (i % 4 === 0) out.push(`${indent}    format: int64`);
    }
  }
}

function crd(words: Words, kind: string, wrap: boolean): string {
  const plural = `${kind.toLowerCase()}s`;
  const out = [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    '  labels:',
    `    app.kubernetes.io/name: ${plural}.argoproj.io`,
    '    app.kubernetes.io/part-of: argocd',
    `  name: ${plural}.argoproj.io`,
    'spec:',
    '  group: argoproj.io',
    '  names:',
    `    kind: ${kind}`,
    `    listKind: ${kind}List`,
    `    plural: ${plural}`,
    `    singular: ${kind.toLowerCase()}`,
    '  scope: Namespaced',
    '  versions:',
    '  - name: v1alpha1',
    '    schema:',
    '      openAPIV3Schema:',
    ...description(words, '        ', wrap),
    '        type: object',
  ];
  schemaProperties(words, '        ', 4, 4, wrap, out);
  out.push('    served: true', '    storage: true', '    subresources: {}');
  return out.join('\n');
}

const component = (name: string, kind: string, extra: string[] = []): string =>
  [
    `apiVersion: ${kind === 'Role' || kind === 'ClusterRole' || kind.endsWith('Binding') ? 'rbac.authorization.k8s.io/v1' : 'v1'}`,
    `kind: ${kind}`,
    'metadata:',
    '  labels:',
    `    app.kubernetes.io/component: ${name}`,
    `    app.kubernetes.io/name: argocd-${name}`,
    '    app.kubernetes.io/part-of: argocd',
    `  name: argocd-${name}`,
    ...extra,
  ].join('\n');

function workload(name: string, kind: 'Deployment' | 'StatefulSet', image: string): string {
  return [
    'apiVersion: apps/v1',
    `kind: ${kind}`,
    'metadata:',
    `  name: argocd-${name}`,
    'spec:',
    '  selector:',
    '    matchLabels:',
    `      app.kubernetes.io/name: argocd-${name}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app.kubernetes.io/name: argocd-${name}`,
    '    spec:',
    '      containers:',
    '      - args:',
    `        - /usr/local/bin/argocd-${name}`,
    '        env:',
    ...Array.from({ length: 12 }, (_, i) => [`        - name: ARGOCD_${name.toUpperCase().replace(/-/g, '_')}_OPTION_${i}`, '          valueFrom:', '            configMapKeyRef:', `              key: ${name}.option.${i}`, '              name: argocd-cmd-params-cm', '              optional: true']).flat(),
    `        image: ${image}`,
    '        imagePullPolicy: Always',
    `        name: argocd-${name}`,
    '        ports:',
    '        - containerPort: 8080',
    '        securityContext:',
    '          allowPrivilegeEscalation: false',
    '          capabilities:',
    '            drop:',
    '            - ALL',
    '          readOnlyRootFilesystem: true',
    '          runAsNonRoot: true',
    `      serviceAccountName: argocd-${name}`,
  ].join('\n');
}

/**
 * An input shaped like argo-cd's install.yaml: 59 documents, ~1.9 MB; 3 CRDs hold plain scalars
 * wrapped over several lines (`wrapped: false` writes every description on one line).
 */
export function argoLikeInstall(image: string, wrapped = true): string {
  const words = new Words();
  const docs: string[] = [];
  docs.push(crd(words, 'Application', wrapped), crd(words, 'ApplicationSet', wrapped), crd(words, 'AppProject', wrapped));
  const names = ['application-controller', 'applicationset-controller', 'dex-server', 'notifications-controller', 'redis', 'repo-server', 'server'];
  for (const n of names) docs.push(component(n, 'ServiceAccount'));
  for (const n of names) docs.push(component(n, 'Role', ['rules:', '- apiGroups:', '  - ""', '  resources:', '  - secrets', '  - configmaps', '  verbs:', '  - get', '  - list', '  - watch']));
  for (const n of names.slice(0, 3)) docs.push(component(n, 'ClusterRole', ['rules:', '- apiGroups:', "  - '*'", '  resources:', "  - '*'", '  verbs:', "  - '*'"]));
  for (const n of names) docs.push(component(n, 'RoleBinding', ['roleRef:', '  apiGroup: rbac.authorization.k8s.io', '  kind: Role', `  name: argocd-${n}`, 'subjects:', '- kind: ServiceAccount', `  name: argocd-${n}`]));
  for (const n of names.slice(0, 3)) docs.push(component(n, 'ClusterRoleBinding', ['roleRef:', '  apiGroup: rbac.authorization.k8s.io', '  kind: ClusterRole', `  name: argocd-${n}`, 'subjects:', '- kind: ServiceAccount', `  name: argocd-${n}`, '  namespace: argocd']));
  for (const n of ['cm', 'cmd-params-cm', 'gpg-keys-cm', 'notifications-cm', 'rbac-cm', 'ssh-known-hosts-cm', 'tls-certs-cm'])
    docs.push(component(n, 'ConfigMap', ['data:', `  ssh_known_hosts: "${'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'.repeat(2)}"`]));
  for (const n of ['notifications-secret', 'secret']) docs.push(component(n, 'Secret', ['type: Opaque']));
  for (const n of [...names, 'server-metrics', 'repo-server-metrics', 'metrics']) docs.push(component(n, 'Service', ['spec:', '  ports:', '  - name: http', '    port: 80', '    protocol: TCP', '    targetPort: 8080', '  selector:', `    app.kubernetes.io/name: argocd-${n}`]));
  for (const n of names.filter((x) => x !== 'application-controller')) docs.push(workload(n, 'Deployment', image));
  docs.push(workload('application-controller', 'StatefulSet', image));
  while (docs.length < 59) docs.push(component(`network-policy-${docs.length}`, 'NetworkPolicy', ['spec:', '  podSelector: {}', '  policyTypes:', '  - Ingress']));
  return `${docs.join('\n---\n')}\n`;
}
