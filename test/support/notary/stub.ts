/**
 * Test doubles for the orchestration tests: a tiny "stub repository" format and a stub
 * TrustVerifier over it that checks the parts the orchestration depends on (TUF order, hash/length
 * of snapshot/targets/delegations against their parent, the GUN, expiry) — no signatures. The real
 * end-to-end tests use src/trust/notary/tuf/verifier.ts and src/trust/notary/sign/repo.ts.
 */
import { createHash } from 'node:crypto';
import { PinError } from '../../../src/errors/errors.js';
import type { ExpectedFile, SignedTarget, TrustVerifier, VerifiedState, VerifierOptions } from '../../../src/trust/notary/tuf/verifier-contract.js';

const enc = (o: unknown) => new Uint8Array(Buffer.from(JSON.stringify(o)));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const meta = (b: Uint8Array) => ({ length: b.length, sha256: sha(b) });

export interface StubRepoSpec {
  readonly gun: string;
  /** Signed tags per role: `{ targets: { v1: 'sha256:…' }, 'targets/releases': { … } }`. */
  readonly roles: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly expires?: Date;
  readonly version?: number;
}

/** Builds `{ 'root.json': …, 'targets/releases.json': … }` with consistent hashes. */
export function buildStubRepo(spec: StubRepoSpec): Map<string, Uint8Array> {
  const expires = (spec.expires ?? new Date(Date.now() + 3600_000)).toISOString();
  const version = spec.version ?? 1;
  const files = new Map<string, Uint8Array>();
  const roles = Object.keys(spec.roles).includes('targets') ? Object.keys(spec.roles) : ['targets', ...Object.keys(spec.roles)];
  const snapMeta: Record<string, unknown> = {};
  for (const role of roles) {
    const children = roles.filter((r) => r.startsWith(`${role}/`) && !r.slice(role.length + 1).includes('/'));
    const b = enc({ _type: 'targets', role, version, expires, tags: spec.roles[role] ?? {}, delegations: children });
    files.set(`${role}.json`, b);
    snapMeta[role] = meta(b);
  }
  const snapshot = enc({ _type: 'snapshot', version, expires, meta: snapMeta });
  files.set('snapshot.json', snapshot);
  files.set('timestamp.json', enc({ _type: 'timestamp', version, expires, snapshot: meta(snapshot) }));
  files.set('root.json', enc({ _type: 'root', gun: spec.gun, version, expires }));
  return files;
}

interface Parsed {
  _type: string;
  version: number;
  expires: string;
  gun?: string;
  snapshot?: ExpectedFile;
  meta?: Record<string, { length: number; sha256: string }>;
  tags?: Record<string, string>;
  delegations?: string[];
}

function parse(b: Uint8Array, role: string, type: string): Parsed {
  let p: Parsed;
  try {
    p = JSON.parse(Buffer.from(b).toString('utf8')) as Parsed;
  } catch {
    throw new PinError({ code: 'TRUST_MALFORMED', message: `${role} is not JSON`, role });
  }
  if (p._type !== type) throw new PinError({ code: 'TRUST_MISMATCH', message: `${role} is a ${p._type}`, role });
  return p;
}

/** Calls seen by stub verifiers (to assert TUF order). */
export const stubCalls: string[] = [];

/** A verifier over stub repositories. */
export function createStubVerifier(o: VerifierOptions): TrustVerifier {
  const now = o.now ?? new Date();
  let root: Parsed | undefined;
  let ts: Parsed | undefined;
  let snap: Parsed | undefined;
  const targets = new Map<string, Parsed>();
  const files: Record<string, Uint8Array> = {};
  let expires = new Date(8.64e15);
  const check = (p: Parsed, role: string, bytes: Uint8Array) => {
    const e = new Date(p.expires);
    if (e <= now) throw new PinError({ code: 'TRUST_EXPIRED', message: `${role} expired`, role });
    if (e < expires) expires = e;
    files[role] = bytes;
  };
  const matches = (b: Uint8Array, exp: ExpectedFile | undefined, role: string) => {
    if (!exp || exp.length !== b.length || exp.sha256 !== sha(b)) {
      throw new PinError({ code: 'TRUST_MISMATCH', message: `${role} does not match its parent`, role });
    }
  };
  const expectedTargets = (role: string): ExpectedFile | undefined => {
    const m = snap?.meta?.[role];
    return m && { role, length: m.length, sha256: m.sha256 };
  };
  return {
    updateRoot(b) {
      stubCalls.push('root');
      const p = parse(b, 'root', 'root');
      if (p.gun !== o.gun) throw new PinError({ code: 'TRUST_MISMATCH', message: `root is for ${p.gun}, not ${o.gun}`, role: 'root' });
      if (!o.anchor.tofu && !o.anchor.rootKeyIds?.length && !o.anchor.rootCAs?.length) {
        throw new PinError({ code: 'TRUST_ROOT_UNTRUSTED', message: 'no anchor', role: 'root' });
      }
      check(p, 'root', b);
      root = p;
    },
    updateTimestamp(b) {
      stubCalls.push('timestamp');
      if (!root) throw new Error('order');
      const p = parse(b, 'timestamp', 'timestamp');
      if (o.previous?.timestamp !== undefined && p.version < o.previous.timestamp) {
        throw new PinError({ code: 'TRUST_ROLLBACK', message: 'timestamp rolled back', role: 'timestamp' });
      }
      check(p, 'timestamp', b);
      ts = p;
    },
    expectedSnapshot() {
      if (!ts?.snapshot) throw new Error('order');
      return { role: 'snapshot', length: ts.snapshot.length!, sha256: ts.snapshot.sha256! };
    },
    updateSnapshot(b) {
      stubCalls.push('snapshot');
      matches(b, this.expectedSnapshot(), 'snapshot');
      const p = parse(b, 'snapshot', 'snapshot');
      check(p, 'snapshot', b);
      snap = p;
    },
    expectedTargets,
    updateTargets(b) {
      stubCalls.push('targets');
      if (!snap) throw new Error('order');
      matches(b, expectedTargets('targets'), 'targets');
      const p = parse(b, 'targets', 'targets');
      check(p, 'targets', b);
      targets.set('targets', p);
    },
    neededDelegations(signers) {
      const out: ExpectedFile[] = [];
      for (const s of signers) {
        if (s === 'targets' || targets.has(s)) continue;
        // the first unloaded ancestor whose parent is loaded
        const parts = s.split('/');
        for (let i = 2; i <= parts.length; i++) {
          const role = parts.slice(0, i).join('/');
          if (targets.has(role)) continue;
          const parent = targets.get(parts.slice(0, i - 1).join('/'));
          if (parent?.delegations?.includes(role) && i - 1 <= o.maxDelegationDepth) {
            const e = expectedTargets(role);
            if (e && !out.some((x) => x.role === role)) out.push(e);
          }
          break;
        }
      }
      return out;
    },
    updateDelegation(role, b) {
      stubCalls.push(role);
      matches(b, expectedTargets(role), role);
      const p = parse(b, role, 'targets');
      check(p, role, b);
      targets.set(role, p);
    },
    lookupTag(tag, signers): SignedTarget | undefined {
      for (const s of signers) {
        const d = targets.get(s)?.tags?.[tag];
        if (d) return { role: s, name: tag, digest: d, length: 1 };
      }
      return undefined;
    },
    lookupDigest(digest, signers) {
      const out: SignedTarget[] = [];
      for (const s of signers) {
        for (const [name, d] of Object.entries(targets.get(s)?.tags ?? {})) {
          if (d === digest) out.push({ role: s, name, digest: d, length: 1 });
        }
      }
      return out;
    },
    state(): VerifiedState {
      return {
        gun: o.gun,
        versions: {
          root: root?.version ?? 0,
          timestamp: ts?.version ?? 0,
          snapshot: snap?.version ?? 0,
          targets: Object.fromEntries([...targets].map(([k, v]) => [k, v.version])),
        },
        expires,
        files,
      };
    },
  };
}
