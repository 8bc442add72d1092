import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, joinUrl, optionalString, requireString, toUri, tokenInvalid } from "./claims.js";

/**
 * GitLab CI job identities (Fulcio's gitlab-pipeline ci-issuer-metadata; pkg/identity/gitlabcom before it).
 * `ci_config_ref_uri` is the top-level pipeline definition without a scheme
 * (gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main); Fulcio prefixes https://.
 */
export function gitlabPipelinePrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  const projectPath = requireString(claims, "project_path");
  const pipelineSource = requireString(claims, "pipeline_source");
  const ciConfigRefUri = requireString(claims, "ci_config_ref_uri");
  const jobId = requireString(claims, "job_id");
  const ref = requireString(claims, "ref");
  const refType = requireString(claims, "ref_type");
  const namespacePath = requireString(claims, "namespace_path");
  const namespaceId = requireString(claims, "namespace_id");
  const projectId = requireString(claims, "project_id");
  const sha = requireString(claims, "sha");
  const runnerEnvironment = requireString(claims, "runner_environment");
  // ci_config_sha is only present when the pipeline definition lives on the same instance.
  const ciConfigSha = optionalString(claims, "ci_config_sha");

  let fullRef: string;
  if (refType === "branch") fullRef = `refs/heads/${ref}`;
  else if (refType === "tag") fullRef = `refs/tags/${ref}`;
  else throw tokenInvalid(`claim "ref_type" must be "branch" or "tag", not ${JSON.stringify(refType)}`);

  const server = issuer.gitlabServerUrl;
  const config = toUri(`https://${ciConfigRefUri}`, "ci_config_ref_uri");
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "uri", value: config },
    extensions: defined({
      ...commonExtensions(iss, sub),
      buildSignerURI: config,
      buildSignerDigest: ciConfigSha,
      runnerEnvironment,
      sourceRepositoryURI: toUri(joinUrl(server, projectPath), "project_path"),
      sourceRepositoryDigest: sha,
      sourceRepositoryRef: fullRef,
      sourceRepositoryIdentifier: projectId,
      sourceRepositoryOwnerURI: toUri(joinUrl(server, namespacePath), "namespace_path"),
      sourceRepositoryOwnerIdentifier: namespaceId,
      buildConfigURI: config,
      buildConfigDigest: ciConfigSha,
      buildTrigger: pipelineSource,
      runInvocationURI: toUri(joinUrl(server, projectPath, "-/jobs", jobId), "project_path/job_id"),
      sourceRepositoryVisibilityAtSigning: optionalString(claims, "project_visibility"),
      deploymentEnvironment: optionalString(claims, "environment"),
    }),
  };
}
