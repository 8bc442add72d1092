import { VouchError } from "../core/errors.js";
import type { GitInfo } from "../sbom/model/types.js";
import { readCiBuild, type Env, type GitHubActionsBuild, type GitLabCiBuild } from "./ci-env.js";

/**
 * SLSA Provenance v1 predicates (https://slsa.dev/spec/v1.0/provenance) built from the CI environment. Pure: the
 * environment, clock and git state come in as arguments.
 *
 * GitHub Actions follows the buildType https://actions.github.io/buildtypes/workflow/v1 field for field as
 * actions/attest-build-provenance writes it (test/fixtures/slsa/bcr). GitLab CI follows GitLab Runner's buildType
 * (https://gitlab.com/gitlab-org/gitlab-runner/-/blob/{REVISION}/PROVENANCE.md, documented at
 * docs.gitlab.com/ci/pipeline_security/slsa/provenance_v1) with two corrections: the source commit is a
 * `gitCommit` digest (the runner labels the SHA-1 commit id "sha256"), and `invocationId` is spelled as SLSA spells it.
 * Anywhere else a generic buildType records the git checkout.
 */

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const GITHUB_WORKFLOW_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";
/** npm's and sigstore's convention for the builder of a GitHub Actions job: the runner kind. */
export const GITHUB_RUNNER_BUILDER_PREFIX = "https://github.com/actions/runner";
export const GITLAB_RUNNER_BUILD_TYPE_PREFIX = "https://gitlab.com/gitlab-org/gitlab-runner/-/blob";
/** vouch's buildType for a build outside a known CI: externalParameters {repository?, ref?}, a git checkout. */
export const GENERIC_BUILD_TYPE = "https://vouch.dev/buildtypes/generic/v1";
export const GENERIC_BUILDER_ID = "https://vouch.dev/builders/local";

/** in-toto ResourceDescriptor (https://github.com/in-toto/attestation/blob/main/spec/v1/resource_descriptor.md). */
export interface ResourceDescriptor {
  uri?: string;
  digest?: Record<string, string>;
  name?: string;
  mediaType?: string;
}

/** A type alias (not an interface) so that it is assignable where a JSON object (Record<string, unknown>) is expected. */
export type SlsaProvenanceV1 = {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string> };
    metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
    byproducts?: ResourceDescriptor[];
  };
};

export interface ProvenanceInput {
  env: Env;
  /** When the build finished (the caller's clock, or SOURCE_DATE_EPOCH). */
  finishedOn?: Date;
  /** When the build started, if the caller knows better than the environment (GitLab gives CI_JOB_STARTED_AT). */
  startedOn?: Date;
  /** The git checkout, for a build outside CI. */
  git?: GitInfo;
  /** Other outputs of the build, e.g. the SBOM (see sbomByproduct). */
  byproducts?: ResourceDescriptor[];
  /** Overrides runDetails.builder.id. */
  builderId?: string;
}

/**
 * Build a SLSA Provenance v1 predicate for the current build.
 *
 * @example
 *   const predicate = buildProvenance({ env: process.env, finishedOn: new Date(), byproducts: [sbomByproduct("sbom.cdx.json", text)] });
 */
export function buildProvenance(input: ProvenanceInput): SlsaProvenanceV1 {
  const ci = readCiBuild(input.env);
  const provenance = ci?.provider === "github-actions" ? fromGitHub(ci) : ci?.provider === "gitlab-ci" ? fromGitLab(ci) : generic(input.git);
  const metadata = provenance.runDetails.metadata ?? {};
  const startedOn = input.startedOn ?? (ci?.provider === "gitlab-ci" ? parseInstant(ci.jobStartedAt) : undefined);
  if (startedOn) metadata.startedOn = rfc3339(startedOn);
  if (input.finishedOn) metadata.finishedOn = rfc3339(input.finishedOn);
  if (Object.keys(metadata).length > 0) provenance.runDetails.metadata = metadata;
  if (input.builderId !== undefined) provenance.runDetails.builder.id = checkUri(input.builderId, "--builder-id");
  if (input.byproducts && input.byproducts.length > 0) provenance.runDetails.byproducts = input.byproducts;
  if (provenance.buildDefinition.resolvedDependencies?.length === 0) delete provenance.buildDefinition.resolvedDependencies;
  return provenance;
}

/** The buildType actions/attest-build-provenance writes, read from the default environment variables instead of the OIDC token. */
function fromGitHub(gh: GitHubActionsBuild): SlsaProvenanceV1 {
  const repoUrl = `${gh.serverUrl}/${gh.repository}`;
  // GITHUB_WORKFLOW_REF = "owner/repo/.github/workflows/release.yml@refs/heads/main": path and ref of the workflow file.
  const workflowRef = gh.workflowRef ?? "";
  const at = workflowRef.indexOf("@");
  const workflowPath = (at < 0 ? workflowRef : workflowRef.slice(0, at)).replace(`${gh.repository}/`, "");
  const ref = gh.ref ?? (at < 0 ? undefined : workflowRef.slice(at + 1));
  const github: Record<string, string> = {};
  if (gh.eventName) github.event_name = gh.eventName;
  if (gh.repositoryId) github.repository_id = gh.repositoryId;
  if (gh.repositoryOwnerId) github.repository_owner_id = gh.repositoryOwnerId;
  if (gh.runnerEnvironment) github.runner_environment = gh.runnerEnvironment;
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: { workflow: { ...(ref ? { ref } : {}), repository: repoUrl, ...(workflowPath ? { path: workflowPath } : {}) } },
      internalParameters: { github },
      resolvedDependencies: gh.sha ? [{ uri: `git+${repoUrl}${ref ? `@${ref}` : ""}`, digest: { gitCommit: gh.sha } }] : [],
    },
    runDetails: {
      builder: {
        id: gh.runnerEnvironment
          ? `${GITHUB_RUNNER_BUILDER_PREFIX}/${gh.runnerEnvironment}`
          : gh.workflowRef
            ? `${gh.serverUrl}/${gh.workflowRef}`
            : `${GITHUB_RUNNER_BUILDER_PREFIX}/unknown`,
      },
      metadata: { invocationId: `${repoUrl}/actions/runs/${gh.runId}/attempts/${gh.runAttempt}` },
    },
  };
}

/** GitLab Runner's buildType (PROVENANCE.md), from the predefined CI/CD variables. */
function fromGitLab(gl: GitLabCiBuild): SlsaProvenanceV1 {
  const revision = gl.runnerRevision ?? (gl.runnerVersion ? `v${gl.runnerVersion.replace(/^v/, "")}` : "main");
  const ref = gl.tag ? `refs/tags/${gl.tag}` : gl.ref ? `refs/heads/${gl.ref}` : undefined;
  const internal: Record<string, string> = {};
  if (gl.runnerDescription) internal.name = gl.runnerDescription;
  if (gl.runnerArch) internal.architecture = gl.runnerArch.slice(gl.runnerArch.lastIndexOf("/") + 1);
  internal.job = gl.jobId;
  const runnerVersion = gl.runnerRevision ?? gl.runnerVersion;
  return {
    buildDefinition: {
      buildType: `${GITLAB_RUNNER_BUILD_TYPE_PREFIX}/${revision}/PROVENANCE.md`,
      externalParameters: { source: gl.projectUrl, ...(gl.jobName ? { entryPoint: gl.jobName } : {}), variables: gl.variables },
      internalParameters: internal,
      resolvedDependencies: gl.sha ? [{ uri: `git+${gl.projectUrl}${ref ? `@${ref}` : ""}`, digest: { gitCommit: gl.sha } }] : [],
    },
    runDetails: {
      builder: {
        id: `${gl.projectUrl}/-/runners/${gl.runnerId ?? "unknown"}`,
        ...(runnerVersion ? { version: { "gitlab-runner": runnerVersion } } : {}),
      },
      metadata: { invocationId: gl.jobUrl ?? `${gl.projectUrl}/-/jobs/${gl.jobId}` },
    },
  };
}

/** A build outside CI: what the git checkout says (remote, branch, commit). */
function generic(git: GitInfo | undefined): SlsaProvenanceV1 {
  const repository = git?.remote ? gitRemoteUri(git.remote) : undefined;
  const ref = git?.branch ? `refs/heads/${git.branch}` : undefined;
  const resolved: ResourceDescriptor[] =
    git?.commit && repository ? [{ uri: `git+${repository}${ref ? `@${ref}` : ""}`, digest: { gitCommit: git.commit } }] : git?.commit ? [{ digest: { gitCommit: git.commit } }] : [];
  return {
    buildDefinition: {
      buildType: GENERIC_BUILD_TYPE,
      externalParameters: { ...(repository ? { repository } : {}), ...(ref ? { ref } : {}) },
      resolvedDependencies: resolved,
    },
    runDetails: { builder: { id: GENERIC_BUILDER_ID } },
  };
}

/** scp-like remotes ("git@host:org/repo.git") as the ssh URL they mean, so "git+" + uri is an SPDX download location. */
function gitRemoteUri(remote: string): string {
  const scp = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(remote);
  return scp ? `ssh://${scp[1] ?? ""}${scp[2]}/${scp[3]!.replace(/^\/+/, "")}` : remote;
}

/** SBOM media types (IANA: application/vnd.cyclonedx+json / +xml, application/spdx+json). */
export function sbomMediaType(text: string): string {
  const head = text.trimStart();
  if (head.startsWith("<")) return /cyclonedx/i.test(head.slice(0, 2000)) ? "application/vnd.cyclonedx+xml" : "application/xml";
  try {
    const doc = JSON.parse(head) as unknown;
    if (doc && typeof doc === "object") {
      if ((doc as { bomFormat?: unknown }).bomFormat === "CycloneDX") return "application/vnd.cyclonedx+json";
      if (typeof (doc as { spdxVersion?: unknown }).spdxVersion === "string") return "application/spdx+json";
    }
    return "application/json";
  } catch {
    return /^SPDXVersion:/m.test(head) ? "text/spdx" : "application/octet-stream";
  }
}

/** The byproduct entry linking the provenance to an SBOM: {name, digest: {sha256}, mediaType}. */
export function sbomByproduct(name: string, sha256Hex: string, mediaType: string): ResourceDescriptor {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new VouchError("INPUT_MALFORMED", `not a sha256 hex digest: ${sha256Hex}`);
  return { name, digest: { sha256: sha256Hex }, mediaType };
}

function parseInstant(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** RFC 3339 in UTC with "Z", whole seconds (SLSA Timestamp). */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function checkUri(value: string, what: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) throw new VouchError("INPUT_USAGE", `${what} must be a URI, not "${value}"`);
  return value;
}
