/** The HTTP layer for trust data: client, credentials, challenges, PEM helpers. */
export { createHttpClient, redactUrl, type GetOptions, type HttpClient, type HttpClientOptions } from './client.js';
export {
  credentialsFromDockerConfig,
  normaliseAuthKey,
  parseDockerConfig,
  resolveCredentials,
  type Credentials,
  type DockerConfig,
  type ResolveCredentialsOptions,
} from './credentials.js';
export { parseChallenges, type AuthChallenge } from './challenge.js';
export { loadPemSource, parseCertificates } from './tls.js';
