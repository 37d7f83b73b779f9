/**
 * Runs a docker credential helper the docker-credential-helpers way: `docker-credential-<name> get` from PATH
 * (no shell), the server URL on stdin, `{"ServerURL","Username","Secret"}` JSON on stdout. Synchronous and
 * bounded in time and output; a login it gave is reused for HELPER_REUSE_MS (short-lived logins such as ECR's
 * are fetched again by a later run or config reload), a failure is not kept. Neither its stdout nor its stderr
 * is ever quoted: both may hold the secret.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';

export const HELPER_TIMEOUT_MS = 10_000;
export const HELPER_MAX_OUTPUT_BYTES = 64 * 1024;
/** How long a helper's login is reused within a process. */
export const HELPER_REUSE_MS = 5 * 60_000;
/** Docker Hub's key in credential stores (docker `registry.IndexServer`). */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
/** What helpers print (on stdout, exit 1) when they hold nothing for the server. */
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
/** The username helpers answer with when `Secret` is an identity (OAuth refresh) token. */
const IDENTITY_TOKEN_USERNAME = '<token>';
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type HelperAnswer = { readonly username: string; readonly secret: string } | { readonly reason: string };

export interface HelperRunOptions {
  /** The helper's environment; its PATH (or Path) is where the helper is looked for. */
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
}

const HelperOutput = z.looseObject({ ServerURL: z.string().optional(), Username: z.string(), Secret: z.string() });

const logins = new Map<string, { readonly answer: HelperAnswer; readonly at: number }>();

/** Refuses helper names that are not a plain `[A-Za-z0-9._-]` word (they become part of an executable name). */
export function checkHelperName(name: string, field: string, path: string): void {
  if (HELPER_NAME.test(name)) return;
  throw new PinError({
    code: 'CONFIG_INVALID',
    message: `docker config ${path}: ${field} names a credential helper "${name.slice(0, 64)}" that is not a plain name ([A-Za-z0-9._-])`,
    hint: 'fix the helper name in the docker config, or point trust.auth.dockerConfig at another one',
  });
}

/** An absolute executable file named `exe` in a PATH directory; relative and empty PATH entries are skipped. */
export function findOnPath(exe: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d !== '' && isAbsolute(d));
  const names = process.platform === 'win32' ? [`${exe}.exe`, exe] : [exe];
  for (const dir of dirs) {
    for (const n of names) {
      const candidate = join(dir, n);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here, or not executable
      }
    }
  }
  return undefined;
}

/** The helper's answer for `serverUrl` (username + secret, or why there is none); a login is reused for HELPER_REUSE_MS. */
export function runCredentialHelper(name: string, serverUrl: string, opts: HelperRunOptions): HelperAnswer {
  const exe = `docker-credential-${name}`;
  const file = findOnPath(exe, opts.env);
  if (file === undefined) return { reason: `${exe} is not on PATH` };
  const key = `${file}\0${serverUrl}`;
  const now = Date.now();
  const hit = logins.get(key);
  if (hit !== undefined && now - hit.at < HELPER_REUSE_MS) return hit.answer;
  const answer = runOnce(exe, file, serverUrl, opts);
  if ('reason' in answer) logins.delete(key);
  else logins.set(key, { answer, at: now });
  return answer;
}

function runOnce(exe: string, file: string, serverUrl: string, opts: HelperRunOptions): HelperAnswer {
  const timeoutMs = opts.timeoutMs ?? HELPER_TIMEOUT_MS;
  const maxBytes = opts.maxOutputBytes ?? HELPER_MAX_OUTPUT_BYTES;
  const r = spawnSync(file, ['get'], {
    input: serverUrl,
    env: opts.env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: maxBytes,
    windowsHide: true,
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return { reason: `${exe} get did not answer within ${timeoutMs} ms` };
  if (code === 'ENOBUFS') return { reason: `${exe} get printed more than ${maxBytes} bytes` };
  if (r.error) return { reason: `${exe} could not be run (${code ?? 'error'})` };
  const out = r.stdout.toString('utf8').trim();
  if (r.status !== 0) {
    // The protocol's "not found" answer is the one output safe to recognise; any other output stays unread.
    if (out === NOT_FOUND_MESSAGE) return { reason: `${exe} has no credentials for ${serverUrl}` };
    const how = r.status === null ? `was killed (${r.signal ?? 'signal'})` : `exited with status ${r.status}`;
    return { reason: `${exe} get ${how} (its output is not shown: it may hold secrets; run it by hand to see why)` };
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    return { reason: `${exe} get did not print JSON` };
  }
  const parsed = HelperOutput.safeParse(json);
  if (!parsed.success) return { reason: `${exe} get did not print {"ServerURL","Username","Secret"}` };
  const { Username: username, Secret: secret } = parsed.data;
  if (username === IDENTITY_TOKEN_USERNAME) {
    return { reason: `${exe} holds only an identity token (an OAuth refresh token) for ${serverUrl}, which is not supported` };
  }
  if (username === '' || secret === '') return { reason: `${exe} answered an empty username or secret for ${serverUrl}` };
  return { username, secret };
}
