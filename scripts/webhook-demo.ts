/**
 * `npm run demo:webhook`: the validating webhook, locally, against a REAL notary-server.
 *
 * Starts notary-server (TLS, memory storage) and a registry on 127.0.0.1, pushes and signs an image
 * with the real `notary` CLI, starts `notary-pin webhook` (the built CLI, as a process) with a config
 * pointing at that server, and sends it two AdmissionReviews the way the API server does: a Pod
 * pinned to the signed digest (allowed) and a Deployment by tag (denied). Prints both answers and
 * stops everything. Needs the Debian packages (scripts/install-system-deps.sh) and `npm run build`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { writeTestPki } from '../src/demo/pki.js';
import { freePort } from '../test/support/daemon.js';
import { findTool, NOTARY_ENV_TOOLS } from '../test/support/find-tool.js';
import { startNotaryEnv } from '../test/support/notary-env.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'notary-pin.mjs');

function review(kind: string, group: string, version: string, object: unknown, operation = 'CREATE') {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version, kind },
      resource: { group, version, resource: `${kind.toLowerCase()}s` },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource: `${kind.toLowerCase()}s` },
      name: (object as { metadata: { name: string } }).metadata.name,
      namespace: 'shop',
      operation,
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

function post(url: string, ca: string, body: unknown): Promise<{ status: number; body: string }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/validate?timeout=10s`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', 'content-length': data.length }, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

async function waitReady(url: string, ca: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${url}/readyz`, { ca, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('webhook did not become ready within 15 s');
}

async function main(): Promise<number> {
  const missing = NOTARY_ENV_TOOLS.filter((t) => !findTool(t));
  if (missing.length > 0) {
    console.error(`demo:webhook needs ${missing.join(', ')}: run scripts/install-system-deps.sh (as root)`);
    return 2;
  }
  if (!existsSync(bundle)) {
    console.error('dist/notary-pin.mjs is missing: run "npm run build" (npm ci does it too)');
    return 2;
  }
  const env = await startNotaryEnv({ repos: [{ name: 'shop/web', tags: ['1.0'], sign: 'releases' }] });
  const work = mkdtempSync(join(tmpdir(), 'np-webhook-demo-'));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const image = env.images['shop/web:1.0']!;
    const pki = writeTestPki(work);
    const config = join(work, 'notary-pin.yaml');
    writeFileSync(
      config,
      stringify({
        apiVersion: 'notary-pin.dev/v1alpha1',
        kind: 'NotaryPin',
        spec: {
          mode: 'verify',
          trust: [{ images: [`${env.registryHost}/**`], server: env.notaryUrl, ca: env.caFile, rootKeys: env.rootKeyIds[image.gun] }],
        },
      }),
    );
    const port = await freePort();
    child = spawn(
      process.execPath,
      [bundle, 'webhook', '--config', config, '--tls-cert-file', pki.certFile, '--tls-private-key-file', pki.keyFile, '--port', String(port), '--host', '127.0.0.1'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const url = `https://127.0.0.1:${port}`;
    await waitReady(url, pki.caPem);
    console.log(`notary-server ${env.notaryUrl}, registry ${env.registryHost}, webhook ${url}`);
    console.log(`signed (targets/releases): ${image.reference} = ${image.digest}\n`);

    const pinned = `${image.reference}@${image.digest}`;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: pinned }] } };
    const byTag = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: image.reference }] } } },
    };
    for (const [what, body] of [
      [`Pod with ${pinned}`, review('Pod', '', 'v1', pod)],
      [`Deployment with ${image.reference}`, review('Deployment', 'apps', 'v1', byTag)],
    ] as const) {
      const res = await post(url, pki.caPem, body);
      const answer = (JSON.parse(res.body) as { response: { allowed: boolean; status?: { code: number; message: string } } }).response;
      console.log(`${what}\n  -> HTTP ${res.status}, allowed: ${answer.allowed}${answer.status ? `, ${answer.status.code}: ${answer.status.message}` : ''}\n`);
    }
    return 0;
  } finally {
    child?.kill('SIGTERM');
    await env.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
