/** How Notation answers read in results, the summary and webhook warnings (Notary v1's are unchanged). */
import { describe, expect, it } from 'vitest';
import type { ImageOutcome, ImageUse } from '../engine/evaluate.js';
import type { Resolution } from '../engine/port.js';
import { unverifiedWarnings } from './admission.js';
import { signedBy, summaryLines, toKrmResults } from './format.js';

const D = `sha256:${'a'.repeat(64)}`;
const use: ImageUse = { resourceIndex: 0, resource: { kind: 'Pod', name: 'p' }, field: 'spec.containers[0].image', path: [], image: 'reg.example/app:v1' };
const notary: Resolution = { digest: D, tag: 'v1', role: 'targets/releases', gun: 'reg.example/app' };
const notation: Resolution = { digest: D, tag: 'v1', system: 'notation', signer: 'C=US, ST=WA, O=Acme, CN=ci', role: 'notary.x509', gun: 'reg.example/app' };
const why = 'NOT VERIFIED: trust policy "dev" is level skip';
const skipped: Resolution = { digest: D, tag: 'v1', system: 'notation', signer: why, role: why, gun: 'reg.example/app', unverified: why };
const pinned = (resolution: Resolution): ImageOutcome => ({ status: 'pinned', use, resolution, newValue: `reg.example/app:v1@${D}`, changed: true });

describe('signer text', () => {
  it('Notary v1: the role, as before; Notation: the signer and the scheme; skip: says it was not verified', () => {
    expect(signedBy(notary)).toBe('targets/releases');
    expect(signedBy(notation)).toBe('C=US, ST=WA, O=Acme, CN=ci (Notation, notary.x509)');
    expect(signedBy(skipped)).toBe(why);
    expect(signedBy({ ...notation, signer: 'CN=evil\u001b[2J' })).toBe('CN=evil\\u001b[2J (Notation, notary.x509)');
  });
});

describe('results and summary', () => {
  it('a Notary v1 pin reads as it always did', () => {
    const [r] = toKrmResults([pinned(notary)], () => undefined);
    expect(r!.severity).toBe('info');
    expect(r!.message).toBe(`reg.example/app:v1: pinned to ${D} (signed by targets/releases)`);
    expect(r!.tags).toEqual({ outcome: 'pinned', role: 'targets/releases' });
    expect(summaryLines([pinned(notary)])[0]).toBe(`pinned    reg.example/app:v1 -> reg.example/app:v1@${D} (targets/releases)  <- Pod p spec.containers[0].image`);
  });

  it('a Notation pin names the signer and the system', () => {
    const [r] = toKrmResults([pinned(notation)], () => undefined);
    expect(r!.severity).toBe('info');
    expect(r!.message).toContain('signed by C=US, ST=WA, O=Acme, CN=ci (Notation, notary.x509)');
    expect(r!.tags).toEqual({ outcome: 'pinned', role: 'notary.x509', system: 'notation', signer: 'C=US, ST=WA, O=Acme, CN=ci' });
  });

  it('a digest pinned at level skip is a warning everywhere, never a silent pass', () => {
    const [r] = toKrmResults([pinned(skipped)], () => undefined);
    expect(r!.severity).toBe('warning');
    expect(r!.message).toContain('WITHOUT signature verification');
    expect(r!.tags!.unverified).toBe('true');
    expect(summaryLines([pinned(skipped)])[0]).toMatch(/^UNVERIFIED pinned +reg\.example\/app:v1 -> /);
    const verified: ImageOutcome = { status: 'verified', use, resolution: skipped };
    expect(toKrmResults([verified], () => undefined)[0]!.severity).toBe('warning');
    expect(summaryLines([verified])[0]).toMatch(/^UNVERIFIED reg\.example\/app:v1 \(NOT VERIFIED/);
    expect(unverifiedWarnings([verified])).toEqual([
      `notary-pin: admitted WITHOUT signature verification (${why}): spec.containers[0].image: "reg.example/app:v1"`,
    ]);
    expect(unverifiedWarnings([{ status: 'verified', use, resolution: notation }])).toEqual([]);
  });
});
