/**
 * Credentials configuration (trust rules' and registries' `auth`), in a module of its own so the
 * registry configuration can use it while the spec schema includes the registries.
 */
import { z } from 'zod';

export const AuthSchema = z.strictObject({
  /** Basic auth / token-realm user name. */
  username: z.string().min(1).optional(),
  /** Name of an environment variable holding the password. Secrets are never inline. */
  passwordEnv: z.string().min(1).optional(),
  /** File holding the password. */
  passwordFile: z.string().min(1).optional(),
  /** Environment variable holding a ready bearer token. */
  tokenEnv: z.string().min(1).optional(),
  /** Docker config.json to take `auths` from; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig: z.string().min(1).optional(),
  /**
   * Token realms on other hosts that may receive these credentials (hosts, `host:port`, or URLs
   * matched by origin). A realm on the server's own host always may; any other is asked anonymously.
   */
  tokenRealms: z.array(z.string().min(1)).max(16).optional(),
});
export type AuthConfig = z.infer<typeof AuthSchema>;
