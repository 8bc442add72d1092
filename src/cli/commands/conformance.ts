import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
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
    .allowUnknownOption()
    .action(() => {
      // Keyless signing needs the CA and the log (issues 4 and 5); until then this side of the protocol is missing.
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "sign-bundle (keyless signing) is not available yet");
    });
}
