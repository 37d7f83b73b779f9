/** The demo's input: a ResourceList as kpt sends it (comments, path annotation, workloads); busybox is excluded. */
export const DEMO_REGISTRY = 'registry.demo.notary-pin.dev';

export const DEMO_INPUT = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# The shop's storefront. Reviewers see the tag and the pinned digest side by side.
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: storefront
    namespace: shop
    annotations:
      config.kubernetes.io/path: 'shop/storefront.yaml'
  spec:
    replicas: 3
    selector:
      matchLabels: {app: storefront}
    template:
      metadata:
        labels: {app: storefront}
      spec:
        initContainers:
        - name: migrate
          image: "${DEMO_REGISTRY}/shop/migrations:3.1.0" # signed in targets
        containers:
        - name: web
          image: ${DEMO_REGISTRY}/shop/storefront:1.4.2 # signed in targets/releases
          ports:
          - containerPort: 8080
        - name: log-shipper
          image: busybox:1.36 # excluded by spec.exclude
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: nightly-report
    namespace: shop
    annotations:
      config.kubernetes.io/path: 'shop/report.yaml'
  spec:
    schedule: "0 3 * * *"
    jobTemplate:
      spec:
        template:
          spec:
            restartPolicy: OnFailure
            containers:
            - name: report
              image: '${DEMO_REGISTRY}/shop/report:2024.11' # same tag, also signed
- apiVersion: v1
  kind: ConfigMap # no images: passes through untouched
  metadata:
    name: storefront-settings
    namespace: shop
  data:
    currency: EUR
`;

/** A Deployment whose image on the demo's registry carries a Notation signature. */
export function notationDemoItem(host: string): string {
  return `# The checkout service: signed with Notation (a Notary Project signature stored in the registry).
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: checkout
    namespace: shop
    annotations:
      config.kubernetes.io/path: 'shop/checkout.yaml'
  spec:
    template:
      spec:
        containers:
        - name: checkout
          image: ${host}/shop/checkout:2.0.0 # Notation-signed
`;
}

export function unsignedDemoInput(host: string): string {
  return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: experiment
    namespace: shop
  spec:
    containers:
    - name: experiment
      image: ${host}/shop/experimental:0.1 # pushed, never signed
`;
}
