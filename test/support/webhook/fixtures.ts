/**
 * TEST SUPPORT ONLY. AdmissionReview payloads as the API server sends them (testdata/*.json),
 * a test spec, and the digests the fake resolver treats as signed / unsigned.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpecSchema, type Spec } from '../../../src/config/schema.js';

export const SIGNED = `sha256:${'a'.repeat(64)}`;
export const UNSIGNED = `sha256:${'b'.repeat(64)}`;

export type FixtureName =
  | 'pod-create.v1'
  | 'deployment-update.v1'
  | 'cronjob-create.v1'
  | 'pod-ephemeralcontainers.v1'
  | 'statefulset-create-dryrun.v1'
  | 'configmap-create.v1'
  | 'pod-delete.v1'
  | 'replicaset-create.v1beta1';

/** A fresh, mutable copy of a fixture. */
export function fixture(name: FixtureName): any {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./testdata/${name}.json`, import.meta.url)), 'utf8'));
}

/** The raw bytes of a fixture, exactly as stored. */
export function fixtureText(name: FixtureName): string {
  return readFileSync(fileURLToPath(new URL(`./testdata/${name}.json`, import.meta.url)), 'utf8');
}

/** Trust rule for the local registry; docker.io has none; registry.k8s.io is excluded. */
export function testSpec(extra: Record<string, unknown> = {}): Spec {
  return SpecSchema.parse({
    mode: 'verify',
    exclude: ['registry.k8s.io/**'],
    trust: [{ name: 'local', images: ['127.0.0.1:5000/**'], server: 'https://127.0.0.1:4443' }],
    ...extra,
  });
}
