import type { Command } from "commander";
import { generateKeyFiles, GENERATE_ALGORITHMS, terminalPrompt, VouchError } from "../../index.js";
import { err, out } from "../io.js";

interface KeyGenerateOptions {
  out: string;
  algorithm: string;
  passwordFile?: string;
  output: string;
}

/** `vouch key generate`: PREFIX.key (encrypted, 0600) and PREFIX.pub, as `cosign generate-key-pair`. */
export function registerKeyGenerate(key: Command): void {
  key
    .command("generate")
    .description("generate a signing key pair: PREFIX.key (encrypted private key) and PREFIX.pub")
    .option("--out <prefix>", "file name prefix", "cosign")
    .option("--algorithm <name>", `key algorithm: ${GENERATE_ALGORITHMS.join(" or ")}`, "ecdsa-p256")
    .option("--password-file <file>", "read the password from this file's first line (else $VOUCH_PASSWORD, else a prompt)")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText("after", "\nThe private key is encrypted (PKCS#8, scrypt + AES-256-CBC) and written with mode 0600. Existing files are never overwritten.")
    .action(async (opts: KeyGenerateOptions) => {
      if (opts.output !== "text" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use text or json`);
      const generated = await generateKeyFiles({
        prefix: opts.out,
        algorithm: opts.algorithm,
        password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() },
      });
      const names = { privateKey: `${opts.out}.key`, publicKey: `${opts.out}.pub` };
      if (opts.output === "json") {
        out(`${JSON.stringify({ ...names, algorithm: generated.algorithm, keyId: generated.keyId }, null, 2)}\n`);
      } else {
        err(`Private key written to ${names.privateKey}`);
        err(`Public key written to ${names.publicKey}`);
      }
    });
}
