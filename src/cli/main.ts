#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { isVouchError, VOUCH_VERSION } from "../public/base.js";
import { registerSbomGenerate } from "./commands/sbom.js";
import { registerSbomCheck } from "./commands/sbom-check.js";
import { registerSbomDiff } from "./commands/sbom-diff.js";
import { registerVerify } from "./commands/verify.js";
import { registerConformance } from "./commands/conformance.js";
import { registerKeyGenerate, registerKeyRevoke } from "./commands/key.js";
import { registerSign } from "./commands/sign.js";
import { registerAttest } from "./commands/attest.js";
import { registerProvenance } from "./commands/provenance.js";
import { registerServe, registerWitness } from "./commands/serve.js";
import { registerMonitor } from "./commands/monitor.js";
import { registerTrust } from "./commands/trust.js";
import { registerCa } from "./commands/ca.js";
import { registerDownload, registerSbomAttach, registerTree } from "./commands/image.js";
import { registerDb } from "./commands/db.js";
import { registerScan } from "./commands/scan.js";
import { registerToken } from "./commands/token.js";
import { registerPush, rewritePushVersionFlag } from "./commands/push.js";
import { registerQuery } from "./commands/query.js";
import { registerAdmission } from "./commands/admission.js";
import { registerPolicy } from "./commands/policy.js";
import { err } from "./io.js";
import type { GlobalOptions } from "./options.js";

/**
 * Exit codes (PRODUCT.md): 0 ok; 1 a check failed (gate, verification, policy); 2 usage or input error,
 * with one line on stderr and no stack trace; 3 an internal error (a bug: the stack is printed).
 */
export const EXIT = { ok: 0, checkFailed: 1, inputError: 2, internal: 3 } as const;

/**
 * Every verb is registered up front (names, flags, help: cheap), but its implementation is imported by its action
 * (`await import("../../public/<area>.js")`), so a run loads only the area of the verb it runs: `vouch --version`
 * and `--help` load commander and a few tiny modules, `vouch verify` the verifier and not the catalogers. The
 * command modules import only src/public/base.ts and types eagerly (.dependency-cruiser.cjs checks this).
 */
export function buildCli(): Command {
  const program = new Command("vouch")
    .description("Supply-chain evidence: SBOMs, signatures, provenance, verification")
    .version(VOUCH_VERSION, "-v, --version")
    .option("--data-dir <dir>", "local state directory (default: $VOUCH_DATA_DIR, else the user data dir)")
    .option("--config <file>", "vouch.yaml (default: $VOUCH_CONFIG)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  const sbom = program
    .command("sbom")
    .description("generate, check and diff SBOMs")
    .usage("[dir] [options] | check <file> | diff <old> <new> | attach <image> --sbom <file>")
    .addHelpText("after", "\n`vouch sbom [dir]` catalogs a source tree; its options: vouch sbom generate --help")
    .exitOverride();
  registerSbomGenerate(sbom, globals);
  registerSbomCheck(sbom);
  registerSbomDiff(sbom);
  registerSbomAttach(sbom, globals);
  const key = program.command("key").description("generate signing keys and revoke compromised ones").exitOverride();
  registerKeyGenerate(key);
  registerKeyRevoke(key, globals);
  registerSign(program, globals);
  registerAttest(program, globals);
  registerProvenance(program);
  registerVerify(program);
  registerTree(program);
  registerDownload(program);
  registerConformance(program);
  registerServe(program, globals, "serve", "run vouch's services over HTTP: transparency log, keyless CA, CT log, timestamp authority", true);
  const log = program.command("log").description("the transparency log: serve it, witness it, monitor it").exitOverride();
  registerServe(log, globals, "serve", "run the transparency log alone (Rekor v1 API and tlog-tiles)", false);
  registerWitness(log, globals);
  registerMonitor(log, globals);
  registerTrust(program, globals);
  registerCa(program, globals);
  registerDb(program, globals);
  registerScan(program, globals);
  registerToken(program, globals);
  registerPush(program);
  registerQuery(program);
  registerAdmission(program, globals);
  registerPolicy(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(rewritePushVersionFlag(argv), { from: "user" });
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message; help and version are not errors.
      return e.exitCode === 0 ? EXIT.ok : EXIT.inputError;
    }
    if (isVouchError(e)) {
      err(`vouch: ${e.describe()}`);
      return e.code === "CHECK_FAILED" || e.code.startsWith("VERIFY_") ? EXIT.checkFailed : EXIT.inputError;
    }
    err(`vouch: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.internal;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.filename === (await import("node:fs")).realpathSync(process.argv[1]);
if (invokedDirectly) {
  // `vouch sbom -o purls | head`: a reader that stops early is not an error; stop writing and leave quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
    throw e;
  });
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
