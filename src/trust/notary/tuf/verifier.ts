/**
 * The TUF verifier for Notary v1 trust data: `createVerifier` implements `TrustVerifier` (api.ts).
 *
 * It follows the Notary client (client/tufclient.go + tuf/builder.go `repoBuilder`) and the TUF
 * specification's "Detailed client workflow" (section 5); each check cites the step it implements.
 * It is pure: bytes in, verified state out; every failure is a PinError with a TRUST_* code.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { PinError } from '../../../errors/errors.js';
import type {
  ExpectedFile,
  SignedTarget,
  TrustVerifier,
  VerifiedState,
  VerifierOptions,
} from './verifier-contract.js';
import { humanDuration } from './humanize.js';
import { makeKey, type TufKey } from './keys.js';
import { parseRoot, validateRootTrust, type ParsedRoot } from './root.js';
import {
  delegationChain,
  delegationDepth,
  expectedType,
  isDelegationName,
  parentRole,
  pathAllowed,
  restrictPaths,
  type BaseRole,
} from './roles.js';
import {
  MetaRoleSchema,
  parseOrThrow,
  TargetsSchema,
  type FileMeta,
  type MetaRoleJson,
  type TargetsJson,
} from './schema.js';
import {
  MAX_DECLARED_KEYS,
  MAX_ROLE_KEYS,
  readEnvelope,
  requireThreshold,
  tooMany,
  type Envelope,
  type RoleKeys,
} from './signatures.js';

/** Creates a verifier for one GUN and one fetch. */
export function createVerifier(opts: VerifierOptions): TrustVerifier {
  return new Verifier(opts);
}

/** A delegation as its parent declares it, with paths already restricted to the parent's. */
interface Delegation extends RoleKeys {
  readonly paths: readonly string[];
}

/** A verified targets role (top-level or delegated). */
interface LoadedTargets {
  readonly role: string;
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly expires: Date;
  /** Paths this role may sign for (targets: [""], i.e. everything). */
  readonly paths: readonly string[];
  readonly targets: ReadonlyMap<string, FileMeta>;
  readonly delegations: ReadonlyMap<string, Delegation>;
}

interface LoadedMeta {
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly expires: Date;
  readonly meta: ReadonlyMap<string, FileMeta>;
}

/** Who must act when a role expires (message) and how (hint). */
const EXPIRY_ADVICE: Record<'root' | 'timestamp' | 'snapshot' | 'targets', { who: string; hint: string }> = {
  root: {
    who: 'the repository owner must re-sign root with the root key',
    hint: 'the owner must publish a new root (for example via notary key rotate <GUN> root); check this machine\'s clock if the date looks wrong',
  },
  timestamp: {
    who: "the server's timestamp key must re-sign",
    hint: 'check that notary-server (and notary-signer) are running and can sign timestamps; check this machine\'s clock',
  },
  snapshot: {
    who: 'the snapshot key must re-sign',
    hint: 'the server re-signs snapshot if it holds the snapshot key; otherwise the publisher must run notary publish',
  },
  targets: {
    who: 'the publisher must re-sign',
    hint: 'the role\'s key holder must re-sign it (notary publish after a change, or notary witness <GUN> <role>)',
  },
};

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function entries<T>(r: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(r));
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

  // ---------------------------------------------------------------- helpers

  private err(code: PinError['code'], role: string, message: string, hint: string): PinError {
    return new PinError({ code, role, message: `${this.gun}: ${message}`, hint });
  }

  private order(message: string): PinError {
    return new PinError({ code: 'INTERNAL', message: `${this.gun}: verifier used out of order: ${message}` });
  }

  /** TUF 5.x "check for a freeze attack": expires must not be before now (notary `IsExpired`). */
  private checkExpiry(role: string, expires: Date): void {
    if (expires.getTime() < this.now.getTime()) {
      const base = role === 'root' || role === 'timestamp' || role === 'snapshot' ? role : 'targets';
      const { who, hint } = EXPIRY_ADVICE[base];
      throw this.err(
        'TRUST_EXPIRED',
        role,
        `${role} expired ${humanDuration(this.now.getTime() - expires.getTime())} ago (${expires.toISOString()}): ${who}`,
        hint,
      );
    }
  }

  /** TUF 5.x "check for a rollback attack" (notary `VerifyVersion`: version >= the trusted one). */
  private checkVersion(role: string, version: number, min: number | undefined): void {
    if (version < 1) {
      throw this.err('TRUST_MALFORMED', role, `${role} version ${version} is below 1`, 'the trust data is corrupt');
    }
    if (min !== undefined && version < min) {
      throw this.err(
        'TRUST_ROLLBACK',
        role,
        `${role} version ${version} is older than version ${min} trusted before (rollback)`,
        'the trust server is serving old trust data: it may be under attack or restored from an old backup; do not trust it until it serves a current version',
      );
    }
  }

  /** notary `ValidTUFType`: `_type` must match the role. */
  private checkType(role: string, type: string, what: string): void {
    const want = expectedType(role);
    if (type !== want) {
      throw this.err(
        'TRUST_MISMATCH',
        role,
        `${what} has _type "${type}", expected "${want}"`,
        'the trust server returned another role\'s metadata in its place; it is misconfigured or under attack',
      );
    }
  }

  /**
   * notary `CheckValidHashStructures`: a sha256 (32 bytes) is required (snapshot/timestamp
   * structure), sha512 if present must be 64 bytes.
   */
  private checkHashStructure(role: string, listed: string, meta: FileMeta | undefined): void {
    const h = meta?.hashes ?? {};
    const sha256 = Object.hasOwn(h, 'sha256') ? h['sha256'] : undefined;
    const sha512 = Object.hasOwn(h, 'sha512') ? h['sha512'] : undefined;
    if (!sha256 || sha256.length !== 32 || (sha512 !== undefined && sha512.length !== 64)) {
      throw this.err(
        'TRUST_MALFORMED',
        role,
        `${role} has no valid sha256 checksum for ${listed}`,
        'the trust data is not what notary writes; it is corrupt or tampered with',
      );
    }
  }

  /**
   * TUF 5.5.2 / 5.6.2 (notary `data.CheckHashes` in `repoBuilder.validateChecksumFor`): the file
   * matches the length and every sha256/sha512 hash the listing role states.
   */
  private checkFile(role: string, bytes: Uint8Array, meta: FileMeta, listedBy: string): void {
    const mismatch = (what: string): PinError =>
      this.err(
        'TRUST_MISMATCH',
        role,
        `${role}.json does not match the ${what} ${listedBy} lists for it`,
        `the files come from different versions (mix-and-match) or were tampered with; if the server was just updated, retry`,
      );
    if (meta.length !== undefined && meta.length > 0 && bytes.length !== meta.length) {
      throw mismatch(`length (${meta.length} bytes, got ${bytes.length})`);
    }
    let checked = 0;
    for (const [alg, want] of Object.entries(meta.hashes)) {
      const algo = alg === 'sha256' ? 'sha256' : alg === 'sha512' ? 'sha512' : undefined;
      if (!algo) continue;
      const got = createHash(algo).update(bytes).digest();
      if (got.length !== want.length || !timingSafeEqual(got, want)) throw mismatch(`${alg} hash`);
      checked++;
    }
    if (checked === 0) {
      throw this.err(
        'TRUST_MISMATCH',
        role,
        `${listedBy} lists no sha256/sha512 hash for ${role}`,
        'the trust data is not what notary writes; it is corrupt or tampered with',
      );
    }
  }

  private requireRoot(): ParsedRoot {
    if (!this.root) throw this.order('updateRoot must come first');
    return this.root;
  }

  /**
   * TUF 5.3.10 "check for a freeze attack" on the final root (notary `loadRoot` VerifyExpiry):
   * checked when the first non-root role is loaded, i.e. once the chain of roots is complete.
   */
  private requireFreshRoot(): ParsedRoot {
    const root = this.requireRoot();
    this.checkExpiry('root', root.expires);
    return root;
  }

  private baseRole(name: BaseRole): RoleKeys {
    const r = this.requireRoot().roles.get(name);
    if (!r) throw this.order(`root has no ${name} role`);
    return r;
  }

  private expected(role: string, meta: FileMeta): ExpectedFile {
    const sha = Object.hasOwn(meta.hashes, 'sha256') ? meta.hashes['sha256'] : undefined;
    return {
      role,
      ...(meta.length !== undefined && meta.length > 0 ? { length: meta.length } : {}),
      ...(sha && sha.length === 32 ? { sha256: hex(sha) } : {}),
    };
  }

  // ------------------------------------------------------------------- root

  /** TUF 5.3 (notary `repoBuilder.loadRoot` → `trustpinning.ValidateRoot`). */
  updateRoot(bytes: Uint8Array): void {
    if (this.timestamp) throw this.order('updateRoot after updateTimestamp');
    // TUF 5.3.1/5.3.3: parse; notary `isValidRootStructure` (type, version, base roles, keys).
    const root = parseRoot(bytes, this.gun);
    let trusted = this.root;
    if (!trusted && this.opts.anchor.trustedRoot) {
      trusted = parseRoot(this.opts.anchor.trustedRoot, this.gun, 'the trusted (cached) root');
    }
    if (trusted) {
      // TUF 5.3.5: the new root's version must not be lower than the trusted one; a different root
      // must have a higher version (notary `VerifyVersion(minVersion = trusted version)`).
      const same = Buffer.from(root.env.message).equals(Buffer.from(trusted.env.message));
      if (root.version < trusted.version || (root.version === trusted.version && !same)) {
        throw this.err(
          'TRUST_ROLLBACK',
          'root',
          root.version < trusted.version
            ? `root version ${root.version} is older than the trusted root version ${trusted.version} (rollback)`
            : `root version ${root.version} differs from the trusted root of the same version`,
          'the trust server is serving an old or forked root; do not trust it until it serves a root that chains from the trusted one',
        );
      }
    }
    // TUF 5.3.4 + notary trust pinning: signed by the trusted root (rotation) and by itself.
    validateRootTrust(root, {
      gun: this.gun,
      now: this.now,
      tofu: this.opts.anchor.tofu,
      ...(this.opts.anchor.rootKeyIds ? { rootKeyIds: this.opts.anchor.rootKeyIds } : {}),
      ...(this.opts.anchor.rootCAs ? { rootCAs: this.opts.anchor.rootCAs } : {}),
      ...(trusted ? { trusted } : {}),
    });
    // TUF 5.3.5 rollback against the version trusted in an earlier run.
    this.checkVersion('root', root.version, this.opts.previous?.root);
    // TUF 5.3.10 checks expiry of the *final* root only (notary `LoadRootForUpdate` allows expired
    // intermediate roots while walking a rotation chain): see `requireFreshRoot`.
    this.root = root;
  }

  // -------------------------------------------------------------- timestamp

  /** TUF 5.4 (notary `repoBuilder.loadTimestamp`). */
  updateTimestamp(bytes: Uint8Array): void {
    this.requireFreshRoot();
    if (this.timestamp) throw this.order('timestamp already loaded');
    const role = 'timestamp';
    const env = readEnvelope(bytes, { gun: this.gun, role });
    const json = parseOrThrow(MetaRoleSchema, env.envelope.signed, { gun: this.gun, role });
    this.checkType(role, json._type, 'timestamp.json');
    // TUF 5.4.1: signed by a threshold of the timestamp keys root lists.
    requireThreshold(env, this.baseRole('timestamp'), {
      gun: this.gun,
      role,
      label: 'the timestamp role in root',
      hint: 'timestamp.json is not signed by the timestamp key root trusts: the server\'s timestamp key changed without a root update, or the data was tampered with',
    });
    // notary `IsValidTimestampStructure`: snapshot meta with a sha256.
    const meta = entries(json.meta);
    this.checkHashStructure(role, 'snapshot', meta.get('snapshot'));
    // TUF 5.4.2: version not lower than the trusted timestamp.
    this.checkVersion(role, json.version, this.opts.previous?.timestamp);
    // TUF 5.4.4: not expired.
    this.checkExpiry(role, json.expires);
    this.timestamp = { bytes, version: json.version, expires: json.expires, meta };
  }

  expectedSnapshot(): ExpectedFile {
    if (!this.timestamp) throw this.order('expectedSnapshot before updateTimestamp');
    return this.expected('snapshot', this.timestamp.meta.get('snapshot')!);
  }

  // --------------------------------------------------------------- snapshot

  /** TUF 5.5 (notary `repoBuilder.loadSnapshot`). */
  updateSnapshot(bytes: Uint8Array): void {
    if (!this.timestamp) throw this.order('updateSnapshot before updateTimestamp');
    if (this.snapshot) throw this.order('snapshot already loaded');
    const role = 'snapshot';
    // TUF 5.5.2: hashes and length as the timestamp lists them.
    this.checkFile(role, bytes, this.timestamp.meta.get('snapshot')!, 'timestamp');
    const env = readEnvelope(bytes, { gun: this.gun, role });
    const json: MetaRoleJson = parseOrThrow(MetaRoleSchema, env.envelope.signed, { gun: this.gun, role });
    this.checkType(role, json._type, 'snapshot.json');
    // TUF 5.5.3: signed by a threshold of the snapshot keys root lists.
    requireThreshold(env, this.baseRole('snapshot'), {
      gun: this.gun,
      role,
      label: 'the snapshot role in root',
    });
    // notary `IsValidSnapshotStructure`: root and targets listed with a sha256.
    const meta = entries(json.meta);
    this.checkHashStructure(role, 'root', meta.get('root'));
    this.checkHashStructure(role, 'targets', meta.get('targets'));
    // TUF 5.5.5: version not lower than the trusted snapshot.
    this.checkVersion(role, json.version, this.opts.previous?.snapshot);
    // TUF 5.5.6: not expired.
    this.checkExpiry(role, json.expires);
    // notary `validateChecksumsFromSnapshot`: the root already loaded must be the one the snapshot
    // lists (mix-and-match protection for root).
    this.checkFile('root', this.requireRoot().env.bytes, meta.get('root')!, 'snapshot');
    this.snapshot = { bytes, version: json.version, expires: json.expires, meta };
  }

  expectedTargets(role: string): ExpectedFile | undefined {
    if (!this.snapshot) throw this.order('expectedTargets before updateSnapshot');
    const meta = this.snapshot.meta.get(role);
    return meta ? this.expected(role, meta) : undefined;
  }

  // ---------------------------------------------------------------- targets

  /**
   * notary `isValidTargetsStructure` for the delegations a targets role declares: each name a
   * valid delegation directly below the role, keys present, threshold >= 1. Returns them with
   * paths restricted to `parentPaths` (notary `DelegationRole.Restrict`).
   */
  private readDelegations(role: string, json: TargetsJson, parentPaths: readonly string[]): Map<string, Delegation> {
    const ctx = { gun: this.gun, role };
    const declared = Object.entries(json.delegations.keys);
    if (declared.length > MAX_DECLARED_KEYS) throw tooMany(ctx, `${role}.json: delegation keys`, declared.length, MAX_DECLARED_KEYS);
    const keys = new Map<string, TufKey>();
    for (const [id, k] of declared) keys.set(id, makeKey(k.keytype, k.keyval.public));
    const out = new Map<string, Delegation>();
    for (const d of json.delegations.roles) {
      if (d.keyids.length > MAX_ROLE_KEYS) throw tooMany(ctx, `${role}.json: delegation ${d.name}'s key IDs`, d.keyids.length, MAX_ROLE_KEYS);
      if (!isDelegationName(d.name) || parentRole(d.name) !== role) {
        throw this.err(
          'TRUST_DELEGATION',
          role,
          `${role} delegates to "${d.name}", which is not a role directly below ${role}`,
          'notary only allows a role to delegate to its own children (targets/a may delegate to targets/a/b); the trust data is invalid or tampered with',
        );
      }
      if (out.has(d.name)) {
        throw this.err('TRUST_DELEGATION', role, `${role} delegates to ${d.name} twice`, 'the trust data is invalid or tampered with');
      }
      if (d.threshold < 1) {
        throw this.err('TRUST_MALFORMED', role, `delegation ${d.name} has threshold ${d.threshold}`, 'the trust data is invalid');
      }
      const roleKeys = new Map<string, TufKey>();
      for (const id of d.keyids) {
        const k = keys.get(id);
        if (!k) {
          throw this.err('TRUST_MALFORMED', role, `delegation ${d.name} names key ${id}, which ${role} does not list`, 'the trust data is invalid');
        }
        roleKeys.set(id, k);
      }
      // path_hash_prefixes are ignored as notary ignores them: only `paths` confer trust.
      out.set(d.name, { name: d.name, keys: roleKeys, threshold: d.threshold, paths: restrictPaths(parentPaths, d.paths) });
    }
    return out;
  }

  /** Shared part of TUF 5.6 for targets and delegations, once the signing keys are known. */
  private loadTargets(role: string, bytes: Uint8Array, signers: RoleKeys, label: string, paths: readonly string[]): LoadedTargets {
    if (!this.snapshot) throw this.order(`${role} before updateSnapshot`);
    const meta = this.snapshot.meta.get(role);
    if (!meta) {
      throw this.err(
        'TRUST_MISMATCH',
        role,
        `snapshot does not list ${role}`,
        'notary only loads roles the snapshot lists; the delegation is not published or the files are from different versions',
      );
    }
    // TUF 5.6.2: hashes and length as the snapshot lists them.
    this.checkFile(role, bytes, meta, 'snapshot');
    const env: Envelope = readEnvelope(bytes, { gun: this.gun, role });
    const json = parseOrThrow(TargetsSchema, env.envelope.signed, { gun: this.gun, role });
    this.checkType(role, json._type, `${role}.json`);
    // TUF 5.6.3: signed by a threshold of the keys its delegator lists.
    requireThreshold(env, signers, { gun: this.gun, role, label });
    const delegations = this.readDelegations(role, json, paths);
    // TUF 5.6.4: version not lower than the trusted one.
    this.checkVersion(role, json.version, this.opts.previous?.targets?.[role]);
    // TUF 5.6.5: not expired.
    this.checkExpiry(role, json.expires);
    return {
      role,
      bytes,
      version: json.version,
      expires: json.expires,
      paths,
      targets: entries(json.targets),
      delegations,
    };
  }

  /** TUF 5.6 (notary `repoBuilder.loadTargets`). */
  updateTargets(bytes: Uint8Array): void {
    if (this.targets.has('targets')) throw this.order('targets already loaded');
    const loaded = this.loadTargets('targets', bytes, this.baseRole('targets'), 'the targets role in root', ['']);
    this.targets.set('targets', loaded);
  }

  /** TUF 5.6.7 (notary `repoBuilder.loadDelegation`, `Repo.GetDelegationRole`). */
  updateDelegation(role: string, bytes: Uint8Array): void {
    if (!isDelegationName(role)) {
      throw this.err('TRUST_DELEGATION', role, `"${role}" is not a delegation role name`, 'delegation names look like targets/releases (lower case, digits, - and _)');
    }
    const depth = delegationDepth(role);
    if (depth > this.opts.maxDelegationDepth) {
      throw this.err(
        'TRUST_DELEGATION',
        role,
        `${role} is ${depth} levels below targets, deeper than the limit of ${this.opts.maxDelegationDepth}`,
        'raise trust.maxDelegationDepth if this delegation is expected',
      );
    }
    if (this.targets.has(role)) {
      throw this.err('TRUST_DELEGATION', role, `${role} was already loaded (delegation cycle or duplicate)`, 'the trust data is invalid or tampered with');
    }
    const parentName = parentRole(role);
    const parent = this.targets.get(parentName);
    if (!parent) throw this.order(`${role} before its parent ${parentName}`);
    const decl = parent.delegations.get(role);
    if (!decl) {
      throw this.err(
        'TRUST_DELEGATION',
        role,
        `${parentName} does not delegate to ${role}`,
        `only roles the parent delegates to are trusted; add the delegation with notary delegation add, or drop ${role} from trust.signers`,
      );
    }
    const loaded = this.loadTargets(role, bytes, decl, `the keys ${parentName} delegates to ${role}`, decl.paths);
    this.targets.set(role, loaded);
  }

  /**
   * TUF §5.5.5/5.6: a role the verified targets chain delegates to must be in the snapshot; notary
   * skips it silently (`downloadTargets`), which lets the snapshot key holder downgrade to the next signer.
   */
  private droppedFromSnapshot(role: string, parentName: string): PinError {
    return this.err(
      'TRUST_MISMATCH',
      role,
      `${parentName} delegates to ${role}, but snapshot version ${this.snapshot?.version ?? '?'} does not list ${role}`,
      `the snapshot (signed by the server's snapshot key) does not list a delegation the ${parentName} key holder declares: either nothing was ` +
        `ever published in ${role} (added with notary delegation add, never signed in: sign a tag with \`notary add <GUN> <tag> <file> --roles ${role}\` ` +
        `and notary publish, or remove it with notary delegation remove <GUN> ${role} and publish), or the server dropped it to downgrade tags to the next signer; ` +
        'nothing is pinned from this trust data until then',
    );
  }

  neededDelegations(signers: readonly string[]): ExpectedFile[] {
    if (!this.targets.has('targets')) throw this.order('neededDelegations before updateTargets');
    const out = new Map<string, ExpectedFile>();
    for (const signer of signers) {
      if (signer === 'targets' || !isDelegationName(signer)) continue;
      for (const role of delegationChain(signer)) {
        if (this.targets.has(role)) continue;
        const parentName = parentRole(role);
        const parent = this.targets.get(parentName);
        // Not delegated or too deep: it does not exist for us.
        if (!parent?.delegations.has(role) || delegationDepth(role) > this.opts.maxDelegationDepth) break;
        const meta = this.snapshot?.meta.get(role);
        if (!meta) throw this.droppedFromSnapshot(role, parentName);
        out.set(role, this.expected(role, meta));
        break;
      }
    }
    return [...out.values()];
  }

  // ---------------------------------------------------------------- lookups

  private signedTarget(t: LoadedTargets, name: string, meta: FileMeta): SignedTarget | undefined {
    // A target without a (valid) sha256 is ignored; one outside the role's paths is not trusted
    // (notary `WalkTargets` skips roles whose paths do not cover the target).
    if (!pathAllowed(name, t.paths)) return undefined;
    const sha = Object.hasOwn(meta.hashes, 'sha256') ? meta.hashes['sha256'] : undefined;
    if (!sha || sha.length !== 32) return undefined;
    return { role: t.role, name, digest: `sha256:${hex(sha)}`, length: meta.length ?? 0 };
  }

  lookupTag(tag: string, signers: readonly string[]): SignedTarget | undefined {
    for (const signer of signers) {
      const t = this.targets.get(signer);
      const meta = t?.targets.get(tag);
      if (!t || !meta) continue;
      const st = this.signedTarget(t, tag, meta);
      if (st) return st;
    }
    return undefined;
  }

  lookupDigest(digest: string, signers: readonly string[]): SignedTarget[] {
    const want = digest.toLowerCase();
    const out: SignedTarget[] = [];
    for (const signer of new Set(signers)) {
      const t = this.targets.get(signer);
      if (!t) continue;
      for (const [name, meta] of t.targets) {
        const st = this.signedTarget(t, name, meta);
        if (st && st.digest === want) out.push(st);
      }
    }
    return out;
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
}
