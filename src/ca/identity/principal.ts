import type { IssuerType, MatchedIssuer } from "./config.js";
import { buildkiteJobPrincipal } from "./issuers/buildkite.js";
import { codefreshWorkflowPrincipal } from "./issuers/codefresh.js";
import { emailPrincipal } from "./issuers/email.js";
import { githubWorkflowPrincipal } from "./issuers/github.js";
import { gitlabPipelinePrincipal } from "./issuers/gitlab.js";
import { kubernetesPrincipal } from "./issuers/kubernetes.js";
import { spiffePrincipal } from "./issuers/spiffe.js";
import { uriPrincipal } from "./issuers/uri.js";
import { usernamePrincipal } from "./issuers/username.js";
import type { Principal, TokenClaims } from "./types.js";

export type { Principal, TokenClaims } from "./types.js";

const DERIVE: Record<IssuerType, (issuer: MatchedIssuer, claims: TokenClaims) => Principal> = {
  "github-workflow": githubWorkflowPrincipal,
  "gitlab-pipeline": gitlabPipelinePrincipal,
  "buildkite-job": buildkiteJobPrincipal,
  "codefresh-workflow": codefreshWorkflowPrincipal,
  email: emailPrincipal,
  spiffe: spiffePrincipal,
  kubernetes: kubernetesPrincipal,
  uri: uriPrincipal,
  username: usernamePrincipal,
};

/**
 * The principal a verified token's claims describe, for the issuer entry the token matched. Pure: no clock, no
 * network; call it only with claims whose signature, issuer, audience and lifetime have been checked
 * (IdentityVerifier.verify does both).
 *
 * @throws VouchError CA_TOKEN_INVALID naming the missing or unusable claim.
 * @example
 *   const principal = principalFromClaims(matchIssuer(resolveIssuers(config), claims.iss)!, claims);
 *   principal.san; // { kind: "uri", value: "https://github.com/owner/repo/.github/workflows/release.yml@refs/heads/main" }
 */
export function principalFromClaims(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  return DERIVE[issuer.type](issuer, claims);
}
