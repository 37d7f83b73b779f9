/** A rule's trust policy and store: given paths, an inline document, or notation's own directory. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { NotationRuleSchema } from '../../config/schema.js';
import { loadNotationTrust, notationConfigDir } from './load-trust.js';

const policy = (scope: string, name = 'p') => ({
  version: '1.0',
  trustPolicies: [{ name, registryScopes: [scope], signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] }],
});

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'np-notation-trust-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<PinError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    return e as PinError;
  }
  throw new Error('expected a rejection');
}

describe('notation config directory', () => {
  it('is $XDG_CONFIG_HOME/notation, else ~/.config/notation (a relative XDG_CONFIG_HOME is ignored)', () => {
    expect(notationConfigDir({ env: { XDG_CONFIG_HOME: '/x/cfg' }, homeDir: '/home/u' })).toBe('/x/cfg/notation');
    expect(notationConfigDir({ env: {}, homeDir: '/home/u' })).toBe('/home/u/.config/notation');
    expect(notationConfigDir({ env: { XDG_CONFIG_HOME: 'rel' }, homeDir: '/home/u' })).toBe('/home/u/.config/notation');
  });
});

describe('loadNotationTrust', () => {
  it('reads the policy file the rule names and selects statements by repository', async () => {
    const d = tmp();
    writeFileSync(join(d, 'trustpolicy.json'), JSON.stringify(policy('reg.example/app', 'app')));
    const t = await loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: join(d, 'trustpolicy.json'), trustStore: join(d, 'store') }));
    expect(t.statementFor('reg.example/app').name).toBe('app');
    expect(() => t.statementFor('reg.example/other')).toThrow(/no Notation trust policy statement applies to reg.example\/other/);
  });

  it('takes an inline policy, validated with notation\'s rules', async () => {
    const t = await loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: policy('*'), trustStore: '/nonexistent' }));
    expect(t.statementFor('any.example/x').name).toBe('p');
    const bad = await rejection(loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: { ...policy('*'), version: '2.0' } })));
    expect(bad.code).toBe('NOTATION_POLICY');
    expect(bad.message).toContain('notation.trustPolicy (inline)');
  });

  it('defaults to notation\'s directory: trustpolicy.oci.json before trustpolicy.json, and truststore/', async () => {
    const home = tmp();
    const dir = join(home, '.config', 'notation');
    mkdirSync(join(dir, 'truststore', 'x509', 'ca', 'team'), { recursive: true });
    writeFileSync(join(dir, 'trustpolicy.json'), JSON.stringify(policy('*', 'plain')));
    const n = NotationRuleSchema.parse({});
    expect((await loadNotationTrust(n, { env: {}, homeDir: home })).statementFor('r.example/a').name).toBe('plain');
    writeFileSync(join(dir, 'trustpolicy.oci.json'), JSON.stringify(policy('*', 'oci')));
    const t = await loadNotationTrust(n, { env: {}, homeDir: home });
    expect(t.statementFor('r.example/a').name).toBe('oci');
    // the default store is notation's truststore/: an empty named store says where it looked
    const e = await rejection(t.store.load('ca', 'team'));
    expect(e.code).toBe('NOTATION_TRUST_STORE');
    expect(e.message).toContain(join(dir, 'truststore'));
  });

  it('fails clearly when there is no policy, the file is missing, not a file, or too large', async () => {
    const home = tmp();
    const none = await rejection(loadNotationTrust(NotationRuleSchema.parse({}), { env: {}, homeDir: home }));
    expect(none.code).toBe('NOTATION_POLICY');
    expect(none.message).toContain(join(home, '.config', 'notation', 'trustpolicy.oci.json'));
    expect(none.hint).toContain('notation.trustPolicy');

    const missing = await rejection(loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: join(home, 'nope.json') })));
    expect(missing.message).toContain('does not exist');

    const notFile = await rejection(loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: home })));
    expect(notFile.message).toContain('is not a file');

    const big = join(home, 'big.json');
    writeFileSync(big, ' '.repeat(1024 * 1024 + 1));
    const tooBig = await rejection(loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: big })));
    expect(tooBig.message).toMatch(/over 1048576/);
  });

  it('a symlinked policy file is read (as notation does); its content is still validated', async () => {
    const d = tmp();
    writeFileSync(join(d, 'real.json'), 'not json');
    symlinkSync(join(d, 'real.json'), join(d, 'link.json'));
    const e = await rejection(loadNotationTrust(NotationRuleSchema.parse({ trustPolicy: join(d, 'link.json') })));
    expect(e.code).toBe('NOTATION_POLICY');
    expect(e.message).toMatch(/not JSON/);
  });
});
