/**
 * TEST SUPPORT ONLY. A minimal HTTPS client for talking to the webhook in tests (every request
 * bounded by a timeout).
 */
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint256: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent | false;
  /** PEM of the CA to trust. */
  ca: string | Buffer;
  timeoutMs?: number;
}

/** Sends one request to `url`; resolves with the reply, rejects on transport errors or timeout. */
export function send(url: string, opts: SendOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let fingerprint256 = '';
    const req = request(
      url,
      {
        method: opts.method ?? 'POST',
        headers: opts.headers ?? {},
        ca: opts.ca,
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 15_000,
      },
      (res) => {
        const sock = res.socket as TLSSocket;
        fingerprint256 = sock.getPeerCertificate?.().fingerprint256 ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body), fingerprint256 });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/** POSTs a JSON body to `/validate`. */
export function postReview(baseUrl: string, body: unknown, opts: Omit<SendOptions, 'body'> & { query?: string }): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return send(`${baseUrl}/validate${opts.query ?? ''}`, {
    ...opts,
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: text,
  });
}
