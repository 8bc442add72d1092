import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateProvenance } from "../../src/api/attest.js";
import { spawnVouch, vouch, vouchAsync, type RunningVouch } from "./cli.js";
import { startOidcIssuer, type OidcIssuer } from "./oidc-issuer.js";

/**
 * A private Sigstore made of vouch alone, for end-to-end tests: a loopback OIDC issuer minting GitHub Actions-shaped
 * tokens, `vouch ca init`, `vouch serve` (a real process: log, CA, CT log, TSA) trusting that issuer, and
 * `vouch trust export` (trusted_root.json + signing_config.json).
 */
export interface KeylessDeployment {
  work: string;
  /** VOUCH_DATA_DIR and VOUCH_CA_PASSWORD for further CLI runs against this deployment's data directory. */
  env: Record<string, string>;
  issuer: OidcIssuer;
  server: RunningVouch;
  trustedRootFile: string;
  signingConfigFile: string;
  /** trusted_root.json, parsed (protobuf JSON mapping). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handed to @sigstore/protobuf-specs fromJSON and read by path in tests
  trustedRoot: any;
  /** Stops the server (asserting a clean exit code is the caller's) and the issuer, and removes the files. */
  stop(): Promise<number | null>;
}

/** The SAN of the loopback issuer's GitHub tokens: Fulcio's github-workflow SAN is the job workflow, not the caller. */
export const WORKFLOW_IDENTITY = "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main";

/** A GitHub Actions run of that workflow, as `vouch provenance` reads it from the environment. */
export const GITHUB_RUN_ENV = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "octo-org/octo-automation",
  GITHUB_RUN_ID: "7",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_REF: "refs/heads/main",
  GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
  GITHUB_WORKFLOW_REF: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
  GITHUB_EVENT_NAME: "push",
} as const;

/**
 * @param extraIssuerYaml more `ca.issuers` entries to configure before the loopback one (the YAML list items, indented
 *   as in the example), e.g. the real GitHub issuer, which the tests never contact.
 */
export async function startKeylessDeployment(prefix: string, extraIssuerYaml: string[] = []): Promise<KeylessDeployment> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_CA_PASSWORD: "ca password for the test" };
  const issuer = await startOidcIssuer();
  const init = vouch(["ca", "init", "-o", "json"], { env });
  if (init.code !== 0) throw new Error(`vouch ca init failed: ${init.stderr}`);
  const config = join(work, "vouch.yaml");
  writeFileSync(config, ["ca:", "  issuers:", ...extraIssuerYaml, `    - url: ${issuer.url}`, "      type: github-workflow", ""].join("\n"));
  const server = await spawnVouch(["serve", "--port", "0", "--config", config], { env });
  const exported = vouch(["trust", "export", "--out", join(work, "trust")], { env });
  if (exported.code !== 0) throw new Error(`vouch trust export failed: ${exported.stderr}`);
  const trustedRootFile = join(work, "trust", "trusted_root.json");
  return {
    work,
    env,
    issuer,
    server,
    trustedRootFile,
    signingConfigFile: join(work, "trust", "signing_config.json"),
    trustedRoot: JSON.parse(readFileSync(trustedRootFile, "utf8")),
    async stop() {
      const code = await server.stop();
      await issuer.close();
      rmSync(work, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * `vouch attest --keyless` of a file holding `content` (written into the deployment's work directory as `name`) with a
 * SLSA provenance of GITHUB_RUN_ENV naming `sbomPath`: a certificate from the deployment's CA for the loopback
 * workflow, the entry in its log. Returns the bundle's path.
 */
export async function attestProvenanceKeyless(deployment: KeylessDeployment, name: string, content: string, sbomPath: string): Promise<string> {
  const artifact = join(deployment.work, name);
  writeFileSync(artifact, content);
  const predicate = join(deployment.work, `${name}.provenance.json`);
  writeFileSync(predicate, JSON.stringify(generateProvenance({ env: GITHUB_RUN_ENV, sbomPath, now: () => new Date("2026-11-01T00:00:00Z") })));
  const bundle = join(deployment.work, `${name}.sigstore.json`);
  const attested = await vouchAsync(
    ["attest", artifact, "--type", "slsaprovenance", "--predicate", predicate, "--keyless", "--identity-token", await deployment.issuer.mintGithubToken(), "--signing-config", deployment.signingConfigFile, "--bundle", bundle],
    { env: deployment.env },
  );
  if (attested.code !== 0) throw new Error(`vouch attest --keyless failed: ${attested.stderr}`);
  return bundle;
}
