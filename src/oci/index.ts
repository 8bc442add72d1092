/** OCI registries: references, the distribution API client, Docker credentials, platform pick. */
export { parseReference, formatReference, familiarReference, apiHost, isLoopbackRegistry, DOCKER_HUB, DOCKER_HUB_API_HOST, type ImageReference } from "./reference.js";
export { parseDigest, isDigest, digestOf, createDigester, type DigestAlgorithm, type ParsedDigest, type Digester } from "./digest.js";
export { parsePlatform, formatPlatform, hostPlatform, pickPlatform, platformRank } from "./platform.js";
export { parseManifestDocument, parseDescriptor, type ManifestDocument, type ImageIndexDocument, type ImageManifestDocument } from "./manifest.js";
export { parseChallenges, type Challenge } from "./challenge.js";
export { parseDockerConfig, readDockerConfig, staticCredentials, type CredentialStore, type RegistryCredential, type DockerConfigLocation } from "./docker-config.js";
export {
  RegistryClient,
  MANIFEST_ACCEPT,
  nextLink,
  type RegistryClientOptions,
  type RegistryRequest,
  type RepositoryTarget,
  type FetchedManifest,
  type FetchedDocument,
  type OciFetch,
  type OciRequestInit,
  type OciResponse,
} from "./client.js";
export { DEFAULT_RETRY_POLICY, backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "./retry.js";
export { listReferrers, attachReferrer, referrersTag, type ListedReferrers, type ReferrersVia } from "./referrers.js";
export { openRegistryImage, type RegistryImageOptions } from "./registry-image.js";
