/**
 * Test doubles for the Notation verifier's collaborators: an in-memory trust store, a timestamp
 * verifier that answers a configured genTime or the token's own genTime (they verify nothing: the
 * real one is tested on its own), and a revocation checker that answers configured statuses. Each records its calls.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { TSTInfo } from '@peculiar/asn1-tsp';
import { PinError, err, ok } from '../../../src/errors/errors.js';
import type {
  RevocationChecker,
  RevocationResult,
  TimestampVerifier,
  TrustPolicyStatement,
  TrustStore,
  TrustStoreType,
} from '../../../src/trust/notation/contracts.js';

export function memoryStore(stores: Record<string, Uint8Array[]>): TrustStore & { loads: string[] } {
  const loads: string[] = [];
  return {
    loads,
    async load(type: TrustStoreType, name: string) {
      loads.push(`${type}:${name}`);
      const certs = stores[`${type}:${name}`];
      if (certs === undefined) throw new PinError({ code: 'NOTATION_TRUST_STORE', message: `no store ${type}:${name}` });
      return certs;
    },
  };
}

export interface TimestampCall {
  token: Uint8Array;
  signature: Uint8Array;
  hash: string;
  roots: readonly Uint8Array[];
}

/** Answers `genTime` ± `accuracyMs` (or the given error) for any token. */
export function fixedTimestamp(answer: { genTime: Date; accuracyMs?: number } | PinError): TimestampVerifier & { calls: TimestampCall[] } {
  const calls: TimestampCall[] = [];
  return {
    calls,
    async verify(token, signature, hash, roots) {
      calls.push({ token, signature, hash, roots });
      if (answer instanceof PinError) return err(answer);
      return ok({ genTime: answer.genTime, accuracyMs: answer.accuracyMs ?? 0, tsaChain: [] });
    },
  };
}

/** Answers `status` for every certificate of the chain it is given. */
export function fixedRevocation(status: RevocationResult['status'], validUntil?: Date): RevocationChecker & { calls: Array<{ chain: readonly Uint8Array[]; purpose: string; signingTime?: Date }> } {
  const calls: Array<{ chain: readonly Uint8Array[]; purpose: string; signingTime?: Date }> = [];
  return {
    calls,
    async check(chain, opts) {
      calls.push({ chain, purpose: opts.purpose, signingTime: opts.signingTime });
      return chain.map((_, index) => ({
        index,
        subject: `cert ${index}`,
        status,
        source: 'http://127.0.0.1/test.crl',
        revokedAt: status === 'revoked' ? new Date('2024-06-01T00:00:00Z') : undefined,
        message: status === 'good' ? 'not revoked' : status === 'revoked' ? 'revoked (keyCompromise)' : 'OCSP and CRL unreachable',
        validUntil,
      }));
    },
  };
}

/** A strict statement over `*` (override with `extra`). */
export function statement(extra: Partial<TrustPolicyStatement> = {}): TrustPolicyStatement {
  return {
    name: 'test',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:test'],
    trustedIdentities: ['*'],
    ...extra,
  };
}

/**
 * Reads genTime and accuracy from an RFC 3161 token WITHOUT verifying it (a double for the real
 * TimestampVerifier, so the real envelopes' own timestamps drive the verifier's time logic).
 * Fails (like the real one would) when the TSA root list is empty or the token does not parse.
 */
export function tokenTimeOnly(): TimestampVerifier & { calls: TimestampCall[] } {
  const calls: TimestampCall[] = [];
  return {
    calls,
    async verify(token, signature, hash, roots) {
      calls.push({ token, signature, hash, roots });
      if (roots.length === 0) return err(new PinError({ code: 'NOTATION_TIMESTAMP', message: 'no TSA root certificates' }));
      try {
        const ci = AsnConvert.parse(token, ContentInfo);
        const sd = AsnConvert.parse(ci.content, SignedData);
        const octets = sd.encapContentInfo.eContent?.single;
        if (octets === undefined) throw new Error('no TSTInfo');
        const tst = AsnConvert.parse(octets.buffer, TSTInfo);
        const a = tst.accuracy;
        const accuracyMs = a === undefined ? 0 : (a.seconds ?? 0) * 1000 + (a.millis ?? 0) + (a.micros ?? 0) / 1000;
        return ok({ genTime: tst.genTime, accuracyMs, tsaChain: [] });
      } catch (e) {
        return err(new PinError({ code: 'NOTATION_TIMESTAMP', message: `timestamp token does not parse: ${(e as Error).message}` }));
      }
    },
  };
}
