/** The SBOM index from outside (`vouch push`, `vouch query`, `vouch token`): the API client, tokens, renderers. */
export { IndexClient } from "../api/index-client.js";
export type { IndexClientOptions, PushDeploymentOptions, PushSbomOptions } from "../api/index-client.js";
export { pushSbomFile, pushDeployment, renderSbomPush, renderDeploymentPush } from "../api/push.js";
export { queryAffected, renderAffectedTable } from "../api/query.js";
export { createToken, parseScopes, parseDuration, renderTokenTable, indexOidcAuth, TOKEN_SCOPES } from "../api/tokens.js";
export { createIndexService } from "../sbom-index/service.js";
export { createSliService } from "../sbom-index/sli.js";
export type { SliQuery, SliReport, SliValues, SliRatio, SliAbsent, SliService } from "../sbom-index/sli.js";
export { createReleaseDiffer } from "../sbom-index/diff.js";
export type { ReleaseDiff, ReleaseDiffQuery, ReleaseDiffer } from "../sbom-index/diff.js";
export { querySlis, renderSliTable, queryReleaseDiff, renderReleaseDiff } from "../api/query-reports.js";
export type { CreatedToken, CreateTokenOptions } from "../api/tokens.js";
export { createAttestationService } from "../sbom-index/attestations.js";
export { createScanService } from "../sbom-index/scans.js";
export type { ScanService, VulnerabilityQuery, VulnerabilityReport } from "../sbom-index/scans.js";
export type { AttestationService, AttestationTrust } from "../sbom-index/attestations.js";
export { createProvenanceGraph } from "../sbom-index/provenance.js";
export { createCatalog } from "../sbom-index/catalog.js";
export type { Catalog } from "../sbom-index/catalog.js";
export { createDecisionLog } from "../sbom-index/decisions.js";
export type { DecisionLog } from "../sbom-index/decisions.js";
export { createComponentReader } from "../sbom-index/components.js";
export type { ComponentReader, ComponentQuery } from "../sbom-index/components.js";
export { createAttestationViews } from "../sbom-index/attestation-views.js";
export type { AttestationViews, AttestationListQuery } from "../sbom-index/attestation-views.js";
export { createKeyHealth } from "../sbom-index/key-health.js";
export type { KeyHealthService, KeyRevocation } from "../sbom-index/key-health.js";
export type { ProvenanceEdge, ProvenanceGraph, ProvenanceGraphService, ProvenanceNode } from "../sbom-index/provenance.js";
export { loadAttestationTrust, reloadingAttestationTrust } from "../api/attestation-trust.js";
export { pushAttestationFile, renderAttestationPush, renderProvenanceGraph } from "../api/attestation-push.js";
export { pushScanFile, renderScanPush, renderVulnerabilityTable } from "../api/scan-push.js";
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
