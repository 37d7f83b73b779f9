/** One `spec.registries` entry (CA, loopback-only plain HTTP, credentials, bounds); other hosts get defaults. */
import { z } from 'zod';
import { AuthSchema } from '../config/auth.js';

export function isLoopbackHost(hostPort: string): boolean {
  const h = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.replace(/:\d+$/, '');
  return h.toLowerCase() === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** host[:port] as in image references: DNS name, IPv4, or bracketed IPv6. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export const RegistryConfigSchema = z
  .strictObject({
    /** Exact host[:port], as in image references. */
    host: z.string().regex(HOST, 'a host[:port] such as registry.example.com:5000'),
    /** TLS CA bundle (file or inline PEM); default the system CAs. */
    ca: z.string().min(1).optional(),
    /** Plain http://; only for loopback hosts (127.0.0.0/8, localhost, [::1]). */
    plainHTTP: z.boolean().default(false),
    auth: AuthSchema.optional(),
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

export function normaliseRegistryHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

export function registryConfigFor(host: string, registries: readonly RegistryConfig[] = []): RegistryConfig {
  const want = normaliseRegistryHost(host);
  const hit = registries.find((r) => normaliseRegistryHost(r.host) === want);
  return hit ?? RegistryConfigSchema.parse({ host });
}

/** `docker.io` → `https://registry-1.docker.io`. */
export function registryBaseUrl(cfg: RegistryConfig): string {
  const host = normaliseRegistryHost(cfg.host) === 'docker.io' ? 'registry-1.docker.io' : cfg.host;
  return `${cfg.plainHTTP ? 'http' : 'https'}://${host}`;
}
