/**
 * `TufRepoBuilder`: a Notary v1 repository's signed metadata as `notary init` + `notary publish` write
 * it, for tests, fake trust servers and demos; the free functions at the end tamper with built files.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes, canonicalString } from '../tuf/canonical.js';
import { canonicalKeyId, makeKey } from '../tuf/keys.js';
import {
  generateEcdsaKey,
  generateEd25519Key,
  generateRootKey,
  publicKeyJson,
  signatureFor,
  type SignatureJson,
  type TestKey,
} from './keys.js';

/** The built files, by role name (`root`, `timestamp`, `snapshot`, `targets`, `targets/…`). */
export type RepoFiles = Record<string, Uint8Array>;

export interface TargetInput {
  readonly digest: string;
  readonly length: number;
  /** hex sha512, if known (Notary writes both hashes of the file). */
  readonly sha512?: string;
  readonly custom?: unknown;
}

export interface RepoBuilderOptions {
  readonly gun: string;
  /** Reference time for expiries and certificate validity; default now. */
  readonly now?: Date;
  /** Keys to use instead of fresh ones (e.g. to build a later version of the same repository). */
  readonly keys?: Partial<RepoKeys>;
}

/** The top-level keys. `root` is the `ecdsa-x509` key(s) listed in the root role. */
export interface RepoKeys {
  root: TestKey;
  targets: TestKey;
  snapshot: TestKey;
  timestamp: TestKey;
}

interface RoleSettings {
  version: number;
  expires: Date;
  threshold: number;
}

interface DelegationSettings {
  keys: TestKey[];
  threshold: number;
  paths: string[];
}

const DAY = 24 * 3600_000;
const YEAR = 365 * DAY;

const b64 = (b: Uint8Array | Buffer): string => Buffer.from(b).toString('base64');

/** The `meta` entry Notary writes for a metadata file: length, base64 sha256 and sha512. */
export function fileMeta(bytes: Uint8Array): { hashes: Record<string, string>; length: number } {
  return {
    hashes: {
      sha256: b64(createHash('sha256').update(bytes).digest()),
      sha512: b64(createHash('sha512').update(bytes).digest()),
    },
    length: bytes.length,
  };
}

/** RFC 3339 as Go's time.Time JSON would write it (UTC). */
function rfc3339(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

export class TufRepoBuilder {
  readonly gun: string;
  readonly now: Date;
  /** Top-level keys. Replace `keys.root` with `setRootKeys` (rotation) rather than directly. */
  readonly keys: RepoKeys;
  private rootKeys: TestKey[];
  private rootSigners: TestKey[] | undefined;
  private readonly settings = new Map<string, RoleSettings>();
  private readonly signerOverride = new Map<string, TestKey[]>();
  private readonly delegations = new Map<string, DelegationSettings>();
  private readonly targets = new Map<string, Map<string, TargetInput>>();

  constructor(opts: RepoBuilderOptions) {
    this.gun = opts.gun;
    this.now = opts.now ?? new Date();
    this.keys = {
      root: opts.keys?.root ?? generateRootKey({ cn: opts.gun, notBefore: this.now }),
      targets: opts.keys?.targets ?? generateEcdsaKey(),
      snapshot: opts.keys?.snapshot ?? generateEcdsaKey(),
      timestamp: opts.keys?.timestamp ?? generateEd25519Key(),
    };
    this.rootKeys = [this.keys.root];
    const at = (ms: number) => new Date(this.now.getTime() + ms);
    this.settings.set('root', { version: 1, expires: at(10 * YEAR), threshold: 1 });
    this.settings.set('targets', { version: 1, expires: at(3 * YEAR), threshold: 1 });
    this.settings.set('snapshot', { version: 1, expires: at(3 * YEAR), threshold: 1 });
    this.settings.set('timestamp', { version: 1, expires: at(14 * DAY), threshold: 1 });
    this.targets.set('targets', new Map());
  }

  private role(role: string): RoleSettings {
    const s = this.settings.get(role);
    if (!s) throw new Error(`TufRepoBuilder: unknown role ${role}`);
    return s;
  }

  addTarget(tag: string, target: TargetInput, role = 'targets'): this {
    const m = this.targets.get(role);
    if (!m) throw new Error(`TufRepoBuilder: add the delegation ${role} first`);
    if (!/^sha256:[0-9a-f]{64}$/.test(target.digest)) throw new Error(`bad digest ${target.digest}`);
    m.set(tag, target);
    return this;
  }

  /** Adds a target from the exact bytes (e.g. a manifest): sha256, sha512 and length as Notary would. */
  addTargetBytes(tag: string, bytes: Uint8Array, role = 'targets'): this {
    return this.addTarget(
      tag,
      {
        digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
        sha512: createHash('sha512').update(bytes).digest('hex'),
        length: bytes.length,
      },
      role,
    );
  }

  removeTarget(tag: string, role = 'targets'): this {
    this.targets.get(role)?.delete(tag);
    return this;
  }

  /** Declares a delegation in its existing parent (default: new `ecdsa` key, threshold 1, `paths: [""]`). */
  addDelegation(
    role: string,
    opts: { keys?: TestKey[]; threshold?: number; paths?: string[]; expires?: Date } = {},
  ): TestKey {
    const parent = role.slice(0, role.lastIndexOf('/'));
    if (!this.targets.has(parent)) throw new Error(`TufRepoBuilder: parent ${parent} of ${role} does not exist`);
    const keys = opts.keys ?? [generateEcdsaKey()];
    this.delegations.set(role, { keys, threshold: opts.threshold ?? 1, paths: opts.paths ?? [''] });
    this.settings.set(role, {
      version: 1,
      expires: opts.expires ?? new Date(this.now.getTime() + 3 * YEAR),
      threshold: opts.threshold ?? 1,
    });
    if (!this.targets.has(role)) this.targets.set(role, new Map());
    return keys[0]!;
  }

  /** Removes a delegation from its parent, with its targets (what `notary delegation remove` does). */
  removeDelegation(role: string): this {
    this.delegations.delete(role);
    this.targets.delete(role);
    return this;
  }

  delegationKeys(role: string): TestKey[] {
    return this.delegations.get(role)?.keys ?? [];
  }

  setExpires(role: string, expires: Date): this {
    this.role(role).expires = expires;
    return this;
  }

  setVersion(role: string, version: number): this {
    this.role(role).version = version;
    return this;
  }

  bumpVersion(role: string): this {
    this.role(role).version++;
    return this;
  }

  /** Threshold of a top-level role in root, or of a delegation in its parent. */
  setThreshold(role: string, threshold: number): this {
    this.role(role).threshold = threshold;
    const d = this.delegations.get(role);
    if (d) d.threshold = threshold;
    return this;
  }

  /** Sets the keys of a top-level role in root (`root` keys: use `setRootKeys`). */
  setRoleKey(role: 'targets' | 'snapshot' | 'timestamp', key: TestKey): this {
    this.keys[role] = key;
    return this;
  }

  /** Replaces the root role's keys; for a rotation bump the version and pass `signers: [oldKey, newKey]`. */
  setRootKeys(keys: TestKey[], opts: { signers?: TestKey[] } = {}): this {
    this.rootKeys = keys;
    this.keys.root = keys[0]!;
    this.rootSigners = opts.signers;
    return this;
  }

  /** Signs `role` with these keys instead of its own (to build wrongly-signed metadata). */
  signWith(role: string, keys: TestKey[]): this {
    this.signerOverride.set(role, keys);
    return this;
  }

  /** The root key IDs to pin: root.json key IDs and the canonical IDs `notary key list` prints. */
  rootKeyIds(): { keyIds: string[]; canonicalIds: string[] } {
    return {
      keyIds: this.rootKeys.map((k) => k.id),
      canonicalIds: this.rootKeys.map((k) => canonicalKeyId(makeKey(k.keytype, k.public)) ?? k.id),
    };
  }

  private signersOf(role: string): TestKey[] {
    const o = this.signerOverride.get(role);
    if (o) return o;
    if (role === 'root') return this.rootSigners ?? this.rootKeys;
    if (role === 'targets' || role === 'snapshot' || role === 'timestamp') return [this.keys[role]];
    return this.delegations.get(role)?.keys ?? [];
  }

  private signedRoot(): Record<string, unknown> {
    const keys: Record<string, unknown> = {};
    const all = [...this.rootKeys, this.keys.targets, this.keys.snapshot, this.keys.timestamp];
    for (const k of all) keys[k.id] = publicKeyJson(k);
    const roleJson = (ks: TestKey[], role: string) => ({ keyids: ks.map((k) => k.id), threshold: this.role(role).threshold });
    const s = this.role('root');
    return {
      _type: 'Root',
      consistent_snapshot: false,
      expires: rfc3339(s.expires),
      keys,
      roles: {
        root: roleJson(this.rootKeys, 'root'),
        snapshot: roleJson([this.keys.snapshot], 'snapshot'),
        targets: roleJson([this.keys.targets], 'targets'),
        timestamp: roleJson([this.keys.timestamp], 'timestamp'),
      },
      version: s.version,
    };
  }

  private signedTargets(role: string): Record<string, unknown> {
    const targets: Record<string, unknown> = {};
    for (const [tag, t] of this.targets.get(role) ?? []) {
      const hashes: Record<string, string> = { sha256: b64(Buffer.from(t.digest.slice(7), 'hex')) };
      if (t.sha512) hashes['sha512'] = b64(Buffer.from(t.sha512, 'hex'));
      const target: Record<string, unknown> = { hashes, length: t.length };
      if (t.custom !== undefined) target.custom = t.custom; // canonical JSON writes every key it is given
      targets[tag] = target;
    }
    const keys: Record<string, unknown> = {};
    const roles: unknown[] = [];
    for (const [name, d] of this.delegations) {
      if (name.slice(0, name.lastIndexOf('/')) !== role) continue;
      for (const k of d.keys) keys[k.id] = publicKeyJson(k);
      roles.push({ keyids: d.keys.map((k) => k.id), name, paths: d.paths, threshold: d.threshold });
    }
    const s = this.role(role);
    return {
      _type: 'Targets',
      delegations: { keys, roles },
      expires: rfc3339(s.expires),
      targets,
      version: s.version,
    };
  }

  /** Builds every file, signed: root, targets and delegations, snapshot, timestamp. */
  build(): RepoFiles {
    const files: RepoFiles = {};
    files['root'] = signFile(this.signedRoot(), this.signersOf('root'));
    for (const role of this.targets.keys()) files[role] = signFile(this.signedTargets(role), this.signersOf(role));
    const snapMeta: Record<string, unknown> = {};
    for (const [role, bytes] of Object.entries(files)) snapMeta[role] = fileMeta(bytes);
    const snap = this.role('snapshot');
    files['snapshot'] = signFile(
      { _type: 'Snapshot', expires: rfc3339(snap.expires), meta: snapMeta, version: snap.version },
      this.signersOf('snapshot'),
    );
    const ts = this.role('timestamp');
    files['timestamp'] = signFile(
      { _type: 'Timestamp', expires: rfc3339(ts.expires), meta: { snapshot: fileMeta(files['snapshot']) }, version: ts.version },
      this.signersOf('timestamp'),
    );
    return files;
  }
}

export interface MetadataFile {
  signed: Record<string, unknown>;
  signatures: SignatureJson[];
}

/** Serialises a file as Notary does: `{"signed":<canonical JSON>,"signatures":[…]}`. */
export function serializeFile(file: MetadataFile): Uint8Array {
  const text = `{"signed":${canonicalString(file.signed)},"signatures":${JSON.stringify(file.signatures)}}`;
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function parseFile(bytes: Uint8Array): MetadataFile {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as MetadataFile;
}

/** Signs `signed` with `keys` (canonical JSON, as Notary signs) and serialises it. */
export function signFile(signed: Record<string, unknown>, keys: readonly TestKey[]): Uint8Array {
  const msg = canonicalBytes(signed);
  return serializeFile({ signed, signatures: keys.map((k) => signatureFor(k, msg)) });
}

/** Changes `signed` with `mutate` and keeps the old signatures (they no longer verify). */
export function tamper(bytes: Uint8Array, mutate: (signed: Record<string, unknown>) => void): Uint8Array {
  const f = parseFile(bytes);
  mutate(f.signed);
  return serializeFile(f);
}

/** Re-signs a file's `signed` with `keys`, replacing (or, with `keep`, adding to) its signatures. */
export function resign(bytes: Uint8Array, keys: readonly TestKey[], opts: { keep?: boolean } = {}): Uint8Array {
  const f = parseFile(bytes);
  const msg = canonicalBytes(f.signed);
  const sigs = keys.map((k) => signatureFor(k, msg));
  return serializeFile({ signed: f.signed, signatures: opts.keep ? [...f.signatures, ...sigs] : sigs });
}

/** Replaces a file's signatures with `map(signatures)` (drop, duplicate, corrupt …). */
export function editSignatures(bytes: Uint8Array, map: (sigs: SignatureJson[]) => SignatureJson[]): Uint8Array {
  const f = parseFile(bytes);
  return serializeFile({ signed: f.signed, signatures: map(f.signatures) });
}
