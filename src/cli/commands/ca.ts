import type { Command } from "commander";
import { resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface CaInitFlags {
  algorithm: string;
  rootKey?: string;
  intermediateKey?: string;
  organization?: string;
  commonName?: string;
  passwordFile?: string;
  output: string;
}

/** `vouch ca init`: create the keyless CA (root + intermediate) in the data directory. */
export function registerCa(program: Command, globals: () => GlobalOptions): void {
  const ca = program.command("ca").description("the keyless certificate authority (Fulcio-compatible)").exitOverride();
  ca.command("init")
    .description("create the CA's root and intermediate certificates and keys in the data directory")
    .option("--algorithm <name>", "ecdsa-p384 or ecdsa-p256", "ecdsa-p384")
    .option("--root-key <pkcs11-uri>", "use this key in a PKCS #11 token for the root (with --intermediate-key)")
    .option("--intermediate-key <pkcs11-uri>", "use this key in a PKCS #11 token for the intermediate")
    .option("--organization <name>", "O= of the CA certificates", "vouch")
    .option("--common-name <name>", "CN= of the root certificate")
    .option("--password-file <file>", "encrypt the key files with this file's first line (else $VOUCH_CA_PASSWORD, $VOUCH_PASSWORD, or a prompt)")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: CaInitFlags) => {
      const { initCertificateAuthority, terminalPrompt } = await import("../../public/ca.js");
      const dataDir = resolveDataDir(globals().dataDir);
      const created = await initCertificateAuthority({
        dataDir,
        algorithm: flags.algorithm,
        rootKey: flags.rootKey,
        intermediateKey: flags.intermediateKey,
        organization: flags.organization,
        commonName: flags.commonName,
        password: { env: process.env, passwordFile: flags.passwordFile, prompt: terminalPrompt() },
      });
      const { X509Certificate } = await import("node:crypto");
      const root = new X509Certificate(created.root);
      if (flags.output === "json") {
        out(`${JSON.stringify({ dir: created.dir, root: { subject: root.subject, fingerprint256: root.fingerprint256, validTo: root.validTo }, manifest: created.manifest }, null, 2)}\n`);
        return;
      }
      out(`CA created in ${created.dir}\n`);
      out(`  root ${root.subject.replace(/\n/g, ", ")} (SHA-256 ${root.fingerprint256}), valid until ${root.validTo}\n`);
      out(`  keys: ${created.manifest.intermediateKey.startsWith("file:") ? "encrypted files (vouch serve needs VOUCH_CA_PASSWORD)" : "PKCS #11 token"}\n`);
      err("Next: add ca.issuers to vouch.yaml and run vouch serve; vouch trust export --out DIR gives clients the root.\n");
    });
}
