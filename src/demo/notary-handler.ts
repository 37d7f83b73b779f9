/** Serves notary trust data (`/v2/<gun>/_trust/tuf/<role>[.<sha256>].json`) from memory, as notary-server does. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type TrustData = Map<string, Map<string, Uint8Array>>;

/** Files by role name (`root`, as `TufRepoBuilder.build()` returns them) keyed as served (`root.json`). */
export const asFiles = (files: Readonly<Record<string, Uint8Array>>): Map<string, Uint8Array> =>
  new Map(Object.entries(files).map(([role, b]) => [`${role}.json`, b] as const));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The notary read API over `data`; `byName` overrides what by-name requests get. */
export function notaryHandler(data: TrustData, byName?: TrustData) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/v2\/(.+)\/_trust\/tuf\/(.+?)(?:\.([0-9a-f]{64}))?\.json$/.exec(path);
    const send404 = () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
    };
    if (!m) return send404();
    const [, gun, role, checksum] = m;
    const files = (checksum === undefined ? byName?.get(gun!) : undefined) ?? data.get(gun!);
    let body = files?.get(`${role}.json`);
    if (checksum !== undefined) {
      body = [...(data.get(gun!)?.entries() ?? [])].find(([name, b]) => name === `${role}.json` && sha(b) === checksum)?.[1];
    }
    if (!body) return send404();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(Buffer.from(body));
  };
}
