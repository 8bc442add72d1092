/**
 * The API answers the dashboard reads: vouch's own types, imported type-only (nothing of src/ is bundled; the
 * dependency-cruiser rule `web-imports-types-only` keeps it so).
 */
export type {
  SliReport,
  SliValues,
  SliRatio,
  SliAbsent,
  SliGroup,
  SliBucket,
  SignerAnomaly,
} from "../../../src/sbom-index/sli.js";
export type { AffectedResult, AffectedArtifact } from "../../../src/sbom-index/types.js";
export type { ProvenanceGraph, ProvenanceNode, ProvenanceEdge } from "../../../src/sbom-index/provenance.js";
export type { ReleaseDiff } from "../../../src/sbom-index/diff.js";
export type {
  DecisionPage,
  AttestationPage,
  AttestationDetail,
  AttestationLogEntryDetail,
  ArtifactSummary,
  ComponentPage,
  ComponentRow,
  SloTargets,
  KeyHealthReport,
  KeyHealth,
  ReleaseSummary,
  ServiceList,
} from "../../../src/sbom-index/views.js";
export type { DecisionEvent, AttestationRecord, ScanFinding } from "../../../src/store/ports.js";

import type { SliReport } from "../../../src/sbom-index/sli.js";
import type { SloTargets } from "../../../src/sbom-index/views.js";

/** `GET /api/v1/slis` with the SLO targets (views.ts: the answer gains `targets`). */
export type SliAnswer = SliReport & { targets?: SloTargets };

/** The five ratio SLIs the executive view shows, in its order. */
export const SLI_NAMES = ["signedDeploymentRatio", "sbomCoverage", "sbomAlignment", "provenanceCompleteness", "denyRate"] as const;
export type SliName = (typeof SLI_NAMES)[number];
