/** Signs an image with a pkijs test certificate (one with CRL/OCSP pointers) and pushes it the way notation 1.x does. */
import { KeyObject } from 'node:crypto';
import type { Descriptor } from '../../../src/registry/contract.js';
import type { TestCert as SignerCert } from '../notation/pki.js';
import { signEnvelope } from '../notation/signer.js';
import { pushSignature, type PushTarget } from '../oci-push.js';
import type { TestCert } from './pki.js';

/** A JWS ES256 signature of `subject` by `leaf` (chain leaf → root), pushed to `repo` with the artifactType form. */
export async function pushRevocableSignature(target: PushTarget, repo: string, subject: Descriptor, leaf: TestCert, root: TestCert): Promise<void> {
  const env = signEnvelope({
    format: 'jws',
    alg: 'ES256',
    signingKey: KeyObject.from(leaf.keys.privateKey),
    signingTime: new Date(),
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    // The signer takes certificates as DER; the key is given separately above.
    chain: [leaf, root].map((c) => ({ der: c.der }) as unknown as SignerCert),
  });
  await pushSignature(target, repo, subject, { form: 'artifactType', envelope: env.envelope, envelopeMediaType: env.mediaType });
}
