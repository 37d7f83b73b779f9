/** Credentials configuration (trust rules' and registries' `auth`); its own module so registry config can use it. */
import { z } from 'zod';

export const AuthSchema = z.strictObject({
  username: z.string().min(1).optional(),
  /** Name of an environment variable holding the password. Secrets are never inline. */
  passwordEnv: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  /** Environment variable holding a ready bearer token. */
  tokenEnv: z.string().min(1).optional(),
  /** Docker config.json to take `auths` from; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig: z.string().min(1).optional(),
  /** Realms on other hosts (host, `host:port`, URL origin) that may get these credentials; others get none. */
  tokenRealms: z.array(z.string().min(1)).max(16).optional(),
});
export type AuthConfig = z.infer<typeof AuthSchema>;
