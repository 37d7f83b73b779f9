/**
 * TEST SUPPORT ONLY. `notary-pin webhook` in-process as production wires it (webhookResolverFor),
 * serving TLS from a fresh test CA, and a poster of AdmissionReviews that trusts that CA.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { webhookResolverFor } from '../../../src/cli/resolver.js';
import type { Spec } from '../../../src/config/schema.js';
import { createTestCA, writeTestPki } from '../../../src/demo/pki.js';
import { startWebhookServer } from '../../../src/webhook/server.js';
import { postReview, type Reply } from './client.js';

export interface ProductionWebhook {
  readonly url: string;
  /** POSTs `review` to /validate?timeout=10s (20 s bound). */
  post(review: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export async function startProductionWebhook(spec: Spec, prefix: string): Promise<ProductionWebhook> {
  const tlsDir = mkdtempSync(join(tmpdir(), prefix));
  const ca = createTestCA();
  const { certFile, keyFile } = writeTestPki(tlsDir, ca);
  try {
    const webhook = await startWebhookServer({ spec, resolver: webhookResolverFor(spec, {}), certFile, keyFile, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    return {
      url: webhook.url,
      post: (review) => postReview(webhook.url, review, { ca: ca.certPem, query: '?timeout=10s', timeoutMs: 20_000 }),
      async close() {
        await webhook.close();
        rmSync(tlsDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(tlsDir, { recursive: true, force: true });
    throw e;
  }
}
