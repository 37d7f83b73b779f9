/**
 * Credentials from a rule's `auth` or a Docker `config.json` (`auths`, `credHelpers`, `credsStore`: the helpers
 * run synchronously, once per host per process, see cred-helper.ts). Identity tokens are not supported: said in
 * a debug message, and by the 401/403 error that follows (`unusable`). Secrets never appear in messages.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import type { AuthConfig } from '../config/schema.js';
import { checkHelperName, DOCKER_HUB_SERVER_URL, runCredentialHelper, type HelperRunOptions } from './cred-helper.js';

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** Sent as `Authorization: Bearer` (`auth.tokenEnv`, docker `registrytoken`). */
  readonly token?: string;
  /** Where they came from, for debug messages (never the secret). */
  readonly source: string;
  /** Token realms on other hosts that may receive these (`auth.tokenRealms`); the server's own host always may. */
  readonly tokenRealms?: readonly string[];
  /** Set (with no username or token) when the docker config names a login notary-pin could not get or use, and why. */
  readonly unusable?: string;
}

export interface ResolveCredentialsOptions {
  readonly auth?: AuthConfig;
  /** Docker config hosts in order: trust server first, then registry (content trust uses the registry's login). */
  readonly hosts: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly homeDir?: string;
  readonly debug?: (message: string) => void;
  /** Bound on one credential helper run (default 10 s). */
  readonly helperTimeoutMs?: number;
}

const DockerAuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
});

const DockerConfigFile = z.looseObject({
  auths: z.record(z.string(), DockerAuthEntry).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});
export type DockerConfig = z.infer<typeof DockerConfigFile>;

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** A docker `auths` key or host for comparison: no scheme or path, lower case, Docker Hub aliases → `docker.io`. */
export function normaliseAuthKey(key: string): string {
  let k = key.trim().toLowerCase();
  k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return DOCKER_HUB_ALIASES.has(k) ? 'docker.io' : k;
}

/** Parses docker config.json text; errors never quote the file (it holds secrets). */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `docker config ${path} is not valid JSON`,
      hint: 'fix the file or point trust.auth.dockerConfig at another one',
    });
  }
  const parsed = DockerConfigFile.safeParse(raw);
  if (!parsed.success) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `docker config ${path} does not have the expected shape (auths: {host: {auth|username|password}})`,
      hint: 'fix the file or point trust.auth.dockerConfig at another one',
    });
  }
  return parsed.data;
}

/**
 * The credentials for `hosts` in a docker config, per host in order: `credHelpers[host]`, else a usable `auths`
 * entry, else `credsStore` (docker skips inline `auths` when a store is set; an inline secret is put there on
 * purpose, and using it spares a helper run). Without usable ones, `{ unusable }` (no secret) says why.
 */
export function credentialsFromDockerConfig(
  config: DockerConfig,
  path: string,
  hosts: readonly string[],
  debug: (message: string) => void = () => {},
  helpers: HelperRunOptions = { env: process.env },
): Credentials | undefined {
  const notes: string[] = [];
  const note = (m: string) => (debug(`docker config ${path}: ${m}`), notes.push(m));
  const entries = Object.entries(config.auths ?? {}).map(([k, v]) => [normaliseAuthKey(k), v, k] as const);
  for (const host of hosts.map(normaliseAuthKey)) {
    const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => normaliseAuthKey(k) === host);
    if (helper) {
      checkHelperName(helper[1], `credHelpers["${helper[0]}"]`, path);
      const got = fromHelper(helper[1], serverUrlFor(host, helper[0]), host, helpers, debug);
      if ('reason' in got) note(`credHelpers names "${helper[1]}" for ${host}: ${got.reason}`);
      else return got;
      continue;
    }
    const entry = entries.find(([k]) => k === host);
    if (entry) {
      const found = fromAuthEntry(entry[1], path, host);
      if (found) return found;
      if (entry[1].identitytoken) note(`${host} has only an identitytoken (an OAuth refresh token), which is not supported`);
    }
    if (config.credsStore !== undefined) {
      checkHelperName(config.credsStore, 'credsStore', path);
      const got = fromHelper(config.credsStore, serverUrlFor(host, entry?.[2]), host, helpers, debug);
      if ('reason' in got) note(`credsStore "${config.credsStore}" for ${host}: ${got.reason}`);
      else return got;
    }
  }
  return notes.length === 0 ? undefined : { source: path, unusable: `docker config ${path}: ${notes.join('; ')}` };
}

/** The server URL a helper is asked for: Docker Hub's index URL, else the config key as written, else the host. */
function serverUrlFor(host: string, key: string | undefined): string {
  if (host === 'docker.io') return DOCKER_HUB_SERVER_URL;
  const k = key?.trim();
  return k !== undefined && k !== '' && !k.includes('@') ? k : host;
}

function fromHelper(
  name: string,
  serverUrl: string,
  host: string,
  helpers: HelperRunOptions,
  debug: (message: string) => void,
): Credentials | { reason: string } {
  const got = runCredentialHelper(name, serverUrl, helpers);
  if ('reason' in got) return got;
  const source = `docker-credential-${name} (${host})`;
  debug(`credentials for ${host} from ${source}`);
  return { username: got.username, password: got.secret, source };
}

/** An `auths` entry's username/password (`auth` or the two fields) or registry token; undefined when it has none. */
function fromAuthEntry(entry: z.infer<typeof DockerAuthEntry>, path: string, host: string): Credentials | undefined {
  const source = `${path} (${host})`;
  if (entry.auth) {
    let decoded: string;
    try {
      decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    } catch {
      decoded = '';
    }
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `docker config ${path}: the "auth" of ${host} is not base64 of "user:password"`,
        hint: 'run docker login again or fix the entry',
      });
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (entry.username && entry.password !== undefined) return { username: entry.username, password: entry.password, source };
  if (entry.registrytoken) return { token: entry.registrytoken, source };
  return undefined;
}

function envValue(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `environment variable ${name} named by ${field} is not set`,
      hint: `set ${name} or change ${field}`,
    });
  }
  return v;
}

/**
 * Explicit `auth` fields win; else the docker config (`auth.dockerConfig`, `$DOCKER_CONFIG`, `~/.docker`).
 * A missing default docker config means anonymous; a missing explicit one is an error.
 */
export function resolveCredentials(opts: ResolveCredentialsOptions): Credentials | undefined {
  const creds = resolveSecret(opts);
  const realms = opts.auth?.tokenRealms;
  return creds && realms !== undefined && realms.length > 0 ? { ...creds, tokenRealms: realms } : creds;
}

function resolveSecret(opts: ResolveCredentialsOptions): Credentials | undefined {
  const env = opts.env ?? process.env;
  const debug = opts.debug ?? (() => {});
  const auth = opts.auth ?? {};
  if (auth.tokenEnv) return { token: envValue(env, auth.tokenEnv, 'trust.auth.tokenEnv'), source: 'trust.auth.tokenEnv' };
  if (auth.passwordEnv || auth.passwordFile || auth.username) {
    if (!auth.username || (!auth.passwordEnv && !auth.passwordFile)) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: 'trust.auth needs username together with passwordEnv or passwordFile',
        hint: 'set both trust.auth.username and trust.auth.passwordEnv (or passwordFile)',
      });
    }
    let password: string;
    if (auth.passwordEnv) {
      password = envValue(env, auth.passwordEnv, 'trust.auth.passwordEnv');
    } else {
      try {
        password = readFileSync(auth.passwordFile!, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        throw new PinError({
          code: 'CONFIG_INVALID',
          message: `trust.auth.passwordFile ${auth.passwordFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
          hint: 'make the password file readable or change trust.auth.passwordFile',
        });
      }
    }
    return { username: auth.username, password, source: 'trust.auth' };
  }
  const explicit = auth.dockerConfig;
  const path =
    explicit ?? (env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(opts.homeDir ?? homedir(), '.docker', 'config.json'));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (explicit) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `trust.auth.dockerConfig ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        hint: 'make the docker config readable or change trust.auth.dockerConfig',
      });
    }
    debug(`no docker config at ${path}; accessing the trust server anonymously`);
    return undefined;
  }
  const helpers = { env, timeoutMs: opts.helperTimeoutMs };
  const creds = credentialsFromDockerConfig(parseDockerConfig(text, path), path, opts.hosts, debug, helpers);
  if (creds?.username === undefined && creds?.token === undefined) {
    debug(`docker config ${path} has no usable credentials for ${opts.hosts.join(', ')}; accessing anonymously`);
  }
  return creds;
}
