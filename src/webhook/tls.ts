/**
 * The serving certificate, reloaded without a restart. cert-manager (or a person) renews the
 * Secret; the kubelet swaps the mounted files (an atomic `..data` symlink flip); we notice through
 * `fs.watch` on the files' directories, with a bounded poll as the fallback for file systems where
 * watching does not work, and hand the new pair to `server.setSecureContext`. A pair that does not
 * load (half written, key does not match) is ignored and the old one kept.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { PinError } from '../errors/errors.js';

/** TLS settings for every context the webhook serves with. */
export const TLS_BASE_OPTIONS: SecureContextOptions = { minVersion: 'TLSv1.2' };

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
  /** sha256 over both files, to tell a real change from a touch. */
  hash: string;
  /** Certificate facts for logs (never the key). */
  subject: string;
  notAfter: string;
  fingerprint256: string;
}

/** Reads and checks a cert/key pair: both PEM, the key matches the certificate. */
export async function loadKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (e) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `cannot read the TLS certificate or key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      hint: `check --tls-cert-file (${certFile}) and --tls-private-key-file (${keyFile})`,
      cause: e,
    });
  }
  let x509: X509Certificate;
  try {
    // createSecureContext fails when the key does not belong to the certificate.
    createSecureContext({ ...TLS_BASE_OPTIONS, cert, key });
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `the TLS certificate and key do not load: ${(e as Error).message}`,
      hint: 'give a PEM certificate (chain) and the PEM private key that belongs to it',
      cause: e,
    });
  }
  const hash = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, hash, subject: x509.subject.replace(/\n/g, ', '), notAfter: x509.validTo, fingerprint256: x509.fingerprint256 };
}

export interface CertReloaderOptions {
  certFile: string;
  keyFile: string;
  /** Called with each new valid pair. */
  apply: (pair: KeyPair) => void;
  logger: Logger;
  /** Poll interval for the fallback check (default 10 s). */
  pollIntervalMs?: number;
  /** How long to wait after a watch event before reading, so both files are written (default 250 ms). */
  debounceMs?: number;
}

/** Watches a cert/key pair and applies changes. `check()` can also be called directly. */
export class CertReloader {
  private current: KeyPair;
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  private closed = false;

  private constructor(
    private readonly opts: CertReloaderOptions,
    initial: KeyPair,
  ) {
    this.current = initial;
  }

  /** Loads the pair (throws PinError when it does not load) and starts watching. */
  static async start(opts: CertReloaderOptions, initial?: KeyPair): Promise<CertReloader> {
    const pair = initial ?? (await loadKeyPair(opts.certFile, opts.keyFile));
    const r = new CertReloader(opts, pair);
    r.watch();
    return r;
  }

  get pair(): KeyPair {
    return this.current;
  }

  private watch(): void {
    const dirs = new Set([dirname(this.opts.certFile), dirname(this.opts.keyFile)]);
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => this.schedule());
        w.on('error', (e) => {
          this.opts.logger.warn({ dir, err: e.message }, 'certificate directory watch failed; polling only');
          w.close();
        });
        this.watchers.push(w);
      } catch (e) {
        this.opts.logger.warn({ dir, err: (e as Error).message }, 'cannot watch certificate directory; polling only');
      }
    }
    const every = Math.max(50, this.opts.pollIntervalMs ?? 10_000);
    this.poll = setInterval(() => void this.check(), every);
    this.poll.unref();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.opts.debounceMs ?? 250);
    this.debounce.unref();
  }

  /** Re-reads the files; applies and returns true when they changed and load. Never throws. */
  check(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.checking ??= this.doCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async doCheck(): Promise<boolean> {
    let next: KeyPair;
    try {
      next = await loadKeyPair(this.opts.certFile, this.opts.keyFile);
    } catch (e) {
      // Mid-rotation (one file new, one old) looks like this; the next event or poll retries.
      this.opts.logger.warn({ err: (e as Error).message }, 'new TLS certificate/key not loadable yet; keeping the current one');
      return false;
    }
    if (this.closed || next.hash === this.current.hash) return false;
    try {
      this.opts.apply(next);
    } catch (e) {
      this.opts.logger.error({ err: (e as Error).message }, 'applying the new TLS certificate failed; keeping the current one');
      return false;
    }
    this.current = next;
    this.opts.logger.info({ subject: next.subject, notAfter: next.notAfter, fingerprint256: next.fingerprint256 }, 'TLS certificate reloaded');
    return true;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}
