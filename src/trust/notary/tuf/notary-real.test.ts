/**
 * Verifies trust data written by the real notary CLI and served by the real notary-server 0.7
 * (captured into test/fixtures/notary-real/, see its README): key IDs, canonical JSON, signatures,
 * hashes, delegations — the proof that this verifier agrees with Notary's.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPinError } from '../../../errors/errors.js';
import { canonicalString, parseJsonBytes } from './canonical.js';
import { canonicalKeyId, makeKey, verifySignature } from './keys.js';
import { parseRoot } from './root.js';
import { createVerifier } from './verifier.js';
import { editSignatures } from '../sign/repo.js';

const FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/notary-real');

interface Manifest {
  gun: string;
  capturedAt: string;
  rootKeyIds: string[];
  tags: { tag: string; digest: string; length: number; role: string }[];
  files: Record<string, string>;
}

const cases = existsSync(FIXTURES)
  ? readdirSync(FIXTURES, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'manifest.json')))
      .map((d) => d.name)
  : [];

describe.skipIf(cases.length === 0)('real notary trust data', () => {
  for (const name of cases) {
    const dir = join(FIXTURES, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const file = (role: string): Uint8Array => new Uint8Array(readFileSync(join(dir, manifest.files[role]!)));
    const inside = new Date(Date.parse(manifest.capturedAt) + 3600_000);

    describe(name, () => {
      it('notary signed the exact canonical JSON we produce for every role', () => {
        for (const role of Object.keys(manifest.files)) {
          const raw = Buffer.from(file(role)).toString('utf8');
          const parsed = parseJsonBytes(file(role)) as { signed: unknown };
          // notary-server stores `signed` as the canonical bytes the client signed.
          const start = raw.indexOf('"signed":') + '"signed":'.length;
          const canon = canonicalString(parsed.signed);
          expect(raw.slice(start, start + canon.length)).toBe(canon);
        }
      });

      it('computes the key IDs notary wrote, and verifies each signature with its key', () => {
        const root = parseRoot(file('root'), manifest.gun);
        for (const [id, key] of root.keys) expect(key.id).toBe(id);
        expect([...root.roles.get('root')!.keys.keys()]).toEqual(manifest.rootKeyIds);
        for (const rk of root.roles.get('root')!.keys.values()) {
          expect(rk.keytype).toBe('ecdsa-x509');
          const canon = canonicalKeyId(rk);
          expect(canon).toMatch(/^[0-9a-f]{64}$/);
          expect(canon).not.toBe(rk.id);
        }
        const keyTypes = [...root.keys.values()].map((k) => k.keytype).sort();
        expect(keyTypes).toContain('ed25519'); // the server's timestamp key
        for (const role of ['root', 'timestamp', 'snapshot', 'targets']) {
          const env = parseJsonBytes(file(role)) as { signed: unknown; signatures: { keyid: string; method: string; sig: string }[] };
          const msg = new TextEncoder().encode(canonicalString(env.signed));
          const keys = root.roles.get(role as 'root')!.keys;
          expect(env.signatures.length).toBeGreaterThan(0);
          for (const s of env.signatures) {
            const key = keys.get(s.keyid) ?? root.keys.get(s.keyid);
            expect(key, `${role} signed by a key root lists`).toBeDefined();
            expect(['ecdsa', 'eddsa']).toContain(s.method);
            expect(verifySignature(makeKey(key!.keytype, key!.public), s.method, Buffer.from(s.sig, 'base64'), msg)).toBe(true);
          }
        }
      });

      it('verifies the repository pinned by the root key ID and finds every tag', () => {
        const v = createVerifier({
          gun: manifest.gun,
          anchor: { rootKeyIds: manifest.rootKeyIds, tofu: false },
          now: inside,
          maxDelegationDepth: 4,
        });
        v.updateRoot(file('root'));
        v.updateTimestamp(file('timestamp'));
        v.updateSnapshot(file('snapshot'));
        v.updateTargets(file('targets'));
        for (const d of v.neededDelegations(['targets/releases', 'targets'])) v.updateDelegation(d.role, file(d.role));
        for (const t of manifest.tags) {
          expect(v.lookupTag(t.tag, ['targets/releases', 'targets'])).toEqual({
            role: t.role,
            name: t.tag,
            digest: t.digest,
            length: t.length,
          });
          expect(v.lookupDigest(t.digest, [t.role]).map((x) => x.name)).toContain(t.tag);
        }
        expect(v.state().gun).toBe(manifest.gun);
      });

      it('pins by the canonical key ID (`notary key list`) as well', () => {
        const root = parseRoot(file('root'), manifest.gun);
        const canonical = [...root.roles.get('root')!.keys.values()].map((k) => canonicalKeyId(k)!);
        const v = createVerifier({ gun: manifest.gun, anchor: { rootKeyIds: canonical, tofu: false }, now: inside, maxDelegationDepth: 4 });
        expect(() => v.updateRoot(file('root'))).not.toThrow();
      });

      it('fails on the same data for another GUN, after expiry, and with a broken signature', () => {
        const wrongGun = createVerifier({ gun: `${manifest.gun}-other`, anchor: { tofu: true }, now: inside, maxDelegationDepth: 4 });
        expect(() => wrongGun.updateRoot(file('root'))).toThrow(expect.objectContaining({ code: 'TRUST_MISMATCH' }));

        const later = createVerifier({
          gun: manifest.gun,
          anchor: { rootKeyIds: manifest.rootKeyIds, tofu: false },
          now: new Date(Date.parse(manifest.capturedAt) + 15 * 24 * 3600_000),
          maxDelegationDepth: 4,
        });
        later.updateRoot(file('root'));
        expect(() => later.updateTimestamp(file('timestamp'))).toThrow(expect.objectContaining({ code: 'TRUST_EXPIRED' }));

        const v = createVerifier({ gun: manifest.gun, anchor: { rootKeyIds: manifest.rootKeyIds, tofu: false }, now: inside, maxDelegationDepth: 4 });
        v.updateRoot(file('root'));
        const broken = editSignatures(file('timestamp'), (sigs) =>
          sigs.map((s) => {
            const b = Buffer.from(s.sig, 'base64');
            b[0] = b[0]! ^ 0xff;
            return { ...s, sig: b.toString('base64') };
          }),
        );
        try {
          v.updateTimestamp(broken);
          throw new Error('expected a failure');
        } catch (e) {
          expect(isPinError(e) && e.code).toBe('TRUST_SIGNATURE');
        }
      });
    });
  }
});
