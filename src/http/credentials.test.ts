import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinError } from '../errors/errors.js';
import { credentialsFromDockerConfig, normaliseAuthKey, parseDockerConfig, resolveCredentials } from './credentials.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'np-creds-'));
  dirs.push(d);
  return d;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('docker config', () => {
  it('normalises auth keys and Docker Hub aliases', () => {
    expect(normaliseAuthKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normaliseAuthKey('registry-1.docker.io')).toBe('docker.io');
    expect(normaliseAuthKey('https://Notary.Example.com:4443/')).toBe('notary.example.com:4443');
    expect(normaliseAuthKey('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it('decodes base64 auth and username/password entries, server host first', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pw') },
          'notary.example.com': { username: 'nu', password: 'np' },
        },
      }),
      'cfg',
    );
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['notary.docker.io', 'docker.io'])).toEqual({
      username: 'hubuser',
      password: 'hub:pw',
      source: 'cfg (docker.io)',
    });
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['https://notary.example.com', 'docker.io'])?.username).toBe('nu');
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['ghcr.io'])).toBeUndefined();
  });

  it('says so when a helper, store or identity token gives nothing usable: no secret, a reason for the 401', () => {
    const notes: string[] = [];
    const cfg = parseDockerConfig(
      JSON.stringify({ auths: { 'ghcr.io': {}, 'acr.example.io': { identitytoken: 'refresh-s3cr3t' } }, credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } }),
      'cfg',
    );
    const noPath = { env: {} };
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['ghcr.io'], (m) => notes.push(m), noPath)).toEqual({
      source: 'cfg',
      unusable: 'docker config cfg: credsStore "desktop" for ghcr.io: docker-credential-desktop is not on PATH',
    });
    expect(notes.join('\n')).toMatch(/credsStore "desktop" for ghcr\.io: docker-credential-desktop is not on PATH/);
    notes.length = 0;
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['gcr.io'], (m) => notes.push(m), noPath)?.unusable).toMatch(/credHelpers names "gcloud" for gcr\.io: docker-credential-gcloud is not on PATH/);
    expect(notes.join('\n')).toMatch(/credHelpers names "gcloud"/);
    const acr = credentialsFromDockerConfig(cfg, 'cfg', ['acr.example.io'], undefined, noPath);
    expect(acr?.unusable).toMatch(/acr\.example\.io has only an identitytoken .*; credsStore "desktop" for acr\.example\.io/);
    expect(JSON.stringify(acr)).not.toContain('refresh-s3cr3t');
    expect(acr?.username ?? acr?.token).toBeUndefined();
  });

  it('usable credentials of a later host win over an unusable first one', () => {
    const cfg = parseDockerConfig(JSON.stringify({ auths: { 'b.io': { auth: Buffer.from('u:p').toString('base64') } }, credHelpers: { 'a.io': 'x' } }), 'cfg');
    expect(credentialsFromDockerConfig(cfg, 'cfg', ['a.io', 'b.io'], undefined, { env: {} })).toEqual({ username: 'u', password: 'p', source: 'cfg (b.io)' });
  });

  it('rejects malformed files without quoting them', () => {
    let e: unknown;
    try {
      parseDockerConfig('{"auths": "s3cr3t"', 'cfg');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PinError);
    expect((e as PinError).code).toBe('CONFIG_INVALID');
    expect((e as PinError).message).not.toContain('s3cr3t');
    expect(() => parseDockerConfig('{"auths": {"h": {"auth": 5}}}', 'cfg')).toThrow(/expected shape/);
  });
});

describe('resolveCredentials', () => {
  it('takes username + passwordEnv from the rule', () => {
    expect(resolveCredentials({ auth: { username: 'u', passwordEnv: 'PW' }, hosts: [], env: { PW: 'p' } })).toEqual({
      username: 'u',
      password: 'p',
      source: 'trust.auth',
    });
  });
  it('takes username + passwordFile (trailing newline dropped)', () => {
    const d = tmp();
    writeFileSync(join(d, 'pw'), 'filepw\n');
    expect(resolveCredentials({ auth: { username: 'u', passwordFile: join(d, 'pw') }, hosts: [], env: {} })?.password).toBe('filepw');
  });
  it('carries auth.tokenRealms with the credentials, whatever their source', () => {
    const c = resolveCredentials({
      auth: { username: 'u', passwordEnv: 'PW', tokenRealms: ['auth.example.com'] },
      hosts: ['r.example.com'],
      env: { PW: 'p' },
    });
    expect(c?.tokenRealms).toEqual(['auth.example.com']);
    const d = tmp();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ auths: { 'r.example.com': { auth: b64('a:b') } } }));
    const fromDocker = resolveCredentials({ auth: { tokenRealms: ['https://auth.example.com'] }, hosts: ['r.example.com'], env: { DOCKER_CONFIG: d } });
    expect(fromDocker).toMatchObject({ username: 'a', tokenRealms: ['https://auth.example.com'] });
  });

  it('takes a ready token from tokenEnv', () => {
    expect(resolveCredentials({ auth: { tokenEnv: 'TOK' }, hosts: [], env: { TOK: 't' } })).toEqual({ token: 't', source: 'trust.auth.tokenEnv' });
  });
  it('fails on unset env vars and incomplete auth', () => {
    expect(() => resolveCredentials({ auth: { tokenEnv: 'NOPE' }, hosts: [], env: {} })).toThrow(/NOPE/);
    expect(() => resolveCredentials({ auth: { username: 'u' }, hosts: [], env: {} })).toThrow(/passwordEnv or passwordFile/);
  });
  it('reads $DOCKER_CONFIG/config.json, then ~/.docker/config.json', () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ auths: { 'reg.example': { auth: b64('a:b') } } }));
    expect(resolveCredentials({ hosts: ['reg.example'], env: { DOCKER_CONFIG: d } })?.username).toBe('a');
    const home = tmp();
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'reg.example': { auth: b64('h:c') } } }));
    expect(resolveCredentials({ hosts: ['reg.example'], env: {}, homeDir: home })?.username).toBe('h');
  });
  it('is anonymous (with a note) without a default docker config, but fails on a missing explicit one', () => {
    const notes: string[] = [];
    expect(resolveCredentials({ hosts: ['x'], env: {}, homeDir: tmp(), debug: (m) => notes.push(m) })).toBeUndefined();
    expect(notes[0]).toMatch(/anonymously/);
    expect(() => resolveCredentials({ auth: { dockerConfig: '/nonexistent/c.json' }, hosts: ['x'], env: {} })).toThrow(/dockerConfig/);
  });
});
