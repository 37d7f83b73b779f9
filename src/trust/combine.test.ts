import { describe, expect, it } from 'vitest';
import { TrustRuleSchema } from '../config/schema.js';
import type { Resolution, Resolver } from '../engine/port.js';
import { err, ok, PinError } from '../errors/errors.js';
import { parseReference } from '../reference/parse.js';
import { combinedResolver } from './combine.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const ref = parseReference('reg.example/app:1');

function fixed(answer: Resolution | PinError): Resolver & { calls: number } {
  const r = {
    calls: 0,
    async resolve() {
      r.calls++;
      return answer instanceof PinError ? err(answer) : ok(answer);
    },
  };
  return r;
}
const v1ok = (digest = D1): Resolution => ({ digest, role: 'targets/releases', gun: 'reg.example/app', verifiedAt: new Date(2000) });
const nok = (digest = D1): Resolution => ({ digest, system: 'notation', signer: 'CN=release', role: 'notary.x509', gun: 'reg.example/app', verifiedAt: new Date(1000) });
const unsigned = (who: string) => new PinError({ code: 'UNSIGNED', message: `${who}: not signed`, hint: 'sign it' });
const rule = (require?: 'all' | 'any') => TrustRuleSchema.parse({ images: ['**'], server: 'https://notary.example', notation: {}, ...(require ? { require } : {}) });

describe('combinedResolver (a rule with Notary v1 and notation)', () => {
  it('require: all (default): both must verify and name the same digest; the answer says both did', async () => {
    const a = fixed(v1ok());
    const b = fixed(nok());
    const r = await combinedResolver(a, b).resolve(ref, rule());
    expect(r.ok && r.value).toMatchObject({ digest: D1, system: 'notation', via: 'Notary v1 (targets/releases) and Notation both verified it (require: all)' });
    expect(r.ok && r.value.verifiedAt).toEqual(new Date(1000));
    expect([a.calls, b.calls]).toEqual([1, 1]);
    const oneFails = await combinedResolver(fixed(v1ok()), fixed(unsigned('notation'))).resolve(ref, rule('all'));
    expect(!oneFails.ok && [oneFails.error.code, oneFails.error.message]).toEqual(['UNSIGNED', 'Notation (require: all): notation: not signed']);
    const v1Fails = await combinedResolver(fixed(unsigned('v1')), fixed(nok())).resolve(ref, rule('all'));
    expect(!v1Fails.ok && v1Fails.error.message).toBe('Notary v1 (require: all): v1: not signed');
  });

  it('require: all refuses two systems that sign different digests for the tag', async () => {
    const r = await combinedResolver(fixed(v1ok(D1)), fixed(nok(D2))).resolve(ref, rule());
    expect(!r.ok && r.error.code).toBe('DIGEST_MISMATCH');
    expect(!r.ok && r.error.message).toBe(`Notary v1 signs ${D1} for reg.example/app:1 but Notation signs ${D2} (the rule requires both to agree)`);
  });

  it('the disagreement hint says how to fix it under either require, and never to switch to any (which refuses it too)', async () => {
    for (const mode of ['all', 'any'] as const) {
      const r = await combinedResolver(fixed(v1ok(D1)), fixed(nok(D2))).resolve(ref, rule(mode));
      expect(!r.ok && r.error.hint).toBe(
        'find which system signs the wrong image for this tag and sign the tag again for the image it should name (notary add + notary publish, or notation sign that digest), so both name the same digest',
      );
    }
  });

  it('require: any: either passes and the answer says which one; both failing names both; disagreement still fails', async () => {
    const onlyV1 = await combinedResolver(fixed(v1ok()), fixed(unsigned('notation'))).resolve(ref, rule('any'));
    expect(onlyV1.ok && onlyV1.value).toMatchObject({ digest: D1, role: 'targets/releases', via: 'Notary v1 verified it (require: any; Notation did not: UNSIGNED)' });
    const onlyNotation = await combinedResolver(fixed(unsigned('v1')), fixed(nok())).resolve(ref, rule('any'));
    expect(onlyNotation.ok && onlyNotation.value).toMatchObject({ system: 'notation', via: 'Notation verified it (require: any; Notary v1 did not: UNSIGNED)' });
    const bothOk = await combinedResolver(fixed(v1ok()), fixed(nok())).resolve(ref, rule('any'));
    expect(bothOk.ok && bothOk.value.via).toBe('Notary v1 and Notation both verified it (require: any)');
    const none = await combinedResolver(fixed(unsigned('v1')), fixed(new PinError({ code: 'NOTATION_AUTHENTICITY', message: 'untrusted' }))).resolve(ref, rule('any'));
    expect(!none.ok && [none.error.code, none.error.message]).toEqual(['UNSIGNED', 'neither trust system verified it (require: any): Notary v1: v1: not signed; Notation: NOTATION_AUTHENTICITY: untrusted']);
    const disagree = await combinedResolver(fixed(v1ok(D1)), fixed(nok(D2))).resolve(ref, rule('any'));
    expect(!disagree.ok && disagree.error.code).toBe('DIGEST_MISMATCH');
  });

  it('require: any refuses when the failing system contradicts (its tag names another digest, or the registry lied) instead of lacking a signature', async () => {
    const mismatch = new PinError({ code: 'DIGEST_MISMATCH', message: `reg.example/app:1@${D2}: targets/releases signs ${D1} for tag 1`, hint: 'pin again' });
    const v1Contradicts = await combinedResolver(fixed(mismatch), fixed(nok(D2))).resolve(parseReference(`reg.example/app:1@${D2}`), rule('any'));
    expect(!v1Contradicts.ok && [v1Contradicts.error.code, v1Contradicts.error.message]).toEqual([
      'DIGEST_MISMATCH',
      `Notary v1 (require: any; a contradiction, not a missing signature): reg.example/app:1@${D2}: targets/releases signs ${D1} for tag 1`,
    ]);
    const lied = new PinError({ code: 'REGISTRY_DIGEST_MISMATCH', message: 'the registry served other bytes' });
    const registryLied = await combinedResolver(fixed(v1ok()), fixed(lied)).resolve(ref, rule('any'));
    expect(!registryLied.ok && registryLied.error.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(!registryLied.ok && registryLied.error.message).toMatch(/^Notation \(require: any; a contradiction/);
    const missing = await combinedResolver(fixed(unsigned('v1')), fixed(nok(D2))).resolve(ref, rule('any'));
    expect(missing.ok).toBe(true); // a missing signature is not a contradiction
  });

  it('a resolver that throws counts as that system failing', async () => {
    const throws: Resolver = { resolve: () => Promise.reject(new Error('boom')) };
    const r = await combinedResolver(throws, fixed(nok())).resolve(ref, rule('any'));
    expect(r.ok && r.value.via).toBe('Notation verified it (require: any; Notary v1 did not: INTERNAL)');
    const all = await combinedResolver(throws, fixed(nok())).resolve(ref, rule('all'));
    expect(!all.ok && all.error.code).toBe('INTERNAL');
  });
});
