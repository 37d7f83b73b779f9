import { describe, expect, it } from 'vitest';
import { fileOf, resourceRefOf } from './ref.js';

describe('file annotations and resource refs', () => {
  const withAnn = (ann: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: ann } });

  it('reads path and index from kpt / kustomize annotations (internal ones first)', () => {
    expect(fileOf(withAnn({ 'config.kubernetes.io/path': 'a.yaml', 'config.kubernetes.io/index': '2' }))).toEqual({ path: 'a.yaml', index: 2 });
    expect(fileOf(withAnn({ 'internal.config.kubernetes.io/path': 'b.yaml', 'config.kubernetes.io/path': 'old.yaml', 'internal.config.kubernetes.io/index': '0' }))).toEqual({ path: 'b.yaml', index: 0 });
    expect(fileOf(withAnn({ 'config.kubernetes.io/path': 'c.yaml', 'config.kubernetes.io/index': 'x' }))).toEqual({ path: 'c.yaml' });
    expect(fileOf(withAnn({ 'config.kubernetes.io/index': '1' }))).toBeUndefined();
    expect(fileOf({ metadata: null })).toBeUndefined();
    expect(fileOf({})).toBeUndefined();
  });

  it('resourceRefOf takes only string fields', () => {
    expect(resourceRefOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 1, namespace: 'n' } })).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'n' });
    expect(resourceRefOf(null)).toEqual({});
  });
});
