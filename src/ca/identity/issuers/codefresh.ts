import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, joinUrl, optionalString, requireString, toUri } from "./claims.js";

/**
 * Codefresh workflow identities (Fulcio's codefresh-workflow ci-issuer-metadata). The SAN carries both the mutable
 * names and the immutable ids (<platform>/<account_name>/<pipeline_name>:<account_id>/<pipeline_id>) so verifiers can
 * pin either. A `platform_url` claim wins over the configured default, as in Fulcio.
 */
export function codefreshWorkflowPrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  const accountId = requireString(claims, "account_id");
  const accountName = requireString(claims, "account_name");
  const pipelineId = requireString(claims, "pipeline_id");
  const pipelineName = requireString(claims, "pipeline_name");
  const workflowId = requireString(claims, "workflow_id");
  const platform = (optionalString(claims, "platform_url") ?? issuer.codefreshPlatformUrl).replace(/\/+$/, "");
  const build = toUri(joinUrl(platform, "build", workflowId), "platform_url/workflow_id");
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "uri", value: toUri(joinUrl(platform, accountName, `${pipelineName}:${accountId}`, pipelineId), "account_name/pipeline_name") },
    extensions: defined({
      ...commonExtensions(iss, sub),
      buildSignerURI: build,
      runnerEnvironment: optionalString(claims, "runner_environment"),
      sourceRepositoryURI: optionalString(claims, "scm_repo_url"),
      sourceRepositoryRef: optionalString(claims, "scm_ref"),
      buildConfigURI: toUri(joinUrl(platform, "api/pipelines", pipelineId), "pipeline_id"),
      runInvocationURI: build,
    }),
  };
}
