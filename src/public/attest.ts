/** In-toto attestations and SLSA provenance (`vouch attest`, `vouch provenance`). */
export { attestFiles, statementForFiles, predicateTypeOf, readPredicate, generateProvenance } from "../api/attest.js";
export type { AttestOptions, Attestation, ProvenanceOptions } from "../api/attest.js";
export { buildProvenance, sbomByproduct, sbomMediaType, SLSA_PROVENANCE_V1, GITHUB_WORKFLOW_BUILD_TYPE } from "../attest/provenance.js";
export type { SlsaProvenanceV1, ResourceDescriptor, ProvenanceInput } from "../attest/provenance.js";
export { readCiBuild } from "../attest/ci-env.js";
export type { CiBuild, GitHubActionsBuild, GitLabCiBuild } from "../attest/ci-env.js";
