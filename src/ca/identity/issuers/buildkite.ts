import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, joinUrl, optionalString, requireIdentifier, requireString, toUri } from "./claims.js";

/**
 * Buildkite job identities (Fulcio's buildkite-job ci-issuer-metadata). The SAN is the pipeline
 * (<url>/<organization_slug>/<pipeline_slug>); the run invocation names the build and job.
 */
export function buildkiteJobPrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  const organization = requireString(claims, "organization_slug");
  const pipeline = requireString(claims, "pipeline_slug");
  const buildNumber = requireIdentifier(claims, "build_number");
  const jobId = requireString(claims, "job_id");
  const pipelineUri = toUri(joinUrl(issuer.buildkiteUrl, organization, pipeline), "organization_slug/pipeline_slug");
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "uri", value: pipelineUri },
    extensions: defined({
      ...commonExtensions(iss, sub),
      runInvocationURI: toUri(`${joinUrl(pipelineUri, "builds", buildNumber)}#${jobId}`, "build_number/job_id"),
      runnerEnvironment: optionalString(claims, "runner_environment"),
      sourceRepositoryDigest: optionalString(claims, "build_commit"),
      buildTrigger: optionalString(claims, "build_source"),
    }),
  };
}
