import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { githubClaims } from "../../../test/support/oidc-issuer.js";
import { matchIssuer, resolveIssuers, type IssuerConfig, type MatchedIssuer } from "./config.js";
import { principalFromClaims } from "./principal.js";
import type { TokenClaims } from "./types.js";

function issuerFor(config: IssuerConfig, iss = config.url): MatchedIssuer {
  const matched = matchIssuer(resolveIssuers([config]), iss);
  if (matched === undefined) throw new Error(`no issuer for ${iss}`);
  return matched;
}

function refused(config: IssuerConfig, claims: TokenClaims): string {
  const err = thrownVouchError(() => principalFromClaims(issuerFor(config, String(claims.iss)), claims));
  expect(err.code).toBe("CA_TOKEN_INVALID");
  return err.message;
}

const GITHUB: IssuerConfig = { url: "https://token.actions.githubusercontent.com", type: "github-workflow" };
const githubToken = (overrides: Record<string, unknown> = {}): TokenClaims => ({ iss: GITHUB.url, aud: "sigstore", ...githubClaims(), ...overrides });

describe("github-workflow", () => {
  it("derives the SAN from job_workflow_ref and every extension Fulcio sets", () => {
    const principal = principalFromClaims(issuerFor(GITHUB), githubToken({ environment: "production" }));
    expect(principal).toEqual({
      issuer: "https://token.actions.githubusercontent.com",
      proofSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
      san: { kind: "uri", value: "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main" },
      extensions: {
        issuerV1: "https://token.actions.githubusercontent.com",
        githubWorkflowTrigger: "push",
        githubWorkflowSHA: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        githubWorkflowName: "Release",
        githubWorkflowRepository: "octo-org/octo-repo",
        githubWorkflowRef: "refs/heads/main",
        issuer: "https://token.actions.githubusercontent.com",
        buildSignerURI: "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        buildSignerDigest: "2f4d7e9c1b3a5d6e8f0a1b2c3d4e5f6a7b8c9d0e",
        runnerEnvironment: "github-hosted",
        sourceRepositoryURI: "https://github.com/octo-org/octo-repo",
        sourceRepositoryDigest: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        sourceRepositoryRef: "refs/heads/main",
        sourceRepositoryIdentifier: "123456",
        sourceRepositoryOwnerURI: "https://github.com/octo-org",
        sourceRepositoryOwnerIdentifier: "78901",
        buildConfigURI: "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        buildConfigDigest: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        buildTrigger: "push",
        runInvocationURI: "https://github.com/octo-org/octo-repo/actions/runs/5432109876/attempts/2",
        sourceRepositoryVisibilityAtSigning: "public",
        deploymentEnvironment: "production",
        tokenSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
      },
    });
  });

  it("uses the configured server URL (GitHub Enterprise Server) and leaves out optional claims the token lacks", () => {
    const ghes = issuerFor({ url: "https://ghe.example.com/_services/token", type: "github-workflow", githubServerUrl: "https://ghe.example.com/" });
    const { repository_visibility: _v, ...claims } = githubToken({ iss: "https://ghe.example.com/_services/token" });
    const principal = principalFromClaims(ghes, claims);
    expect(principal.san.value).toBe("https://ghe.example.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main");
    expect(principal.extensions.sourceRepositoryURI).toBe("https://ghe.example.com/octo-org/octo-repo");
    expect(principal.extensions).not.toHaveProperty("sourceRepositoryVisibilityAtSigning");
    expect(principal.extensions).not.toHaveProperty("deploymentEnvironment");
  });

  it("percent-encodes a non-ASCII ref in URIs (IA5String SAN) but keeps it raw in UTF8String extensions", () => {
    const principal = principalFromClaims(issuerFor(GITHUB), githubToken({ job_workflow_ref: "o/r/.github/workflows/a.yml@refs/heads/ünï", ref: "refs/heads/ünï" }));
    expect(principal.san.value).toBe("https://github.com/o/r/.github/workflows/a.yml@refs/heads/%C3%BCn%C3%AF");
    expect(principal.extensions.sourceRepositoryRef).toBe("refs/heads/ünï");
  });

  it.each(["job_workflow_ref", "sha", "event_name", "repository", "workflow", "ref", "job_workflow_sha", "runner_environment", "repository_id", "repository_owner", "repository_owner_id", "workflow_ref", "workflow_sha", "run_id", "run_attempt", "sub"])(
    "refuses a token without %s, naming it",
    (claim) => {
      expect(refused(GITHUB, githubToken({ [claim]: undefined }))).toBe(`missing claim "${claim}"`);
    },
  );

  it("refuses non-string and control-character claim values", () => {
    expect(refused(GITHUB, githubToken({ run_id: 5432109876 }))).toBe('claim "run_id" must be a string');
    expect(refused(GITHUB, githubToken({ ref: "refs/heads/main\nrefs/heads/evil" }))).toBe('claim "ref" contains control characters');
  });
});

describe("gitlab-pipeline", () => {
  const GITLAB: IssuerConfig = { url: "https://gitlab.com", type: "gitlab-pipeline" };
  // A GitLab CI id_token (docs.gitlab.com "OpenID Connect (OIDC) Authentication Using ID Tokens": token payload).
  const claims = (overrides: Record<string, unknown> = {}): TokenClaims => ({
    iss: "https://gitlab.com",
    aud: "sigstore",
    sub: "project_path:my-group/my-project:ref_type:branch:ref:main",
    namespace_id: "72",
    namespace_path: "my-group",
    project_id: "20",
    project_path: "my-group/my-project",
    user_id: "1",
    user_login: "sample-user",
    user_email: "sample-user@example.com",
    pipeline_id: "574",
    pipeline_source: "push",
    job_id: "302",
    ref: "main",
    ref_type: "branch",
    ref_path: "refs/heads/main",
    ref_protected: "true",
    runner_id: 1,
    runner_environment: "gitlab-hosted",
    sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    project_visibility: "public",
    ci_config_ref_uri: "gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
    ci_config_sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    ...overrides,
  });

  it("derives the SAN from ci_config_ref_uri and the extensions from Fulcio's gitlab template", () => {
    expect(principalFromClaims(issuerFor(GITLAB), claims())).toEqual({
      issuer: "https://gitlab.com",
      proofSubject: "project_path:my-group/my-project:ref_type:branch:ref:main",
      san: { kind: "uri", value: "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main" },
      extensions: {
        issuerV1: "https://gitlab.com",
        issuer: "https://gitlab.com",
        buildSignerURI: "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        buildSignerDigest: "714a629c0b401fdce83e847fc9589983fc6f46bc",
        runnerEnvironment: "gitlab-hosted",
        sourceRepositoryURI: "https://gitlab.com/my-group/my-project",
        sourceRepositoryDigest: "714a629c0b401fdce83e847fc9589983fc6f46bc",
        sourceRepositoryRef: "refs/heads/main",
        sourceRepositoryIdentifier: "20",
        sourceRepositoryOwnerURI: "https://gitlab.com/my-group",
        sourceRepositoryOwnerIdentifier: "72",
        buildConfigURI: "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        buildConfigDigest: "714a629c0b401fdce83e847fc9589983fc6f46bc",
        buildTrigger: "push",
        runInvocationURI: "https://gitlab.com/my-group/my-project/-/jobs/302",
        sourceRepositoryVisibilityAtSigning: "public",
        tokenSubject: "project_path:my-group/my-project:ref_type:branch:ref:main",
      },
    });
  });

  it("writes tags as refs/tags/ and refuses an unknown ref_type", () => {
    expect(principalFromClaims(issuerFor(GITLAB), claims({ ref: "v1.2.0", ref_type: "tag" })).extensions.sourceRepositoryRef).toBe("refs/tags/v1.2.0");
    expect(refused(GITLAB, claims({ ref_type: "merge_request" }))).toBe('claim "ref_type" must be "branch" or "tag", not "merge_request"');
  });

  it("refuses a token without ci_config_ref_uri", () => {
    expect(refused(GITLAB, claims({ ci_config_ref_uri: undefined }))).toBe('missing claim "ci_config_ref_uri"');
  });
});

describe("email", () => {
  const GOOGLE: IssuerConfig = { url: "https://accounts.google.com", type: "email" };
  const claims = (overrides: Record<string, unknown> = {}): TokenClaims => ({
    iss: "https://accounts.google.com",
    aud: "sigstore",
    sub: "110169484474386276334",
    email: "jane.doe@example.com",
    email_verified: true,
    ...overrides,
  });

  it("certifies the verified email, which is also what the proof of possession signs", () => {
    expect(principalFromClaims(issuerFor(GOOGLE), claims())).toEqual({
      issuer: "https://accounts.google.com",
      proofSubject: "jane.doe@example.com",
      san: { kind: "email", value: "jane.doe@example.com" },
      extensions: { issuerV1: "https://accounts.google.com", issuer: "https://accounts.google.com", tokenSubject: "110169484474386276334" },
    });
  });

  it('accepts email_verified "true" as a string (Cognito) and refuses false, missing, or an invalid address', () => {
    expect(principalFromClaims(issuerFor(GOOGLE), claims({ email_verified: "TRUE" })).san.value).toBe("jane.doe@example.com");
    expect(refused(GOOGLE, claims({ email_verified: false }))).toBe('claim "email_verified" is not true');
    expect(refused(GOOGLE, claims({ email_verified: undefined }))).toBe('missing claim "email_verified"');
    expect(refused(GOOGLE, claims({ email: undefined }))).toBe('missing claim "email"');
    expect(refused(GOOGLE, claims({ email: "jane@localhost" }))).toBe('claim "email" is not a valid email address');
    expect(refused(GOOGLE, claims({ email: "jäne@example.com" }))).toBe('claim "email" is not a valid email address');
  });
});

describe("spiffe", () => {
  const SPIRE: IssuerConfig = { url: "https://oidc.spire.example.org", type: "spiffe", spiffeTrustDomain: "example.org" };
  const claims = (sub: string): TokenClaims => ({ iss: SPIRE.url, aud: "sigstore", sub });

  it("certifies the SPIFFE ID as the URI SAN", () => {
    expect(principalFromClaims(issuerFor(SPIRE), claims("spiffe://example.org/ns/prod/sa/builder"))).toEqual({
      issuer: SPIRE.url,
      proofSubject: "spiffe://example.org/ns/prod/sa/builder",
      san: { kind: "uri", value: "spiffe://example.org/ns/prod/sa/builder" },
      extensions: { issuerV1: SPIRE.url, issuer: SPIRE.url, tokenSubject: "spiffe://example.org/ns/prod/sa/builder" },
    });
  });

  it("refuses another trust domain and malformed SPIFFE IDs", () => {
    expect(refused(SPIRE, claims("spiffe://evil.org/ns/prod"))).toBe("SPIFFE ID trust domain evil.org is not the configured trust domain example.org");
    for (const bad of ["https://example.org/x", "spiffe://Example.org/x", "spiffe://example.org/", "spiffe://example.org//x", "spiffe://example.org/../x", "spiffe://example.org:443/x", "spiffe://example.org/x?y"]) {
      expect(refused(SPIRE, claims(bad))).toMatch(/^claim "sub" is not a valid SPIFFE ID/);
    }
  });
});

describe("kubernetes", () => {
  const EKS: IssuerConfig = { url: "https://oidc.eks.*.amazonaws.com/id/*", type: "kubernetes" };
  const iss = "https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB";
  // A projected service-account token's claims (kubernetes.io/docs "Service account token volume projection").
  const claims = (k8s: unknown): TokenClaims => ({ iss, aud: ["sigstore"], sub: "system:serviceaccount:default:builder", "kubernetes.io": k8s });

  it("certifies https://kubernetes.io/namespaces/<ns>/serviceaccounts/<name> from a meta issuer", () => {
    const k8s = { namespace: "default", pod: { name: "build-7d9f", uid: "49ad3572-b3dd-43a6-8d77-5858d3660275" }, serviceaccount: { name: "builder", uid: "f5720c1d-e152-4356-a897-11b07aff165d" } };
    expect(principalFromClaims(issuerFor(EKS, iss), claims(k8s))).toEqual({
      issuer: iss,
      proofSubject: "system:serviceaccount:default:builder",
      san: { kind: "uri", value: "https://kubernetes.io/namespaces/default/serviceaccounts/builder" },
      extensions: { issuerV1: iss, issuer: iss, tokenSubject: "system:serviceaccount:default:builder" },
    });
  });

  it("refuses tokens without the kubernetes.io claims, naming the missing one", () => {
    expect(refused(EKS, claims(undefined))).toBe('missing claim "kubernetes.io"');
    expect(refused(EKS, claims({ serviceaccount: { name: "builder" } }))).toBe('missing claim "kubernetes.io.namespace"');
    expect(refused(EKS, claims({ namespace: "default" }))).toBe('missing claim "kubernetes.io.serviceaccount"');
    expect(refused(EKS, claims({ namespace: "default/../kube-system", serviceaccount: { name: "x" } }))).toMatch(/^claim "kubernetes.io.namespace" is not a Kubernetes object name/);
    expect(refused(EKS, claims("default"))).toBe('claim "kubernetes.io" must be an object');
  });
});

describe("uri and username", () => {
  const URI: IssuerConfig = { url: "https://accounts.example.com", type: "uri", subjectDomain: "https://example.com" };
  const USERNAME: IssuerConfig = { url: "https://accounts.example.com", type: "username", subjectDomain: "example.com" };
  const claims = (sub: string): TokenClaims => ({ iss: "https://accounts.example.com", aud: "sigstore", sub });

  it("uri: certifies a subject URI on exactly the subject domain's scheme and host", () => {
    expect(principalFromClaims(issuerFor(URI), claims("https://example.com/users/jane"))).toMatchObject({
      proofSubject: "https://example.com/users/jane",
      san: { kind: "uri", value: "https://example.com/users/jane" },
    });
    expect(refused(URI, claims("https://evil.com/users/jane"))).toBe("subject host evil.com must be the subject domain example.com");
    expect(refused(URI, claims("http://example.com/users/jane"))).toBe("subject URI scheme http: must be the subject domain's https:");
    expect(refused(URI, claims("jane@example.com"))).toBe('claim "sub" is an email address, not a URI');
  });

  it("username: certifies <sub>!<domain> as an otherName; the proof signs the bare username", () => {
    expect(principalFromClaims(issuerFor(USERNAME), claims("jane"))).toEqual({
      issuer: "https://accounts.example.com",
      proofSubject: "jane",
      san: { kind: "otherName", value: "jane!example.com" },
      extensions: { issuerV1: "https://accounts.example.com", issuer: "https://accounts.example.com", tokenSubject: "jane" },
    });
    expect(refused(USERNAME, claims("jane!evil.com"))).toBe('claim "sub": a username cannot contain "!"');
    expect(refused(USERNAME, claims("jane@example.com"))).toBe('claim "sub": a username cannot be an email address');
  });
});

describe("buildkite-job and codefresh-workflow", () => {
  it("buildkite: SAN is the pipeline, run invocation names build and job (build_number may be a number)", () => {
    const BUILDKITE: IssuerConfig = { url: "https://agent.buildkite.com", type: "buildkite-job" };
    const principal = principalFromClaims(issuerFor(BUILDKITE), {
      iss: BUILDKITE.url,
      aud: "sigstore",
      sub: "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:9f3182061f1e2cca4702c368cbc039b7dc9d4485:step:build",
      organization_slug: "acme",
      pipeline_slug: "deploy",
      build_number: 1,
      build_branch: "main",
      build_commit: "9f3182061f1e2cca4702c368cbc039b7dc9d4485",
      build_source: "ui",
      step_key: "build",
      job_id: "0184990a-477b-4fa8-9968-496074483cee",
      agent_id: "0184990a-4782-42b5-afc1-16715b10b8ff",
      runner_environment: "buildkite-hosted",
    });
    expect(principal.san).toEqual({ kind: "uri", value: "https://buildkite.com/acme/deploy" });
    expect(principal.extensions).toMatchObject({
      runInvocationURI: "https://buildkite.com/acme/deploy/builds/1#0184990a-477b-4fa8-9968-496074483cee",
      sourceRepositoryDigest: "9f3182061f1e2cca4702c368cbc039b7dc9d4485",
      buildTrigger: "ui",
      runnerEnvironment: "buildkite-hosted",
    });
  });

  it("codefresh: SAN carries names and ids; a platform_url claim wins over the default", () => {
    const CODEFRESH: IssuerConfig = { url: "https://oidc.codefresh.io", type: "codefresh-workflow" };
    const base = {
      iss: CODEFRESH.url,
      aud: "sigstore",
      sub: "account:628a80b693a15c0f9c13ab75:pipeline:65e5a53e52853dc51a5b0cc1:initiator:user",
      account_id: "628a80b693a15c0f9c13ab75",
      account_name: "codefresh-account",
      pipeline_id: "65e5a53e52853dc51a5b0cc1",
      pipeline_name: "oidc-test/get-token",
      workflow_id: "65e6d5551e5a3f5e2ed8d6bf",
      scm_repo_url: "https://github.com/codefresh-user/oidc-test",
      scm_ref: "main",
    };
    const principal = principalFromClaims(issuerFor(CODEFRESH), base);
    expect(principal.san.value).toBe("https://g.codefresh.io/codefresh-account/oidc-test/get-token:628a80b693a15c0f9c13ab75/65e5a53e52853dc51a5b0cc1");
    expect(principal.extensions).toMatchObject({
      buildSignerURI: "https://g.codefresh.io/build/65e6d5551e5a3f5e2ed8d6bf",
      buildConfigURI: "https://g.codefresh.io/api/pipelines/65e5a53e52853dc51a5b0cc1",
      runInvocationURI: "https://g.codefresh.io/build/65e6d5551e5a3f5e2ed8d6bf",
      sourceRepositoryURI: "https://github.com/codefresh-user/oidc-test",
      sourceRepositoryRef: "main",
    });
    expect(principalFromClaims(issuerFor(CODEFRESH), { ...base, platform_url: "https://cf.example.com" }).extensions.buildSignerURI).toBe(
      "https://cf.example.com/build/65e6d5551e5a3f5e2ed8d6bf",
    );
  });
});
