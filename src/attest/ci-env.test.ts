import { describe, expect, it } from "vitest";
import { detectCi, readCiBuild, sourceDateEpoch } from "./ci-env.js";

const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: "acme/widget",
  GITHUB_RUN_ID: "99",
  GITHUB_RUN_ATTEMPT: "2",
  GITHUB_REF: "refs/tags/v1",
  GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
  GITHUB_WORKFLOW_REF: "acme/widget/.github/workflows/release.yml@refs/tags/v1",
};

describe("detectCi (SBOM build info)", () => {
  it("GitHub Actions and GitLab CI runs, else nothing", () => {
    expect(detectCi(GITHUB)).toEqual({
      provider: "github-actions",
      runId: "99/2",
      runUrl: "https://github.com/acme/widget/actions/runs/99/attempts/2",
      workflow: "acme/widget/.github/workflows/release.yml@refs/tags/v1",
      repository: "acme/widget",
      ref: "refs/tags/v1",
      sha: "0123456789abcdef0123456789abcdef01234567",
    });
    expect(detectCi({ GITLAB_CI: "true", CI_JOB_ID: "7", CI_PIPELINE_ID: "3" })).toEqual({ provider: "gitlab-ci", runId: "3/7" });
    expect(detectCi({})).toBeUndefined();
  });

  it("SOURCE_DATE_EPOCH: whole seconds only", () => {
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "1700000000" })?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "soon" })).toBeUndefined();
  });
});

describe("readCiBuild (provenance)", () => {
  it("reads a GitHub run, defaulting the server and attempt, ignoring empty variables", () => {
    expect(readCiBuild({ ...GITHUB, GITHUB_RUN_ATTEMPT: "", GITHUB_EVENT_NAME: "" })).toEqual({
      provider: "github-actions",
      serverUrl: "https://github.com",
      repository: "acme/widget",
      runId: "99",
      runAttempt: "1",
      workflowRef: "acme/widget/.github/workflows/release.yml@refs/tags/v1",
      ref: "refs/tags/v1",
      sha: "0123456789abcdef0123456789abcdef01234567",
    });
  });

  it("needs GITHUB_ACTIONS=true with a repository and run id, or GITLAB_CI=true with a project URL and job id", () => {
    expect(readCiBuild({ ...GITHUB, GITHUB_ACTIONS: "false" })).toBeUndefined();
    expect(readCiBuild({ ...GITHUB, GITHUB_REPOSITORY: undefined })).toBeUndefined();
    expect(readCiBuild({ GITLAB_CI: "true", CI_JOB_ID: "7" })).toBeUndefined();
    expect(readCiBuild({ GITLAB_CI: "true", CI_JOB_ID: "7", CI_PROJECT_URL: "https://gitlab.example/g/p/" })).toEqual({
      provider: "gitlab-ci",
      projectUrl: "https://gitlab.example/g/p",
      jobId: "7",
      variables: { CI_JOB_ID: "7", CI_PROJECT_URL: "https://gitlab.example/g/p/" },
    });
  });
});
