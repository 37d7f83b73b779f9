/** Policy and certificate reloads; a policy is an immutable snapshot swapped whole, so a request sees one version. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { Logger } from 'pino';
import { loadConfigFile } from '../config/load.js';
import { compilePolicy, type CompiledPolicy } from '../config/rules.js';
import type { Spec } from '../config/schema.js';
import type { Resolver } from '../engine/port.js';
import type { EvaluateFn } from './decide.js';
import { FileReloader } from './reload.js';
import { loadKeyPair, TLS_BASE_OPTIONS, type KeyPair } from './tls.js';

export interface PolicySnapshot {
  readonly spec: Spec;
  readonly policy: CompiledPolicy;
  readonly resolver: Resolver;
  readonly evaluate: EvaluateFn;
}

export function policySnapshot(spec: Spec, resolver: Resolver, evaluate: EvaluateFn): PolicySnapshot {
  return Object.freeze({ spec, policy: compilePolicy(spec), resolver, evaluate });
}

export interface LivePolicy {
  current(): PolicySnapshot;
  reload(): Promise<boolean>;
  close(): void;
}

export interface PolicyWatchOptions {
  readonly file: string;
  readonly resolverFor: (spec: Spec) => Resolver;
  readonly pollIntervalMs?: number;
  /** The replaced resolver is closed this long after a swap, once requests using it are done. */
  readonly retireAfterMs: number;
  readonly onResult: (result: 'ok' | 'error') => void;
  readonly logger: Logger;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function fixedPolicy(snapshot: PolicySnapshot): LivePolicy {
  return { current: () => snapshot, reload: () => Promise.resolve(false), close: () => undefined };
}

export async function watchPolicy(initial: PolicySnapshot, o: PolicyWatchOptions): Promise<LivePolicy> {
  let snapshot = initial;
  const reloader = await FileReloader.start<{ hash: string; spec: Spec }>(
    {
      what: 'config',
      files: [o.file],
      load: async () => {
        const text = await readFile(o.file);
        return { hash: sha256(text), spec: await loadConfigFile(o.file) };
      },
      apply: ({ spec }) => {
        const previous = snapshot.resolver;
        snapshot = policySnapshot(spec, o.resolverFor(spec), snapshot.evaluate);
        // Requests already running keep the old resolver; close it once they are surely done.
        setTimeout(() => void previous.close?.().catch(() => {}), o.retireAfterMs).unref();
      },
      describe: ({ spec, hash }) => ({ rules: spec.trust.length, exclude: spec.exclude.length, sha256: hash.slice(0, 12) }),
      onResult: o.onResult,
      logger: o.logger,
      pollIntervalMs: o.pollIntervalMs,
    },
    { hash: sha256(await readFile(o.file)), spec: initial.spec },
  );
  return { current: () => snapshot, reload: () => reloader.check(), close: () => reloader.close() };
}

export interface CertificateWatchOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pollIntervalMs?: number;
  readonly onResult: (result: 'ok' | 'error') => void;
  readonly logger: Logger;
}

export function watchCertificate(server: Server, initial: KeyPair, o: CertificateWatchOptions): Promise<FileReloader<KeyPair>> {
  return FileReloader.start<KeyPair>(
    {
      what: 'TLS certificate',
      files: [o.certFile, o.keyFile],
      load: () => loadKeyPair(o.certFile, o.keyFile),
      apply: (pair) => server.setSecureContext({ ...TLS_BASE_OPTIONS, cert: pair.cert, key: pair.key }),
      describe: (pair) => ({ subject: pair.subject, notAfter: pair.notAfter, fingerprint256: pair.fingerprint256 }),
      onResult: o.onResult,
      logger: o.logger,
      pollIntervalMs: o.pollIntervalMs,
    },
    initial,
  );
}
