import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PinError } from '../errors/errors.js';
import { HELPER_REUSE_MS } from './cred-helper.js';
import { resolveCredentials, type ResolveCredentialsOptions } from './credentials.js';
import { REGISTRY_PROFILE as PROFILE, statusError } from './errors.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const SECRET = 'hunter2-S3CR3T-value';

/** A temp dir holding a docker config and fake `docker-credential-*` helpers; `env` has it first on PATH. */
function setup(config: object, helpers: Record<string, string>): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'np-credhelper-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  for (const [name, body] of Object.entries(helpers)) {
    // Every fake helper logs its argument and the server URL it was asked for, one line per run.
    const script = `#!/bin/sh\nserver=$(cat)\necho "$1 $server" >> "$0.calls"\n${body}\n`;
    writeFileSync(join(dir, `docker-credential-${name}`), script, { mode: 0o755 });
  }
  return { dir, env: { DOCKER_CONFIG: dir, PATH: `${dir}:/usr/bin:/bin` } };
}
const calls = (dir: string, name: string): string[] => {
  const f = join(dir, `docker-credential-${name}.calls`);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
};
const answer = (user: string, secret: string) => `printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$server"`;
function resolve(env: NodeJS.ProcessEnv, hosts: string[], more: Partial<ResolveCredentialsOptions> = {}) {
  const notes: string[] = [];
  const creds = resolveCredentials({ hosts, env, debug: (m) => notes.push(m), ...more });
  return { creds, notes };
}

describe('docker credential helpers and stores', () => {
  it('runs credHelpers[host] with `get` and the host on stdin, once per process, and uses its username/secret', () => {
    const { dir, env } = setup({ credHelpers: { 'Reg.Example.com:5000': 'fake' } }, { fake: answer('robot', SECRET) });
    const { creds, notes } = resolve(env, ['https://reg.example.com:5000/v2/']);
    expect(creds).toEqual({ username: 'robot', password: SECRET, source: 'docker-credential-fake (reg.example.com:5000)' });
    expect(notes.join('\n')).toContain('from docker-credential-fake (reg.example.com:5000)');
    expect(resolve(env, ['reg.example.com:5000']).creds?.username).toBe('robot');
    expect(calls(dir, 'fake')).toEqual(['get Reg.Example.com:5000']);
  });

  it('reuses a login for HELPER_REUSE_MS, then asks again (short-lived logins); a failure is asked again next time', () => {
    const { dir, env } = setup({ credHelpers: { 'reuse.io': 'fake', 'fails.io': 'gone' } }, { fake: answer('robot', SECRET), gone: `echo 'credentials not found in native keychain'; exit 1` });
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      expect(resolve(env, ['reuse.io']).creds?.username).toBe('robot');
      now.mockReturnValue(1_000_000 + HELPER_REUSE_MS - 1);
      resolve(env, ['reuse.io']);
      expect(calls(dir, 'fake')).toHaveLength(1);
      now.mockReturnValue(1_000_000 + HELPER_REUSE_MS);
      resolve(env, ['reuse.io']);
      expect(calls(dir, 'fake')).toHaveLength(2);
      resolve(env, ['fails.io']);
      resolve(env, ['fails.io']);
      expect(calls(dir, 'gone')).toHaveLength(2);
    } finally {
      now.mockRestore();
    }
  });

  it('runs the credsStore when no credHelpers entry names the host; Docker Hub is asked as https://index.docker.io/v1/', () => {
    const { dir, env } = setup({ auths: { 'https://index.docker.io/v1/': {} }, credsStore: 'store', credHelpers: { 'other.io': 'none' } }, { store: answer('hubuser', SECRET) });
    expect(resolve(env, ['docker.io']).creds).toEqual({ username: 'hubuser', password: SECRET, source: 'docker-credential-store (docker.io)' });
    expect(resolve(env, ['ghcr.io']).creds?.source).toBe('docker-credential-store (ghcr.io)');
    expect(calls(dir, 'store')).toEqual(['get https://index.docker.io/v1/', 'get ghcr.io']);
  });

  it('trust server then registry: the store is asked for each host in turn, and the first login found is used', () => {
    const body = `[ "$server" = reg.example.com ] || { echo 'credentials not found in native keychain'; exit 1; }\n${answer('ci', SECRET)}`;
    const { dir, env } = setup({ credsStore: 'store' }, { store: body });
    const { creds, notes } = resolve(env, ['https://notary.example.com:4443', 'reg.example.com']);
    expect(creds).toEqual({ username: 'ci', password: SECRET, source: 'docker-credential-store (reg.example.com)' });
    expect(calls(dir, 'store')).toEqual(['get notary.example.com:4443', 'get reg.example.com']);
    expect(notes.join('\n')).toMatch(/credsStore "store" for notary\.example\.com:4443: docker-credential-store has no credentials/);
  });

  it('order: credHelpers[host], then a usable auths entry, then credsStore', () => {
    const auth = Buffer.from('inline:pw').toString('base64');
    const { dir, env } = setup(
      { auths: { 'a.io': { auth }, 'b.io': { auth }, 'c.io': {} }, credHelpers: { 'a.io': 'helper' }, credsStore: 'store' },
      { helper: answer('from-helper', SECRET), store: answer('from-store', SECRET) },
    );
    expect(resolve(env, ['a.io']).creds?.username).toBe('from-helper');
    expect(resolve(env, ['b.io']).creds?.username).toBe('inline');
    expect(calls(dir, 'store')).toEqual([]);
    expect(resolve(env, ['c.io']).creds?.username).toBe('from-store');
    // A failing credHelpers entry is not replaced by the host's auths entry (as in docker): the next host is tried.
    const broken = setup({ auths: { 'a.io': { auth }, 'b.io': { auth } }, credHelpers: { 'a.io': 'missing' } }, {});
    const r = resolve(broken.env, ['a.io', 'b.io']);
    expect(r.creds?.source).toContain('(b.io)');
  });

  it('a helper missing from PATH, "not found", bad JSON, an identity token: no credentials, and the 401 says why', () => {
    const cases: [string, string, RegExp][] = [
      ['absent', '', /credHelpers names "absent" for r\.io: docker-credential-absent is not on PATH/],
      ['nf', `echo 'credentials not found in native keychain'; exit 1`, /docker-credential-nf has no credentials for r\.io/],
      ['badjson', `echo '{"Username": "u", "Secret":'`, /docker-credential-badjson get did not print JSON/],
      ['shape', `echo '{"Username": 5, "Secret": "x"}'`, /did not print \{"ServerURL","Username","Secret"\}/],
      ['tok', answer('<token>', SECRET), /docker-credential-tok holds only an identity token \(an OAuth refresh token\) for r\.io, which is not supported/],
    ];
    for (const [name, body, why] of cases) {
      const { env } = setup({ credHelpers: { 'r.io': name } }, name === 'absent' ? {} : { [name]: body });
      const { creds, notes } = resolve(env, ['r.io']);
      expect(creds?.username ?? creds?.password ?? creds?.token).toBeUndefined();
      expect(creds?.unusable).toMatch(why);
      expect(notes.join('\n')).toMatch(why);
      expect(notes.join('\n')).toMatch(/accessing anonymously/);
      const e = statusError(PROFILE, 'GET', new URL('https://r.io/v2/'), 401, false, creds);
      expect(e.message).toMatch(why);
      expect(e.hint).toMatch(/credential helper or store \(docker-credential-<name> on PATH\)/);
    }
  });

  it('refuses a helper name that is not a plain word (CONFIG_INVALID)', () => {
    for (const bad of ['../evil', '-rf', 'a b', '']) {
      const { env } = setup({ credHelpers: { 'r.io': bad } }, {});
      let e: unknown;
      try {
        resolve(env, ['r.io']);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(PinError);
      expect((e as PinError).code).toBe('CONFIG_INVALID');
    }
    const store = setup({ credsStore: 'x;y' }, {});
    expect(() => resolve(store.env, ['r.io'])).toThrow(/credsStore names a credential helper "x;y"/);
  });

  it('bounds a helper in time and output', () => {
    const slow = setup({ credsStore: 'slow' }, { slow: `exec sleep 5` });
    const started = Date.now();
    expect(resolve(slow.env, ['r.io'], { helperTimeoutMs: 200 }).creds?.unusable).toMatch(/docker-credential-slow get did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
    const loud = setup({ credsStore: 'loud' }, { loud: `head -c 70000 /dev/zero | tr '\\0' a` });
    expect(resolve(loud.env, ['r.io']).creds?.unusable).toMatch(/docker-credential-loud get printed more than 65536 bytes/);
  });

  it('skips relative PATH entries', () => {
    const { dir } = setup({ credsStore: 'rel' }, { rel: answer('u', SECRET) });
    const rel = relative(process.cwd(), dir);
    expect(existsSync(join(rel, 'docker-credential-rel'))).toBe(true);
    expect(resolve({ DOCKER_CONFIG: dir, PATH: `.:${rel}` }, ['r.io']).creds?.unusable).toMatch(/docker-credential-rel is not on PATH/);
    expect(resolve({ DOCKER_CONFIG: dir, PATH: `.:${dir}` }, ['r.io']).creds?.username).toBe('u');
  });

  it('never puts the secret (or anything the helper printed) in messages, debug lines or errors', () => {
    const leaky = `echo "error: token ${SECRET} refused"; echo "${SECRET}" >&2; exit 2`;
    const shapes = {
      leaky,
      badjson: `echo '{"Username":"u","Secret":"${SECRET}"'`,
      tok: answer('<token>', SECRET),
      ok: answer('u', SECRET),
    };
    for (const [name, body] of Object.entries(shapes)) {
      const { env } = setup({ credHelpers: { 'r.io': name } }, { [name]: body });
      const { creds, notes } = resolve(env, ['r.io']);
      const e = statusError(PROFILE, 'GET', new URL('https://r.io/v2/'), 401, creds?.username !== undefined, creds);
      const seen = [notes.join('\n'), e.message, e.hint ?? '', creds?.unusable ?? '', creds?.source ?? ''].join('\n');
      expect(seen).not.toContain(SECRET);
      expect(seen).not.toContain('refused');
      if (name === 'leaky') expect(creds?.unusable).toMatch(/docker-credential-leaky get exited with status 2 \(its output is not shown/);
    }
  });
});

