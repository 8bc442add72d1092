import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, joinUrl, optionalString, requireString, toUri } from "./claims.js";

/**
 * GitHub Actions workflow identities (Fulcio's github-workflow ci-issuer-metadata in config/identity/config.yaml,
 * and pkg/identity/github before it). The SAN is the workflow that holds the signing instructions
 * (`job_workflow_ref`: the reusable workflow when there is one), not the repository: that is what verifiers pin with
 * --certificate-identity.
 *
 * Claims (docs.github.com, "OpenID Connect reference"): all values are strings, ids included.
 */
export function githubWorkflowPrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  // Required as Fulcio's WorkflowPrincipalFromIDToken requires them; each is named in the refusal.
  const jobWorkflowRef = requireString(claims, "job_workflow_ref");
  const sha = requireString(claims, "sha");
  const eventName = requireString(claims, "event_name");
  const repository = requireString(claims, "repository");
  const workflow = requireString(claims, "workflow");
  const ref = requireString(claims, "ref");
  const jobWorkflowSha = requireString(claims, "job_workflow_sha");
  const runnerEnvironment = requireString(claims, "runner_environment");
  const repositoryId = requireString(claims, "repository_id");
  const repositoryOwner = requireString(claims, "repository_owner");
  const repositoryOwnerId = requireString(claims, "repository_owner_id");
  const workflowRef = requireString(claims, "workflow_ref");
  const workflowSha = requireString(claims, "workflow_sha");
  const runId = requireString(claims, "run_id");
  const runAttempt = requireString(claims, "run_attempt");

  const server = issuer.githubServerUrl;
  const signer = toUri(joinUrl(server, jobWorkflowRef), "job_workflow_ref");
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "uri", value: signer },
    extensions: defined({
      ...commonExtensions(iss, sub),
      // 1.2-1.6: deprecated, still set by Fulcio for verifiers that read them.
      githubWorkflowTrigger: eventName,
      githubWorkflowSHA: sha,
      githubWorkflowName: workflow,
      githubWorkflowRepository: repository,
      githubWorkflowRef: ref,
      buildSignerURI: signer,
      buildSignerDigest: jobWorkflowSha,
      runnerEnvironment,
      sourceRepositoryURI: toUri(joinUrl(server, repository), "repository"),
      sourceRepositoryDigest: sha,
      sourceRepositoryRef: ref,
      sourceRepositoryIdentifier: repositoryId,
      sourceRepositoryOwnerURI: toUri(joinUrl(server, repositoryOwner), "repository_owner"),
      sourceRepositoryOwnerIdentifier: repositoryOwnerId,
      buildConfigURI: toUri(joinUrl(server, workflowRef), "workflow_ref"),
      buildConfigDigest: workflowSha,
      buildTrigger: eventName,
      runInvocationURI: toUri(joinUrl(server, repository, "actions/runs", runId, "attempts", runAttempt), "run_id/run_attempt"),
      sourceRepositoryVisibilityAtSigning: optionalString(claims, "repository_visibility"),
      deploymentEnvironment: optionalString(claims, "environment"),
    }),
  };
}
