import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { IdentityPolicy, VerificationResult, VerifyOptions } from "../../public/verify.js";
import { resolveDataDir } from "../../runtime.js";
import { out } from "../io.js";
import { collect, wholeNumber, type GlobalOptions } from "../options.js";

interface VerifyFlags {
  bundle: string;
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowName?: string;
  certificateExtension: string[];
  trustedRoot?: string;
  type?: string;
  tlogThreshold?: string;
  ctlogThreshold?: string;
  timestampThreshold?: string;
  revocations?: string;
  witnessKey?: string[];
  witnessThreshold?: string;
  output: string;
}

/** `vouch verify ARTIFACT|sha256:DIGEST --bundle B` (cosign verify-blob / verify-blob-attestation). */
export function registerVerify(program: Command): void {
  const cmd = program
    .command("verify <artifact>")
    .description("verify a Sigstore bundle for an artifact (a file, or sha256:<hex>), offline")
    .requiredOption("--bundle <file>", "the Sigstore bundle (v0.1-v0.3 JSON)")
    .option("--key <key>", "keyed: a PEM public key file, env://VAR, or a pkcs11: URI");
  addIdentityOptions(cmd);
  cmd
    .option("--trusted-root <file>", "trusted_root.json (default: the Sigstore public-good root shipped with vouch)")
    .option("--type <type>", "attestations: the predicate type (slsaprovenance, spdx, cyclonedx, vuln, openvex, custom, or a URI)")
    .option("--tlog-threshold <n>", "transparency-log entries that must verify", "1")
    .option("--ctlog-threshold <n>", "embedded SCTs that must verify", "1")
    .option("--timestamp-threshold <n>", "trusted signing times needed (verified SETs plus RFC 3161 timestamps)", "1")
    .option("--witness-key <vkey-or-file>", "a trusted witness's vkey, or a file of vkeys (repeatable); checkpoints must be cosigned", collect, [])
    .option("--witness-threshold <n>", "distinct witnesses that must have cosigned each checkpoint (default 1 with --witness-key)")
    .option("--revocations <file>", "revoked keys: a list from `vouch key revocations export` (default: the data directory's list, when it has one)")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (artifact: string, flags: VerifyFlags) => {
      if (flags.output !== "text" && flags.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${flags.output}: use text or json`);
      // Revoked keys apply by default: a key revoked on this machine must not verify here unless asked otherwise.
      const dataDir = resolveDataDir(program.opts<GlobalOptions>().dataDir);
      const options = { ...verifyOptions(artifact, flags), dataDir };
      // Loaded here, not at start-up: only `vouch verify` pays for the verifier (see main.ts).
      const { verifyArtifact } = await import("../../public/verify.js");
      const result = await verifyArtifact(options);
      out(flags.output === "json" ? `${JSON.stringify(resultJson(result), null, 2)}\n` : renderResult(result));
    });
}

export function addIdentityOptions(cmd: Command): Command {
  return cmd
    .option("--certificate-identity <subject>", "keyless: the certificate's subject (email or URI), exactly")
    .option("--certificate-identity-regexp <re>", "keyless: the subject must match this regular expression (anchored)")
    .option("--certificate-oidc-issuer <url>", "keyless: the OIDC issuer, exactly")
    .option("--certificate-oidc-issuer-regexp <re>", "keyless: the issuer must match this regular expression (anchored)")
    .option("--certificate-github-workflow-repository <v>", "keyless: GitHub workflow repository claim")
    .option("--certificate-github-workflow-ref <v>", "keyless: GitHub workflow ref claim")
    .option("--certificate-github-workflow-sha <v>", "keyless: GitHub workflow commit claim")
    .option("--certificate-github-workflow-trigger <v>", "keyless: GitHub workflow trigger claim")
    .option("--certificate-github-workflow-name <v>", "keyless: GitHub workflow name claim")
    .option("--certificate-extension <oid=value>", "keyless: any certificate extension, by OID (repeatable)", collect, []);
}

export function verifyOptions(artifact: string, flags: VerifyFlags): VerifyOptions {
  const identity = identityPolicy(flags);
  if (flags.key !== undefined && identity !== undefined) throw new VouchError("INPUT_USAGE", "--key and --certificate-* are two ways to verify: give one");
  return {
    bundle: flags.bundle,
    artifact,
    ...(flags.key !== undefined ? { key: flags.key } : {}),
    ...(identity ? { identity } : {}),
    ...(flags.trustedRoot !== undefined ? { trustedRoot: flags.trustedRoot } : {}),
    ...(flags.type !== undefined ? { type: flags.type } : {}),
    ...(flags.revocations !== undefined ? { revocations: flags.revocations } : {}),
    tlogThreshold: wholeNumber(flags.tlogThreshold, "--tlog-threshold"),
    ctlogThreshold: wholeNumber(flags.ctlogThreshold, "--ctlog-threshold"),
    timestampThreshold: wholeNumber(flags.timestampThreshold, "--timestamp-threshold"),
    ...(flags.witnessKey?.length ? { witnessKeys: flags.witnessKey } : {}),
    ...(flags.witnessThreshold !== undefined ? { witnessThreshold: wholeNumber(flags.witnessThreshold, "--witness-threshold") } : {}),
  };
}

function identityPolicy(flags: VerifyFlags): IdentityPolicy | undefined {
  const extensions: Record<string, string> = {};
  const claim = (name: string, value: string | undefined) => {
    if (value !== undefined) extensions[name] = value;
  };
  claim("githubWorkflowRepository", flags.certificateGithubWorkflowRepository);
  claim("githubWorkflowRef", flags.certificateGithubWorkflowRef);
  claim("githubWorkflowSHA", flags.certificateGithubWorkflowSha);
  claim("githubWorkflowTrigger", flags.certificateGithubWorkflowTrigger);
  claim("githubWorkflowName", flags.certificateGithubWorkflowName);
  for (const pair of flags.certificateExtension) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new VouchError("INPUT_USAGE", `--certificate-extension ${pair}: expected OID=VALUE`);
    extensions[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const policy: IdentityPolicy = {
    ...(flags.certificateIdentity !== undefined ? { subject: flags.certificateIdentity } : {}),
    ...(flags.certificateIdentityRegexp !== undefined ? { subjectRegExp: flags.certificateIdentityRegexp } : {}),
    ...(flags.certificateOidcIssuer !== undefined ? { issuer: flags.certificateOidcIssuer } : {}),
    ...(flags.certificateOidcIssuerRegexp !== undefined ? { issuerRegExp: flags.certificateOidcIssuerRegexp } : {}),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
  if (Object.keys(policy).length === 0) return undefined;
  // cosign requires both: a subject without an issuer would accept the same name from any identity provider.
  if (policy.subject === undefined && policy.subjectRegExp === undefined) throw new VouchError("INPUT_USAGE", "keyless verification needs --certificate-identity or --certificate-identity-regexp");
  if (policy.issuer === undefined && policy.issuerRegExp === undefined) throw new VouchError("INPUT_USAGE", "keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp");
  return policy;
}

function resultJson(r: VerificationResult) {
  return {
    verified: true,
    signer: r.signer,
    trustedTimes: r.trustedTimes.map((t) => ({ ...t, time: t.time.toISOString() })),
    tlogEntries: r.tlogEntries.map((e) => ({ logIndex: e.logIndex.toString(), logId: e.logId, ...(e.integratedTime ? { integratedTime: e.integratedTime.toISOString() } : {}) })),
    ...(r.predicateType ? { predicateType: r.predicateType } : {}),
    checks: r.checks,
  };
}

function renderResult(r: VerificationResult): string {
  const lines = r.checks.map((c) => `${c.ok ? "ok  " : "FAIL"}  ${c.step.padEnd(11)}  ${c.detail}`);
  return `${lines.join("\n")}\nVerified OK\n`;
}
