/**
 * One entry of `spec.registries`: how to reach a registry (TLS CA, plain HTTP for loopback only,
 * credentials, bounds). An image's registry host without an entry gets the defaults: https, the
 * system CAs, `~/.docker/config.json` credentials.
 */
import { z } from 'zod';
import { AuthSchema } from '../config/auth.js';

/** `127.0.0.0/8`, `localhost`, `[::1]` (with or without a port). */
export function isLoopbackHost(hostPort: string): boolean {
  const h = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.replace(/:\d+$/, '');
  return h.toLowerCase() === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** host[:port] as written in image references: a DNS name or IPv4 address, or a bracketed IPv6 one. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export const RegistryConfigSchema = z
  .strictObject({
    /** Exact host[:port], as in image references (`registry.example.com:5000`, `docker.io`). */
    host: z.string().regex(HOST, 'a host[:port] such as registry.example.com:5000'),
    /** TLS CA bundle: a file path or inline PEM. Default: the system CAs. */
    ca: z.string().min(1).optional(),
    /** Plain http:// instead of https://; only for loopback hosts (127.0.0.0/8, localhost, [::1]). */
    plainHTTP: z.boolean().default(false),
    auth: AuthSchema.optional(),
    /** Per-request timeout (connect + headers + body). */
    timeoutSeconds: z.number().positive().max(300).default(10),
    /** Cap for one manifest or index (notation-go's limit: 4 MiB). */
    maxManifestBytes: z.number().int().positive().max(64 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Cap for one blob, e.g. a signature envelope (notation-go's limit: 32 MiB). */
    maxBlobBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
  })
  .refine((r) => !r.plainHTTP || isLoopbackHost(r.host), {
    message: 'plainHTTP is only allowed for a loopback host (127.0.0.0/8, localhost, [::1]); use https with ca for others',
    path: ['plainHTTP'],
  });
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;
export type RegistryConfigInput = z.input<typeof RegistryConfigSchema>;

/** Host names are case-insensitive; `docker.io` aliases fold to `docker.io`. */
export function normaliseRegistryHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

/** The entry for `host` (exact host[:port], case-insensitive), or the defaults for that host. */
export function registryConfigFor(host: string, registries: readonly RegistryConfig[] = []): RegistryConfig {
  const want = normaliseRegistryHost(host);
  const hit = registries.find((r) => normaliseRegistryHost(r.host) === want);
  return hit ?? RegistryConfigSchema.parse({ host });
}

/** The base URL of a registry's API: `docker.io` → `https://registry-1.docker.io`. */
export function registryBaseUrl(cfg: RegistryConfig): string {
  const host = normaliseRegistryHost(cfg.host) === 'docker.io' ? 'registry-1.docker.io' : cfg.host;
  return `${cfg.plainHTTP ? 'http' : 'https'}://${host}`;
}
