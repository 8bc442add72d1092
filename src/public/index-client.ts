/** The SBOM index from outside (`vouch push`, `vouch query`, `vouch token`): the API client, tokens, renderers. */
export { IndexClient } from "../api/index-client.js";
export type { IndexClientOptions, PushDeploymentOptions, PushSbomOptions } from "../api/index-client.js";
export { pushSbomFile, pushDeployment, renderSbomPush, renderDeploymentPush } from "../api/push.js";
export { queryAffected, renderAffectedTable } from "../api/query.js";
export { createToken, parseScopes, parseDuration, renderTokenTable, indexOidcAuth, TOKEN_SCOPES } from "../api/tokens.js";
export { createIndexService } from "../sbom-index/service.js";
export type { CreatedToken, CreateTokenOptions } from "../api/tokens.js";
export type {
  AffectedArtifact,
  AffectedComponent,
  AffectedDeployment,
  AffectedQuery,
  AffectedResult,
  IngestDeploymentResult,
  IngestSbomResult,
} from "../sbom-index/types.js";
export type { TokenRecord, TokenScope, TokenStore } from "../store/ports.js";
