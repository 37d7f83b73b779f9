/**
 * Test helpers for the timestamp and revocation tests: fixture paths, PEM/DER certificate reading,
 * and extraction of the timestamp countersignature from JWS and COSE envelopes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'cborg';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'notation');

export function fixture(rel: string): Buffer {
  return readFileSync(join(FIXTURES, rel));
}

/** Every certificate in a PEM or DER file, as DER. */
export function readCerts(rel: string): Uint8Array[] {
  const raw = fixture(rel);
  const text = raw.toString('latin1');
  if (!text.includes('-----BEGIN')) return [new Uint8Array(raw)];
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(new Uint8Array(Buffer.from(m[1] ?? '', 'base64')));
  return out;
}

export interface EnvelopeTimestamp {
  /** The raw signature bytes the timestamp covers. */
  readonly signature: Uint8Array;
  /** The RFC 3161 token, when the envelope has one. */
  readonly token?: Uint8Array;
}

const TS_KEY = 'io.cncf.notary.timestampSignature';

/** Reads the signature and `io.cncf.notary.timestampSignature` of a JWS or COSE_Sign1 envelope. */
export function envelopeTimestamp(bytes: Uint8Array): EnvelopeTimestamp {
  if (bytes[0] === 0x7b) {
    const jws = JSON.parse(Buffer.from(bytes).toString('utf8')) as { signature: string; header?: Record<string, string> };
    const ts = jws.header?.[TS_KEY];
    return { signature: new Uint8Array(Buffer.from(jws.signature, 'base64url')), token: ts ? new Uint8Array(Buffer.from(ts, 'base64')) : undefined };
  }
  const tags: ((decodeInner: () => unknown) => unknown)[] = [];
  tags[18] = (decodeInner) => decodeInner();
  tags[1] = (decodeInner) => decodeInner();
  const arr = decode(bytes, { tags, useMaps: true }) as [Uint8Array, Map<unknown, unknown>, Uint8Array, Uint8Array];
  const ts = arr[1].get(TS_KEY);
  return { signature: arr[3], token: ts instanceof Uint8Array ? ts : undefined };
}
