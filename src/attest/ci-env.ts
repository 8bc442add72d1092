import type { CiInfo } from "../sbom/model/types.js";

/** The slice of the process environment vouch reads; passed in, never read from a global. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The CI run that is building, from the variables GitHub Actions and GitLab CI document as always set.
 * (GitHub: "Store information in variables" / default environment variables; GitLab: predefined CI/CD variables.)
 */
export function detectCi(env: Env): CiInfo | undefined {
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID) {
    const server = env.GITHUB_SERVER_URL ?? "https://github.com";
    const repo = env.GITHUB_REPOSITORY;
    const attempt = env.GITHUB_RUN_ATTEMPT;
    return {
      provider: "github-actions",
      runId: attempt ? `${env.GITHUB_RUN_ID}/${attempt}` : env.GITHUB_RUN_ID,
      ...(repo ? { runUrl: `${server}/${repo}/actions/runs/${env.GITHUB_RUN_ID}${attempt ? `/attempts/${attempt}` : ""}` } : {}),
      ...(env.GITHUB_WORKFLOW_REF ? { workflow: env.GITHUB_WORKFLOW_REF } : env.GITHUB_WORKFLOW ? { workflow: env.GITHUB_WORKFLOW } : {}),
      ...(repo ? { repository: repo } : {}),
      ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}),
      ...(env.GITHUB_SHA ? { sha: env.GITHUB_SHA } : {}),
    };
  }
  if (env.GITLAB_CI === "true" && env.CI_JOB_ID) {
    return {
      provider: "gitlab-ci",
      runId: env.CI_PIPELINE_ID ? `${env.CI_PIPELINE_ID}/${env.CI_JOB_ID}` : env.CI_JOB_ID,
      ...(env.CI_JOB_URL ? { runUrl: env.CI_JOB_URL } : {}),
      ...(env.CI_CONFIG_PATH ? { workflow: env.CI_CONFIG_PATH } : {}),
      ...(env.CI_PROJECT_PATH ? { repository: env.CI_PROJECT_PATH } : {}),
      ...(env.CI_COMMIT_REF_NAME ? { ref: env.CI_COMMIT_REF_NAME } : {}),
      ...(env.CI_COMMIT_SHA ? { sha: env.CI_COMMIT_SHA } : {}),
    };
  }
  return undefined;
}

/**
 * SOURCE_DATE_EPOCH (reproducible-builds.org): when set to whole seconds since the epoch, every timestamp
 * vouch writes is that instant, and identifiers are derived from content instead of chance.
 */
export function sourceDateEpoch(env: Env): Date | undefined {
  const raw = env.SOURCE_DATE_EPOCH?.trim();
  if (!raw || !/^\d{1,12}$/.test(raw)) return undefined;
  return new Date(Number(raw) * 1000);
}
