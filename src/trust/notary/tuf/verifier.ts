/**
 * The TUF verifier for Notary v1 trust data (`TrustVerifier`, verifier-contract.ts), following the Notary
 * client (client/tufclient.go, tuf/builder.go `repoBuilder`) and TUF §5, each check citing its step.
 * Pure: bytes in, verified state out; every failure is a TRUST_* PinError.
 */
import { PinError } from '../../../errors/errors.js';
import type {
  ExpectedFile,
  SignedTarget,
  TrustVerifier,
  VerifiedState,
  VerifierOptions,
} from './verifier-contract.js';
import { declaredDelegation, neededDelegations } from './delegations.js';
import {
  checkExpiry,
  checkFile,
  checkHashStructure,
  checkType,
  checkVersion,
  expectedFile,
  trustError,
} from './role-checks.js';
import { parseRoot, validateRootTrust, type ParsedRoot } from './root.js';
import { parentRole, type BaseRole } from './roles.js';
import { MetaRoleSchema, parseOrThrow, type FileMeta } from './schema.js';
import { readEnvelope, requireThreshold, type RoleKeys } from './signatures.js';
import { lookupDigest, lookupTag, verifyTargetsFile, type LoadedTargets } from './targets.js';

export function createVerifier(opts: VerifierOptions): TrustVerifier {
  return new Verifier(opts);
}

interface LoadedMeta {
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly expires: Date;
  readonly meta: ReadonlyMap<string, FileMeta>;
}

class Verifier implements TrustVerifier {
  private readonly gun: string;
  private readonly now: Date;
  private root: ParsedRoot | undefined;
  private timestamp: LoadedMeta | undefined;
  private snapshot: LoadedMeta | undefined;
  private readonly targets = new Map<string, LoadedTargets>();

  constructor(private readonly opts: VerifierOptions) {
    this.gun = opts.gun;
    this.now = opts.now ?? new Date();
    if (!Number.isInteger(opts.maxDelegationDepth) || opts.maxDelegationDepth < 0) {
      throw new PinError({ code: 'INTERNAL', message: 'maxDelegationDepth must be a non-negative integer' });
    }
  }

  /** TUF 5.3 (notary `repoBuilder.loadRoot` → `trustpinning.ValidateRoot`). */
  updateRoot(bytes: Uint8Array): void {
    if (this.timestamp) throw this.order('updateRoot after updateTimestamp');
    // TUF 5.3.1/5.3.3: parse; notary `isValidRootStructure` (type, version, base roles, keys).
    const root = parseRoot(bytes, this.gun);
    let trusted = this.root;
    if (!trusted && this.opts.anchor.trustedRoot) {
      trusted = parseRoot(this.opts.anchor.trustedRoot, this.gun, 'the trusted (cached) root');
    }
    if (trusted) this.checkRootSuccession(root, trusted);
    // TUF 5.3.4 + notary trust pinning: signed by the trusted root (rotation) and by itself.
    const { anchor } = this.opts;
    validateRootTrust(root, {
      gun: this.gun,
      now: this.now,
      tofu: anchor.tofu,
      rootKeyIds: anchor.rootKeyIds,
      rootCAs: anchor.rootCAs,
      trusted,
    });
    // TUF 5.3.5 rollback against the version trusted in an earlier run.
    checkVersion(this.gun, 'root', root.version, this.opts.previous?.root);
    // TUF 5.3.10: expiry is checked on the final root only (notary allows expired intermediates).
    this.root = root;
  }

  /** TUF 5.3.5: not older than the trusted root; a different root needs a higher version (notary `VerifyVersion`). */
  private checkRootSuccession(root: ParsedRoot, trusted: ParsedRoot): void {
    const same = Buffer.from(root.env.message).equals(Buffer.from(trusted.env.message));
    if (root.version > trusted.version || (root.version === trusted.version && same)) return;
    throw trustError(
      this.gun,
      'TRUST_ROLLBACK',
      'root',
      root.version < trusted.version
        ? `root version ${root.version} is older than the trusted root version ${trusted.version} (rollback)`
        : `root version ${root.version} differs from the trusted root of the same version`,
      'the trust server is serving an old or forked root; do not trust it until it serves a root that chains from the trusted one',
    );
  }

  /** TUF 5.4 (notary `repoBuilder.loadTimestamp`). */
  updateTimestamp(bytes: Uint8Array): void {
    this.requireFreshRoot();
    if (this.timestamp) throw this.order('timestamp already loaded');
    const { gun } = this;
    const role = 'timestamp';
    const env = readEnvelope(bytes, { gun, role });
    const json = parseOrThrow(MetaRoleSchema, env.envelope.signed, { gun, role });
    checkType(gun, role, json._type, 'timestamp.json');
    // TUF 5.4.1: signed by a threshold of the timestamp keys root lists.
    requireThreshold(env, this.baseRole('timestamp'), {
      gun,
      role,
      label: 'the timestamp role in root',
      hint: 'timestamp.json is not signed by the timestamp key root trusts: the server\'s timestamp key changed without a root update, or the data was tampered with',
    });
    // notary `IsValidTimestampStructure`: snapshot meta with a sha256.
    const meta = new Map(Object.entries(json.meta));
    checkHashStructure(gun, role, 'snapshot', meta.get('snapshot'));
    // TUF 5.4.2: version not lower than the trusted timestamp.
    checkVersion(gun, role, json.version, this.opts.previous?.timestamp);
    // TUF 5.4.4: not expired.
    checkExpiry(gun, this.now, role, json.expires);
    this.timestamp = { bytes, version: json.version, expires: json.expires, meta };
  }

  expectedSnapshot(): ExpectedFile {
    if (!this.timestamp) throw this.order('expectedSnapshot before updateTimestamp');
    return expectedFile('snapshot', this.timestamp.meta.get('snapshot')!);
  }

  /** TUF 5.5 (notary `repoBuilder.loadSnapshot`). */
  updateSnapshot(bytes: Uint8Array): void {
    if (!this.timestamp) throw this.order('updateSnapshot before updateTimestamp');
    if (this.snapshot) throw this.order('snapshot already loaded');
    const { gun } = this;
    const role = 'snapshot';
    // TUF 5.5.2: hashes and length as the timestamp lists them.
    checkFile(gun, role, bytes, this.timestamp.meta.get('snapshot')!, 'timestamp');
    const env = readEnvelope(bytes, { gun, role });
    const json = parseOrThrow(MetaRoleSchema, env.envelope.signed, { gun, role });
    checkType(gun, role, json._type, 'snapshot.json');
    // TUF 5.5.3: signed by a threshold of the snapshot keys root lists.
    requireThreshold(env, this.baseRole('snapshot'), { gun, role, label: 'the snapshot role in root' });
    // notary `IsValidSnapshotStructure`: root and targets listed with a sha256.
    const meta = new Map(Object.entries(json.meta));
    checkHashStructure(gun, role, 'root', meta.get('root'));
    checkHashStructure(gun, role, 'targets', meta.get('targets'));
    // TUF 5.5.5: version not lower than the trusted snapshot.
    checkVersion(gun, role, json.version, this.opts.previous?.snapshot);
    // TUF 5.5.6: not expired.
    checkExpiry(gun, this.now, role, json.expires);
    // notary `validateChecksumsFromSnapshot`: the loaded root must be the one the snapshot lists (mix-and-match).
    checkFile(gun, 'root', this.requireRoot().env.bytes, meta.get('root')!, 'snapshot');
    this.snapshot = { bytes, version: json.version, expires: json.expires, meta };
  }

  expectedTargets(role: string): ExpectedFile | undefined {
    if (!this.snapshot) throw this.order('expectedTargets before updateSnapshot');
    const meta = this.snapshot.meta.get(role);
    return meta ? expectedFile(role, meta) : undefined;
  }

  /** TUF 5.6 (notary `repoBuilder.loadTargets`). */
  updateTargets(bytes: Uint8Array): void {
    if (this.targets.has('targets')) throw this.order('targets already loaded');
    this.loadTargets('targets', bytes, this.baseRole('targets'), 'the targets role in root', ['']);
  }

  /** TUF 5.6.7 (notary `repoBuilder.loadDelegation`, `Repo.GetDelegationRole`). */
  updateDelegation(role: string, bytes: Uint8Array): void {
    const decl = declaredDelegation(this.gun, role, this.targets, this.opts.maxDelegationDepth, (m) => this.order(m));
    this.loadTargets(role, bytes, decl, `the keys ${parentRole(role)} delegates to ${role}`, decl.paths);
  }

  neededDelegations(signers: readonly string[]): ExpectedFile[] {
    if (!this.targets.has('targets')) throw this.order('neededDelegations before updateTargets');
    return neededDelegations(this.gun, signers, this.targets, this.snapshot, this.opts.maxDelegationDepth);
  }

  private loadTargets(role: string, bytes: Uint8Array, signers: RoleKeys, signersLabel: string, paths: readonly string[]): void {
    if (!this.snapshot) throw this.order(`${role} before updateSnapshot`);
    const listed = this.snapshot.meta.get(role);
    if (!listed) {
      throw trustError(
        this.gun,
        'TRUST_MISMATCH',
        role,
        `snapshot does not list ${role}`,
        'notary only loads roles the snapshot lists; the delegation is not published or the files are from different versions',
      );
    }
    const previousVersion = this.opts.previous?.targets?.[role];
    const loaded = verifyTargetsFile({ gun: this.gun, now: this.now, role, bytes, listed, signers, signersLabel, paths, previousVersion });
    this.targets.set(role, loaded);
  }

  lookupTag(tag: string, signers: readonly string[]): SignedTarget | undefined {
    return lookupTag(this.targets, tag, signers);
  }

  lookupDigest(digest: string, signers: readonly string[]): SignedTarget[] {
    return lookupDigest(this.targets, digest, signers);
  }

  state(): VerifiedState {
    const root = this.requireFreshRoot();
    if (!this.timestamp || !this.snapshot) throw this.order('state before updateSnapshot');
    const files: Record<string, Uint8Array> = {
      root: root.env.bytes,
      timestamp: this.timestamp.bytes,
      snapshot: this.snapshot.bytes,
    };
    const targets: Record<string, number> = {};
    let expires = Math.min(root.expires.getTime(), this.timestamp.expires.getTime(), this.snapshot.expires.getTime());
    for (const [name, t] of this.targets) {
      files[name] = t.bytes;
      targets[name] = t.version;
      expires = Math.min(expires, t.expires.getTime());
    }
    return {
      gun: this.gun,
      versions: { root: root.version, timestamp: this.timestamp.version, snapshot: this.snapshot.version, targets },
      expires: new Date(expires),
      files,
    };
  }

  private order(message: string): PinError {
    return new PinError({ code: 'INTERNAL', message: `${this.gun}: verifier used out of order: ${message}` });
  }

  private requireRoot(): ParsedRoot {
    if (!this.root) throw this.order('updateRoot must come first');
    return this.root;
  }

  /** TUF 5.3.10 "check for a freeze attack" on the final root, once the chain of roots is complete. */
  private requireFreshRoot(): ParsedRoot {
    const root = this.requireRoot();
    checkExpiry(this.gun, this.now, 'root', root.expires);
    return root;
  }

  private baseRole(name: BaseRole): RoleKeys {
    const r = this.requireRoot().roles.get(name);
    if (!r) throw this.order(`root has no ${name} role`);
    return r;
  }
}
