import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { buildProvenance, sbomByproduct, sbomMediaType } from "./provenance.js";

const SLSA = join(import.meta.dirname, "..", "..", "test", "fixtures", "slsa");

/** The in-toto statement of a bundle or DSSE file (one JSON document per line). */
function statementOf(file: string): { predicateType: string; predicate: Record<string, any> } {
  const line = readFileSync(join(SLSA, file), "utf8").split("\n").find((l) => l.trim() !== "")!;
  const doc = JSON.parse(line);
  const envelope = doc.dsseEnvelope ?? doc;
  return JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
}

/** The variables GitHub Actions set for the run that made test/fixtures/slsa/bcr/*.intoto.jsonl (from its provenance). */
const BCR_RUN = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "aspect-build/rules_lint",
  GITHUB_REPOSITORY_ID: "631710741",
  GITHUB_REPOSITORY_OWNER_ID: "60951090",
  GITHUB_EVENT_NAME: "workflow_dispatch",
  GITHUB_REF: "refs/heads/publish-to-bcr",
  GITHUB_SHA: "8f70009fde0c94ade6ce2a054b94718c819126ec",
  GITHUB_WORKFLOW_REF: "aspect-build/rules_lint/.github/workflows/release.yml@refs/heads/publish-to-bcr",
  GITHUB_RUN_ID: "14095611671",
  GITHUB_RUN_ATTEMPT: "1",
  RUNNER_ENVIRONMENT: "github-hosted",
};

/** Every object key path and the JSON type at it: two documents with equal shapes agree field for field. */
function shape(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return [`${path}: array`, ...value.flatMap((v) => shape(v, `${path}[]`))];
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => shape(v, `${path}.${k}`));
  return [`${path}: ${typeof value}`];
}

describe("buildProvenance on GitHub Actions", () => {
  it("writes the buildDefinition actions/attest-build-provenance wrote for the same run, byte for byte", () => {
    const real = statementOf("bcr/MODULE.bazel.intoto.jsonl");
    expect(real.predicateType).toBe("https://slsa.dev/provenance/v1");
    const ours = buildProvenance({ env: BCR_RUN });
    expect(JSON.stringify(ours.buildDefinition)).toBe(JSON.stringify(real.predicate.buildDefinition));
    expect(ours.runDetails.metadata).toEqual(real.predicate.runDetails.metadata);
    // The builder: the runner kind (npm's convention), since the job's workflow ref is only in the OIDC token.
    expect(ours.runDetails.builder).toEqual({ id: "https://github.com/actions/runner/github-hosted" });
  });

  it("has the fixtures' shape (with the fixtures' builder, equal to them)", () => {
    for (const file of ["bcr/MODULE.bazel.intoto.jsonl", "bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl"]) {
      const real = statementOf(file).predicate;
      const ours = buildProvenance({ env: BCR_RUN, builderId: real.runDetails.builder.id });
      expect(shape(ours)).toEqual(shape(real));
      expect(ours).toEqual(real);
    }
  });

  it("agrees in shape with the other SLSA v1 provenance in the fixtures where the SLSA v1 schema fixes it", () => {
    const ours = buildProvenance({ env: BCR_RUN, finishedOn: new Date("2025-03-26T23:47:00Z") });
    for (const file of ["gha_delegator/v2.1.0/binary-linux-amd64-push-v14.build.slsa", "gha_container-based/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.build.slsa"]) {
      const real = statementOf(file).predicate;
      expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
      expect(typeof real.buildDefinition.buildType).toBe(typeof ours.buildDefinition.buildType);
      expect(typeof real.runDetails.builder.id).toBe(typeof ours.runDetails.builder.id);
      expect(typeof real.runDetails.metadata.invocationId).toBe(typeof ours.runDetails.metadata!.invocationId);
      expect(Object.keys(real.buildDefinition.resolvedDependencies[0]).sort()).toEqual(Object.keys(ours.buildDefinition.resolvedDependencies![0]!).sort());
    }
  });

  it("records start and finish times (RFC 3339, whole seconds, UTC) and the SBOM byproduct", () => {
    const sbom = sbomByproduct("sbom.cdx.json", "a".repeat(64), "application/vnd.cyclonedx+json");
    const p = buildProvenance({ env: BCR_RUN, startedOn: new Date("2025-03-26T23:40:00.123Z"), finishedOn: new Date("2025-03-26T23:47:12.999Z"), byproducts: [sbom] });
    expect(p.runDetails.metadata).toEqual({
      invocationId: "https://github.com/aspect-build/rules_lint/actions/runs/14095611671/attempts/1",
      startedOn: "2025-03-26T23:40:00Z",
      finishedOn: "2025-03-26T23:47:12Z",
    });
    expect(p.runDetails.byproducts).toEqual([{ name: "sbom.cdx.json", digest: { sha256: "a".repeat(64) }, mediaType: "application/vnd.cyclonedx+json" }]);
  });

  it("without RUNNER_ENVIRONMENT the builder is the workflow; a GHES server URL is used throughout", () => {
    const env = { ...BCR_RUN, RUNNER_ENVIRONMENT: undefined, GITHUB_SERVER_URL: "https://ghe.example.com/" };
    const p = buildProvenance({ env });
    expect(p.runDetails.builder.id).toBe("https://ghe.example.com/aspect-build/rules_lint/.github/workflows/release.yml@refs/heads/publish-to-bcr");
    expect(p.buildDefinition.resolvedDependencies).toEqual([{ uri: "git+https://ghe.example.com/aspect-build/rules_lint@refs/heads/publish-to-bcr", digest: { gitCommit: BCR_RUN.GITHUB_SHA } }]);
    expect(p.buildDefinition.internalParameters).toEqual({ github: { event_name: "workflow_dispatch", repository_id: "631710741", repository_owner_id: "60951090" } });
  });
});

describe("buildProvenance on GitLab CI", () => {
  const env = {
    GITLAB_CI: "true",
    CI_SERVER_URL: "https://gitlab.com",
    CI_PROJECT_URL: "https://gitlab.com/acme/widget",
    CI_PROJECT_PATH: "acme/widget",
    CI_PROJECT_ID: "4242",
    CI_JOB_ID: "10340684631",
    CI_JOB_NAME: "build-job",
    CI_JOB_STAGE: "build",
    CI_JOB_URL: "https://gitlab.com/acme/widget/-/jobs/10340684631",
    CI_JOB_STARTED_AT: "2025-06-13T07:25:13Z",
    CI_PIPELINE_ID: "1870000000",
    CI_PIPELINE_SOURCE: "push",
    CI_COMMIT_SHA: "bdd2ecda9ef57b129c88617a0215afc9fb223521",
    CI_COMMIT_REF_NAME: "main",
    CI_COMMIT_BRANCH: "main",
    CI_CONFIG_PATH: ".gitlab-ci.yml",
    CI_RUNNER_ID: "12270857",
    CI_RUNNER_DESCRIPTION: "green-4.saas-linux-small-amd64.runners-manager.gitlab.com/default",
    CI_RUNNER_VERSION: "18.1.0",
    CI_RUNNER_REVISION: "15bbc5ef",
    CI_RUNNER_EXECUTABLE_ARCH: "linux/amd64",
    // Never copied: user-defined variables may be secrets.
    DEPLOY_TOKEN: "glpat-secret",
    CI_JOB_TOKEN: "secret-job-token",
  };

  it("writes GitLab Runner's buildType with the job's fields", () => {
    const p = buildProvenance({ env, finishedOn: new Date("2025-06-13T07:25:40Z") });
    expect(p).toEqual({
      buildDefinition: {
        buildType: "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/15bbc5ef/PROVENANCE.md",
        externalParameters: {
          source: "https://gitlab.com/acme/widget",
          entryPoint: "build-job",
          variables: {
            CI_COMMIT_BRANCH: "main",
            CI_COMMIT_REF_NAME: "main",
            CI_COMMIT_SHA: "bdd2ecda9ef57b129c88617a0215afc9fb223521",
            CI_CONFIG_PATH: ".gitlab-ci.yml",
            CI_JOB_ID: "10340684631",
            CI_JOB_NAME: "build-job",
            CI_JOB_STAGE: "build",
            CI_JOB_URL: "https://gitlab.com/acme/widget/-/jobs/10340684631",
            CI_PIPELINE_ID: "1870000000",
            CI_PIPELINE_SOURCE: "push",
            CI_PROJECT_ID: "4242",
            CI_PROJECT_PATH: "acme/widget",
            CI_PROJECT_URL: "https://gitlab.com/acme/widget",
            CI_RUNNER_ID: "12270857",
            CI_SERVER_URL: "https://gitlab.com",
          },
        },
        internalParameters: { name: "green-4.saas-linux-small-amd64.runners-manager.gitlab.com/default", architecture: "amd64", job: "10340684631" },
        resolvedDependencies: [{ uri: "git+https://gitlab.com/acme/widget@refs/heads/main", digest: { gitCommit: "bdd2ecda9ef57b129c88617a0215afc9fb223521" } }],
      },
      runDetails: {
        builder: { id: "https://gitlab.com/acme/widget/-/runners/12270857", version: { "gitlab-runner": "15bbc5ef" } },
        metadata: { invocationId: "https://gitlab.com/acme/widget/-/jobs/10340684631", startedOn: "2025-06-13T07:25:13Z", finishedOn: "2025-06-13T07:25:40Z" },
      },
    });
    expect(JSON.stringify(p)).not.toContain("secret");
  });

  it("a tag pipeline resolves refs/tags/…; without a revision the buildType names the runner version", () => {
    const p = buildProvenance({ env: { ...env, CI_COMMIT_TAG: "v1.2.3", CI_COMMIT_REF_NAME: "v1.2.3", CI_RUNNER_REVISION: undefined } });
    expect(p.buildDefinition.resolvedDependencies![0]!.uri).toBe("git+https://gitlab.com/acme/widget@refs/tags/v1.2.3");
    expect(p.buildDefinition.buildType).toBe("https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v18.1.0/PROVENANCE.md");
    expect(p.runDetails.builder.version).toEqual({ "gitlab-runner": "18.1.0" });
  });
});

describe("buildProvenance outside CI", () => {
  it("records the git checkout under vouch's generic buildType", () => {
    const p = buildProvenance({
      env: {},
      git: { commit: "4d329c75e7ec1725f7c9ce917a8799d408d06be3", branch: "main", remote: "git@github.com:acme/widget.git" },
      finishedOn: new Date("2025-01-01T00:00:00Z"),
    });
    expect(p).toEqual({
      buildDefinition: {
        buildType: "https://vouch.dev/buildtypes/generic/v1",
        externalParameters: { repository: "ssh://git@github.com/acme/widget.git", ref: "refs/heads/main" },
        resolvedDependencies: [{ uri: "git+ssh://git@github.com/acme/widget.git@refs/heads/main", digest: { gitCommit: "4d329c75e7ec1725f7c9ce917a8799d408d06be3" } }],
      },
      runDetails: { builder: { id: "https://vouch.dev/builders/local" }, metadata: { finishedOn: "2025-01-01T00:00:00Z" } },
    });
  });

  it("with no git and no CI: just the builder (no empty lists)", () => {
    expect(buildProvenance({ env: { GITHUB_ACTIONS: "true" } })).toEqual({
      buildDefinition: { buildType: "https://vouch.dev/buildtypes/generic/v1", externalParameters: {} },
      runDetails: { builder: { id: "https://vouch.dev/builders/local" } },
    });
  });

  it("refuses a builder id that is not a URI", () => {
    expect(thrownVouchError(() => buildProvenance({ env: {}, builderId: "my laptop" })).code).toBe("INPUT_USAGE");
  });
});

describe("SBOM byproducts", () => {
  it("names the SBOM media type from its content", () => {
    expect(sbomMediaType('{"bomFormat":"CycloneDX","specVersion":"1.6"}')).toBe("application/vnd.cyclonedx+json");
    expect(sbomMediaType('{"spdxVersion":"SPDX-2.3"}')).toBe("application/spdx+json");
    expect(sbomMediaType('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">')).toBe("application/vnd.cyclonedx+xml");
    expect(sbomMediaType("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")).toBe("text/spdx");
    expect(sbomMediaType("{}")).toBe("application/json");
  });

  it("refuses a digest that is not sha256 hex", () => {
    expect(thrownVouchError(() => sbomByproduct("x", "abc", "application/json")).code).toBe("INPUT_MALFORMED");
  });
});
