import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFile, TufRepoBuilder } from './repo.js';

const REAL = join(import.meta.dirname, '../../../../test/fixtures/notary-real/releases-rotated-snapshot');

/** The JSON "shape": object keys (sorted, map keys that are IDs/tags collapsed) and value types. */
function shape(v: unknown, mapLike = false): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v;
  const o = v as Record<string, unknown>;
  if (mapLike) {
    const first = Object.values(o)[0];
    return first === undefined ? {} : { '*': shape(first) };
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    out[k] = shape(o[k], ['keys', 'targets', 'meta', 'hashes', 'roles'].includes(k) && !Array.isArray(o[k]));
  }
  return out;
}

describe('TufRepoBuilder', () => {
  it('builds the files and key types Notary writes', () => {
    const repo = new TufRepoBuilder({ gun: 'example.com/app', now: new Date('2026-01-01T00:00:00Z') });
    repo.addDelegation('targets/releases');
    repo.addTargetBytes('1.0', new TextEncoder().encode('{"schemaVersion":2}'), 'targets/releases');
    const files = repo.build();
    expect(Object.keys(files).sort()).toEqual(['root', 'snapshot', 'targets', 'targets/releases', 'timestamp']);
    const root = parseFile(files['root']!).signed as { keys: Record<string, { keytype: string }>; expires: string };
    expect(Object.values(root.keys).map((k) => k.keytype).sort()).toEqual(['ecdsa', 'ecdsa', 'ecdsa-x509', 'ed25519']);
    expect(root.expires).toBe('2035-12-30T00:00:00Z');
    expect(parseFile(files['timestamp']!).signatures[0]?.method).toBe('eddsa');
    const rel = parseFile(files['targets/releases']!).signed as { targets: Record<string, { hashes: Record<string, string>; length: number }> };
    expect(Object.keys(rel.targets['1.0']!.hashes).sort()).toEqual(['sha256', 'sha512']);
    expect(rel.targets['1.0']!.length).toBe(19);
  });

  it.skipIf(!existsSync(REAL))('produces metadata with the same shape as real notary-server data', () => {
    const repo = new TufRepoBuilder({ gun: 'example.com/app' });
    repo.addDelegation('targets/releases');
    repo.addTargetBytes('1.0', new TextEncoder().encode('{}'), 'targets/releases');
    const files = repo.build();
    for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) {
      const real = JSON.parse(readFileSync(join(REAL, `${role}.json`), 'utf8')) as unknown;
      const ours = parseFile(files[role]!) as unknown;
      expect(shape(ours), role).toEqual(shape(real));
    }
  });
});
