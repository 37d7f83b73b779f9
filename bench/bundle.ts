/** The bench's input: a stream of Deployments, one image each, images in a deterministic shuffled order. */

/** Deterministic shuffle (so the bundle's image order is neither grouped by GUN nor interleaved). */
export function shuffled<T>(xs: readonly T[], seed = 42): T[] {
  const a = xs.slice();
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function bundle(images: readonly { readonly reference: string }[], n: number): string {
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
