import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { ImageVerification } from "../../public/image-verify.js";
import type { IdentityPolicy, VerificationInputs, VerificationResult, VerifyOptions } from "../../public/verify.js";
import { resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import { collect, wholeNumber, type GlobalOptions } from "../options.js";
import { addRegistryFlags, isImageArgument, refuseFlags, registryAccess, type RegistryFlags } from "./image-options.js";

interface VerifyFlags extends RegistryFlags {
  bundle?: string;
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

/**
 * `vouch verify ARTIFACT|sha256:DIGEST --bundle B` (cosign verify-blob / verify-blob-attestation), and
 * `vouch verify IMAGE` (cosign verify / verify-attestation): the image's signatures, or with --type its
 * attestations, found in its registry and verified; every one is listed with its outcome.
 */
export function registerVerify(program: Command): void {
  const cmd = program
    .command("verify <artifact-or-image>")
    .description("verify a Sigstore bundle for a file (or sha256:<hex>), offline; or an image's signatures or attestations in its registry")
    .option("--bundle <file>", "files: the Sigstore bundle (v0.1-v0.3 JSON)")
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
    .option("-o, --output <format>", "text or json", "text");
  addRegistryFlags(cmd).action(async (artifact: string, flags: VerifyFlags) => {
    if (flags.output !== "text" && flags.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${flags.output}: use text or json`);
    // Revoked keys apply by default: a key revoked on this machine must not verify here unless asked otherwise.
    const dataDir = resolveDataDir(program.opts<GlobalOptions>().dataDir);
    if (flags.bundle === undefined) {
      if (!isImageArgument(artifact)) throw new VouchError("INPUT_USAGE", `--bundle FILE is needed to verify a file (an image is written registry/repository:tag or registry:NAME)`);
      const options = { ...verificationInputs(flags), ...registryAccess(flags), dataDir };
      const { createImageVerifier, imageNotVerified } = await import("../../public/image-verify.js");
      const verification = await (await createImageVerifier(options)).inspect(artifact);
      if (verification.resolvedFromTag) err(`vouch: ${artifact} resolved to ${verification.pinned}`);
      for (const note of verification.notes) err(`vouch: warning: ${note}`);
      out(flags.output === "json" ? `${JSON.stringify(imageResultJson(verification), null, 2)}\n` : renderImageResult(verification));
      if (!verification.verified) throw imageNotVerified(verification);
      return;
    }
    refuseFlags(flags as unknown as Record<string, unknown>, ["registryUsername", "registryPassword", "insecureRegistry"], "is for images in a registry");
    const options = { ...verifyOptions(artifact, flags as VerifyFlags & { bundle: string }), dataDir };
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

export function verifyOptions(artifact: string, flags: VerifyFlags & { bundle: string }): VerifyOptions {
  return { bundle: flags.bundle, artifact, ...verificationInputs(flags) };
}

/** The verifier's inputs from the flags `vouch verify` has for files and images alike. */
function verificationInputs(flags: VerifyFlags): VerificationInputs {
  const identity = identityPolicy(flags);
  if (flags.key !== undefined && identity !== undefined) throw new VouchError("INPUT_USAGE", "--key and --certificate-* are two ways to verify: give one");
  return {
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

function imageResultJson(v: ImageVerification) {
  return {
    verified: v.verified,
    image: v.pinned,
    resolvedFromTag: v.resolvedFromTag,
    mode: v.mode,
    ...(v.predicateType ? { predicateType: v.predicateType } : {}),
    referrersVia: v.referrersVia,
    checked: v.checked.map((c) => ({
      kind: c.kind,
      source: c.source,
      location: c.location,
      ...(c.predicateType ? { predicateType: c.predicateType } : {}),
      verified: c.verified,
      ...(c.code ? { code: c.code, reason: c.reason } : {}),
      ...(c.result ? { result: resultJson(c.result) } : {}),
    })),
  };
}

/** One line per signature or attestation found: which passed, which did not and why. */
function renderImageResult(v: ImageVerification): string {
  const what = v.mode === "signature" ? "signature" : `attestation (${v.predicateType})`;
  const lines = v.checked.map((c) => {
    const signer = c.result ? ` by ${c.result.signer.kind === "publicKey" ? `key ${c.result.signer.keyId.slice(0, 16)}` : c.result.signer.identity.subject}` : "";
    return `${c.verified ? "ok  " : "FAIL"}  ${c.source.padEnd(10)}  ${c.location}${c.verified ? signer : `: ${c.reason}`}`;
  });
  const passed = v.checked.filter((c) => c.verified).length;
  const summary = v.verified ? `Verified OK: ${passed} of ${v.checked.length} ${what}${v.checked.length === 1 ? "" : "s"} for ${v.pinned}` : `No ${what} verified for ${v.pinned}`;
  return `${lines.length > 0 ? `${lines.join("\n")}\n` : ""}${summary}\n`;
}

function renderResult(r: VerificationResult): string {
  const lines = r.checks.map((c) => `${c.ok ? "ok  " : "FAIL"}  ${c.step.padEnd(11)}  ${c.detail}`);
  return `${lines.join("\n")}\nVerified OK\n`;
}
