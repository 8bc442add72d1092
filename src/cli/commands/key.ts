import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { LoadedRevocations } from "../../public/revocation.js";
import { resolveDataDir } from "../../runtime.js";
import { err, out, writeFileAtomic } from "../io.js";
import type { GlobalOptions } from "../options.js";

/**
 * GENERATE_ALGORITHMS, spelt out: importing the constant would load node:crypto (~10 ms) into every `vouch --help`.
 * key.test.ts keeps the two in step; generateKeyFiles rejects any other name.
 */
export const GENERATE_ALGORITHMS_HELP = "ecdsa-p256 or ed25519";

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
    .option("--algorithm <name>", `key algorithm: ${GENERATE_ALGORITHMS_HELP}`, "ecdsa-p256")
    .option("--password-file <file>", "read the password from this file's first line (else $VOUCH_PASSWORD, else a prompt)")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText("after", "\nThe private key is encrypted (PKCS#8, scrypt + AES-256-CBC) and written with mode 0600. Existing files are never overwritten.")
    .action(async (opts: KeyGenerateOptions) => {
      if (opts.output !== "text" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use text or json`);
      const { generateKeyFiles, terminalPrompt } = await import("../../public/keys.js");
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

interface KeyRevokeOptions {
  compromisedAt: string;
  reason: string;
  passwordFile?: string;
  output: string;
}

/**
 * `vouch key revoke KEY --compromised-at TIME --reason TEXT`, `vouch key revocations [-o json]` and
 * `vouch key revocations export --out FILE`: the data directory's signed revocation list (src/api/revocation.ts).
 */
export function registerKeyRevoke(key: Command, globals: () => GlobalOptions): void {
  key
    .command("revoke <key>")
    .description("record that a key (a PEM public key file) was compromised: verification then refuses its signatures from that time on")
    .requiredOption("--compromised-at <time>", "when the key was compromised, RFC 3339 (e.g. 2025-01-31T12:00:00Z)")
    .requiredOption("--reason <text>", "why the key is revoked (one line)")
    .option("--password-file <file>", "password for the list key (else $VOUCH_PASSWORD, else a prompt, else the key is stored unencrypted)")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      [
        "",
        "Signatures by the key are accepted only when a trusted signing time (a verified log integrated time or RFC 3161",
        "timestamp) shows they were made before --compromised-at; without one they are refused. The list is signed with",
        "DATA_DIR/revocation-list.key (created on first use) and stored in DATA_DIR/revocations.dsse.json.",
      ].join("\n"),
    )
    .action(async (keyFile: string, opts: KeyRevokeOptions) => {
      checkOutput(opts.output);
      const [{ revokeKey, revocationListDocument }, { terminalPrompt }] = await Promise.all([import("../../public/revocation.js"), import("../../public/keys.js")]);
      const r = await revokeKey({
        dataDir: resolveDataDir(globals().dataDir),
        key: keyFile,
        compromisedAt: opts.compromisedAt,
        reason: opts.reason,
        password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() },
      });
      if (r.listKeyCreated) {
        err(
          r.listKeyCreated.encrypted
            ? `Created the revocation list key ${r.listKeyCreated.path} (encrypted)`
            : `Created the revocation list key ${r.listKeyCreated.path} UNENCRYPTED (mode 0600): no password was given (set VOUCH_PASSWORD or --password-file to encrypt it)`,
        );
      }
      if (opts.output === "json") {
        const entry = revocationListDocument({ revocations: [r.revocation] }).revocations[0];
        out(`${JSON.stringify({ added: r.added, revocation: entry, list: r.listPath, listKeyId: r.listKeyId }, null, 2)}\n`);
      } else if (r.added) {
        out(`Revoked key ${r.revocation.keyId} (compromised at ${r.revocation.compromisedAt.toISOString()}); recorded in ${r.listPath}\n`);
      } else {
        out(`Key ${r.revocation.keyId} was already revoked as compromised at ${r.revocation.compromisedAt.toISOString()}; nothing changed\n`);
      }
    });

  const revocations = key
    .command("revocations")
    .description("list the data directory's revoked keys; `export --out FILE` writes the signed list to ship with the trust material")
    .option("-o, --output <format>", "text or json", "text")
    .exitOverride()
    .action(async (opts: { output: string }) => {
      checkOutput(opts.output);
      const dataDir = resolveDataDir(globals().dataDir);
      const { loadRevocations, revocationListDocument } = await import("../../public/revocation.js");
      const loaded = loadRevocations(dataDir);
      if (opts.output === "json") {
        out(`${JSON.stringify({ ...revocationListDocument(loaded?.list ?? { revocations: [] }), ...(loaded ? { listKeyId: loaded.listKeyId } : {}) }, null, 2)}\n`);
        return;
      }
      if (loaded === undefined || loaded.list.revocations.length === 0) {
        err(`No revoked keys in ${dataDir}`);
        return;
      }
      out(renderRevocations(loaded));
    });
  revocations
    .command("export")
    .description("write the signed revocation list and its public key to one JSON file (for vouch verify --revocations FILE)")
    .requiredOption("--out <file>", "the file to write")
    .action(async (opts: { out: string }) => {
      const dataDir = resolveDataDir(globals().dataDir);
      const { exportRevocations } = await import("../../public/revocation.js");
      const exported = exportRevocations(dataDir);
      writeFileAtomic(opts.out, `${JSON.stringify(exported, null, 2)}\n`);
      err(`Revocation list written to ${opts.out}`);
    });
}

function checkOutput(output: string): void {
  if (output !== "text" && output !== "json") throw new VouchError("INPUT_USAGE", `-o ${output}: use text or json`);
}

function renderRevocations(loaded: LoadedRevocations): string {
  const rows = loaded.list.revocations.map((r) => `${r.keyId}  ${r.compromisedAt.toISOString()}  ${r.revokedAt.toISOString()}  ${r.reason}`);
  const header = `${"KEY ID".padEnd(64)}  ${"COMPROMISED AT".padEnd(24)}  ${"REVOKED AT".padEnd(24)}  REASON`;
  return `${header}\n${rows.join("\n")}\n(list ${loaded.path}, signed by list key ${loaded.listKeyId})\n`;
}
