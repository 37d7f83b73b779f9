/**
 * A rule's Notation trust policy and store: the paths (or inline policy) in `notation`, else notation's
 * own user-level directory (directory-structure spec: `$XDG_CONFIG_HOME/notation` or `~/.config/notation`;
 * `trustpolicy.oci.json`, then `trustpolicy.json`; `truststore/`), as `notation verify` uses.
 */
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PinError } from '../../errors/errors.js';
import type { NotationRule } from '../../config/schema.js';
import type { NotationTrust } from './resolver.js';
import { parseTrustPolicy, statementFor } from './trust-policy.js';
import { openTrustStore } from './trust-store.js';

/** A trust policy document is a few KiB; anything past this is refused. */
const MAX_POLICY_BYTES = 1024 * 1024;

export interface NotationDirs {
  readonly env?: NodeJS.ProcessEnv;
  readonly homeDir?: string;
}

/** notation's user-level configuration directory. */
export function notationConfigDir(o: NotationDirs = {}): string {
  const env = o.env ?? process.env;
  const xdg = env.XDG_CONFIG_HOME;
  // XDG base directory spec: a relative $XDG_CONFIG_HOME is invalid and ignored.
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(o.homeDir ?? homedir(), '.config');
  return join(base, 'notation');
}

function policyError(message: string, hint: string, cause?: unknown): PinError {
  return new PinError({ code: 'NOTATION_POLICY', message, hint, cause });
}

/** The file's text (at most MAX_POLICY_BYTES), or undefined when it does not exist. */
async function readPolicyFile(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw policyError(`cannot read the Notation trust policy ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path and its permissions', e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw policyError(`the Notation trust policy ${path} is not a file`, 'point notation.trustPolicy at a trustpolicy.json file');
    if (st.size > MAX_POLICY_BYTES) throw policyError(`the Notation trust policy ${path} is ${st.size} bytes, over ${MAX_POLICY_BYTES}`, 'a trust policy is a few KiB: check the file');
    const buf = Buffer.alloc(Math.min(st.size, MAX_POLICY_BYTES) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_POLICY_BYTES) throw policyError(`the Notation trust policy ${path} is over ${MAX_POLICY_BYTES} bytes`, 'a trust policy is a few KiB: check the file');
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The policy document's source text (or object) and a name for messages. */
async function policySource(n: NotationRule, dirs: NotationDirs): Promise<{ input: unknown; source: string }> {
  if (typeof n.trustPolicy === 'object') return { input: n.trustPolicy, source: 'notation.trustPolicy (inline)' };
  if (typeof n.trustPolicy === 'string') {
    const text = await readPolicyFile(n.trustPolicy);
    if (text === undefined) throw policyError(`the Notation trust policy ${n.trustPolicy} does not exist`, 'fix notation.trustPolicy in the trust rule');
    return { input: text, source: n.trustPolicy };
  }
  const dir = notationConfigDir(dirs);
  for (const name of ['trustpolicy.oci.json', 'trustpolicy.json']) {
    const path = join(dir, name);
    const text = await readPolicyFile(path);
    if (text !== undefined) return { input: text, source: path };
  }
  throw policyError(
    `no Notation trust policy: notation.trustPolicy is not set and neither ${join(dir, 'trustpolicy.oci.json')} nor ${join(dir, 'trustpolicy.json')} exists`,
    'set notation.trustPolicy (a file or an inline document) in the trust rule, or create the policy with `notation policy import`',
  );
}

/** Loads and validates the rule's trust policy, and opens its trust store (read lazily, per named store). */
export async function loadNotationTrust(n: NotationRule, dirs: NotationDirs = {}): Promise<NotationTrust> {
  const { input, source } = await policySource(n, dirs);
  const doc = parseTrustPolicy(input, source);
  const store = openTrustStore(n.trustStore ?? join(notationConfigDir(dirs), 'truststore'));
  return { statementFor: (repository) => statementFor(doc, repository), store };
}
