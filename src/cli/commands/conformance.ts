import type { Command } from "commander";
import { out } from "../io.js";
import { addIdentityOptions, verifyOptions } from "./verify.js";

/**
 * The sigstore-conformance client protocol (docs/cli_protocol.md), so the upstream suite can be pointed at vouch:
 *   vouch conformance verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key KEY) [--trusted-root FILE] FILE_OR_DIGEST
 *   vouch conformance sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE
 * Only the exit code is read by the suite: 0 verified, non-zero not.
 */
export function registerConformance(program: Command): void {
  const conformance = program.command("conformance", { hidden: true }).description("sigstore-conformance client protocol").exitOverride();
  const verify = conformance
    .command("verify-bundle <fileOrDigest>")
    .option("--staging", "use the staging instance's trust root (needs --trusted-root here: no network)")
    .requiredOption("--bundle <file>", "bundle to verify")
    .option("--key <key>", "public key (managed-key flow)")
    .option("--trusted-root <file>", "trusted_root.json");
  addIdentityOptions(verify);
  verify.action(async (target: string, flags: Parameters<typeof verifyOptions>[1] & { staging?: boolean }) => {
    const options = verifyOptions(target, { ...flags, tlogThreshold: "1", ctlogThreshold: "1", timestampThreshold: "1", output: "text" });
    const { verifyArtifact } = await import("../../public/verify.js");
    await verifyArtifact(options);
  });
  conformance
    .command("sign-bundle <file>")
    .option("--staging", "without --signing-config: sign with Sigstore's staging services (needs the internet)")
    .option("--in-toto", "FILE is an in-toto statement: sign it as a DSSE attestation")
    .requiredOption("--identity-token <token>", "the OIDC identity token")
    .requiredOption("--bundle <file>", "where to write the bundle (v0.3)")
    .option("--trusted-root <file>", "trusted_root.json the signed bundle is checked against before it is written")
    .option("--signing-config <file>", "signing_config.json naming the CA, logs and TSAs (default: Sigstore's production services, needs the internet)")
    .action(async (file: string, flags: { staging?: boolean; inToto?: boolean; identityToken: string; bundle: string; trustedRoot?: string; signingConfig?: string }) => {
      const { conformanceSignBundle } = await import("../../public/conformance.js");
      const signed = await conformanceSignBundle({
        file,
        bundle: flags.bundle,
        identityToken: flags.identityToken,
        inToto: flags.inToto === true,
        staging: flags.staging === true,
        ...(flags.signingConfig !== undefined ? { signingConfig: flags.signingConfig } : {}),
        ...(flags.trustedRoot !== undefined ? { trustedRoot: flags.trustedRoot } : {}),
      });
      const who = signed.identity ? ` as ${signed.identity.subject}${signed.identity.issuer ? ` (issuer ${signed.identity.issuer})` : ""}` : "";
      const checked = signed.check.verified ? "verified against the trusted root" : `not verified: ${signed.check.reason}`;
      out(`Signed ${file}${who}; bundle written to ${flags.bundle} (${checked})\n`);
    });
}
