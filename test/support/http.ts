/**
 * A bounded HTTP(S) GET for the test harness (timeout, body cap, optional private CA).
 */
import http from 'node:http';
import https from 'node:https';

/** Response of {@link httpGet}. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Options for {@link httpGet}. */
export interface HttpGetOptions {
  /** PEM CA bundle to trust for https URLs (nothing else is trusted when set). */
  ca?: string;
  headers?: Record<string, string>;
  /** Whole-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Body cap in bytes (default 16 MiB); a larger body rejects. */
  maxBytes?: number;
  method?: 'GET' | 'HEAD';
}

/** GETs `url` and resolves with status, headers and body whatever the status. */
export function httpGet(url: string, opts: HttpGetOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const common = { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false as const };
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let len = 0;
      res.on('data', (c: Buffer) => {
        len += c.length;
        if (len > maxBytes) {
          req.destroy(new Error(`${url}: body larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    };
    const req =
      u.protocol === 'https:'
        ? https.request(u, { ...common, ...(opts.ca === undefined ? {} : { ca: opts.ca }) }, onResponse)
        : http.request(u, common, onResponse);
    const timer = setTimeout(() => req.destroy(new Error(`${url}: timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}
