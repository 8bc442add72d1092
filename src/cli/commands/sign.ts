import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { out, writeFileAtomic } from "../io.js";

interface SignOptions {
  key: string;
  bundle?: string;
  passwordFile?: string;
  tlogUrl?: string;
  output: string;
}

/** `vouch sign FILE --key K`: a messageSignature bundle v0.3 (cosign sign-blob --bundle). */
export function registerSign(program: Command): void {
  program
    .command("sign <file>")
    .description("sign a file with a key into a Sigstore bundle (v0.3 JSON)")
    .requiredOption("--key <key>", "private key: a PEM file, env://VAR or a pkcs11: URI")
    .option("--bundle <file>", "where to write the bundle, - for stdout (default: FILE.sigstore.json)")
    .option("--password-file <file>", "read the key password from this file's first line (else $VOUCH_PASSWORD, else a prompt)")
    .option("--tlog-url <url>", "record the signature in this transparency log (vouch serve, or any Rekor v1 API); the entry goes into the bundle")
    .option("-o, --output <format>", "text or json (a summary of what was signed)", "text")
    .action(async (file: string, opts: SignOptions) => {
      if (opts.output !== "text" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use text or json`);
      const [{ signFile }, { terminalPrompt }] = await Promise.all([import("../../public/sign.js"), import("../../public/keys.js")]);
      const signed = await signFile(file, {
        key: opts.key,
        password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() },
        tlogUrl: opts.tlogUrl,
      });
      const bundlePath = opts.bundle ?? `${file}.sigstore.json`;
      if (bundlePath === "-") {
        out(`${signed.bundleJson}\n`);
        return;
      }
      writeFileAtomic(bundlePath, signed.bundleJson);
      const keyId = signed.material.kind === "publicKey" ? signed.material.hint : undefined;
      if (opts.output === "json") {
        out(`${JSON.stringify({ artifact: file, digest: { sha256: signed.sha256 }, bundle: bundlePath, mediaType: signed.bundle.mediaType, ...(keyId ? { keyId } : {}) }, null, 2)}\n`);
      } else {
        out(`Signed ${file} (sha256:${signed.sha256}); bundle written to ${bundlePath}\n`);
      }
    });
}
