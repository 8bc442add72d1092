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

/** The GitHub Actions run, in the fields SLSA provenance records (default environment variables, all strings). */
export interface GitHubActionsBuild {
  provider: "github-actions";
  serverUrl: string;
  repository: string;
  runId: string;
  runAttempt: string;
  /** "owner/repo/.github/workflows/release.yml@refs/heads/main". */
  workflowRef?: string;
  ref?: string;
  sha?: string;
  eventName?: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
  /** "github-hosted" or "self-hosted". */
  runnerEnvironment?: string;
}

/** The GitLab CI job, in the fields SLSA provenance records (predefined CI/CD variables). */
export interface GitLabCiBuild {
  provider: "gitlab-ci";
  projectUrl: string;
  jobId: string;
  jobUrl?: string;
  jobName?: string;
  /** RFC 3339 instant the job started (CI_JOB_STARTED_AT). */
  jobStartedAt?: string;
  ref?: string;
  tag?: string;
  sha?: string;
  runnerId?: string;
  runnerDescription?: string;
  runnerVersion?: string;
  runnerRevision?: string;
  /** "linux/amd64". */
  runnerArch?: string;
  /** The predefined, never-secret variables of the job (user-defined variables may be secrets: never copied). */
  variables: Record<string, string>;
}

export type CiBuild = GitHubActionsBuild | GitLabCiBuild;

/** Predefined GitLab variables that describe the job and hold no secret (GitLab "Predefined CI/CD variables reference"). */
const GITLAB_PUBLIC_VARIABLES = [
  "CI_COMMIT_BRANCH",
  "CI_COMMIT_REF_NAME",
  "CI_COMMIT_REF_PROTECTED",
  "CI_COMMIT_SHA",
  "CI_COMMIT_TAG",
  "CI_CONFIG_PATH",
  "CI_DEFAULT_BRANCH",
  "CI_JOB_ID",
  "CI_JOB_NAME",
  "CI_JOB_STAGE",
  "CI_JOB_URL",
  "CI_PIPELINE_ID",
  "CI_PIPELINE_SOURCE",
  "CI_PIPELINE_URL",
  "CI_PROJECT_ID",
  "CI_PROJECT_PATH",
  "CI_PROJECT_URL",
  "CI_RUNNER_ID",
  "CI_SERVER_URL",
] as const;

/**
 * The CI build in full, for provenance: GitHub Actions when GITHUB_ACTIONS=true with a repository and run id, GitLab
 * CI when GITLAB_CI=true with a project URL and job id, else undefined (a generic build). Empty variables are absent.
 */
export function readCiBuild(env: Env): CiBuild | undefined {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const repository = get("GITHUB_REPOSITORY");
  const runId = get("GITHUB_RUN_ID");
  if (get("GITHUB_ACTIONS") === "true" && repository && runId) {
    return stripUndefined({
      provider: "github-actions" as const,
      serverUrl: (get("GITHUB_SERVER_URL") ?? "https://github.com").replace(/\/+$/, ""),
      repository,
      runId,
      runAttempt: get("GITHUB_RUN_ATTEMPT") ?? "1",
      workflowRef: get("GITHUB_WORKFLOW_REF"),
      ref: get("GITHUB_REF"),
      sha: get("GITHUB_SHA"),
      eventName: get("GITHUB_EVENT_NAME"),
      repositoryId: get("GITHUB_REPOSITORY_ID"),
      repositoryOwnerId: get("GITHUB_REPOSITORY_OWNER_ID"),
      runnerEnvironment: get("RUNNER_ENVIRONMENT"),
    });
  }
  const projectUrl = get("CI_PROJECT_URL");
  const jobId = get("CI_JOB_ID");
  if (get("GITLAB_CI") === "true" && projectUrl && jobId) {
    const variables: Record<string, string> = {};
    for (const name of GITLAB_PUBLIC_VARIABLES) {
      const v = get(name);
      if (v !== undefined) variables[name] = v;
    }
    return stripUndefined({
      provider: "gitlab-ci" as const,
      projectUrl: projectUrl.replace(/\/+$/, ""),
      jobId,
      jobUrl: get("CI_JOB_URL"),
      jobName: get("CI_JOB_NAME"),
      jobStartedAt: get("CI_JOB_STARTED_AT"),
      ref: get("CI_COMMIT_REF_NAME"),
      tag: get("CI_COMMIT_TAG"),
      sha: get("CI_COMMIT_SHA"),
      runnerId: get("CI_RUNNER_ID"),
      runnerDescription: get("CI_RUNNER_DESCRIPTION"),
      runnerVersion: get("CI_RUNNER_VERSION"),
      runnerRevision: get("CI_RUNNER_REVISION"),
      runnerArch: get("CI_RUNNER_EXECUTABLE_ARCH"),
      variables,
    });
  }
  return undefined;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
