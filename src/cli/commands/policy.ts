import type { Command } from "commander";
import { existsSync } from "node:fs";
import { VouchError } from "../../public/base.js";
import { advisoryDbFile, loadConfig, openAdvisoryStore, resolveDataDir } from "../../runtime.js";
import { out } from "../io.js";
import { collect, type GlobalOptions } from "../options.js";
import { addRegistryFlags, registryAccess, type RegistryFlags } from "./image-options.js";

interface EvalFlags extends RegistryFlags {
  policy: string[];
  bundle: string[];
  digest?: string;
  sbom: string[];
  vex: string[];
  namespace?: string;
  kind?: string;
  trustedRoot?: string;
  onNoMatch?: string;
  now?: string;
  output: string;
}

const NO_MATCH = ["deny", "warn", "allow"] as const;

/**
 * `vouch policy validate FILE|DIR...`, `vouch policy test DIR`, `vouch policy eval --policy P (IMAGE | --bundle B... --digest sha256:…)`:
 * policies checked before they reach a cluster, and the same decision admission would take, as a CI gate
 * (exit 1 on deny, after the report of every rule).
 */
export function registerPolicy(program: Command): void {
  const policy = program.command("policy").description("policy as code: validate policies, evaluate them on an image (CI gate), run policy tests").exitOverride();

  policy
    .command("validate <paths...>")
    .description("parse policy files (FILE or DIR of *.yaml): exit 2 naming the file, line, document and field of a mistake")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (paths: string[], opts: { output: string }) => {
      output(opts.output);
      const { validatePolicyFiles } = await import("../../public/policy.js");
      const files = validatePolicyFiles(paths);
      if (opts.output === "json") {
        out(`${JSON.stringify({ valid: true, files }, null, 2)}\n`);
        return;
      }
      for (const f of files) {
        for (const p of f.policies) out(`${f.file}: document ${p.document}: ${p.kind} ${p.namespace !== undefined ? `${p.namespace}/` : ""}${p.name} (${p.mode}): valid\n`);
      }
      const count = files.reduce((n, f) => n + f.policies.length, 0);
      out(`${count} ${count === 1 ? "policy" : "policies"} in ${files.length} ${files.length === 1 ? "file" : "files"}: valid\n`);
    });

  policy
    .command("test <dir>")
    .description("run policy unit tests: DIR/vouch-test.yaml names policies, resources, evidence and expected results (like kyverno test); exit 1 on a mismatch")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (dir: string, opts: { output: string }) => {
      output(opts.output);
      const { testPolicies, renderTestTable } = await import("../../public/policy.js");
      const run = await testPolicies(dir);
      out(opts.output === "json" ? `${JSON.stringify({ passed: run.passed, results: run.outcomes }, null, 2)}\n` : renderTestTable(run));
      if (!run.passed) throw new VouchError("CHECK_FAILED", `${run.outcomes.filter((o) => !o.ok).length} of ${run.outcomes.length} policy test result(s) did not match`);
    });

  const evalCmd = policy
    .command("eval [image]")
    .description(
      "decide on an image with the policies (from its registry, or from --bundle / --sbom files for --digest); exit 1 on deny. " +
        "Vulnerability rules scan the image's SBOMs against the advisory database of `vouch db import` (--data-dir, or DATABASE_URL)",
    )
    .requiredOption("--policy <path>", "policy file or directory (repeatable)", collect, [])
    .option("--bundle <file>", "a signature or attestation bundle of the image (repeatable); with --digest", collect, [])
    .option("--digest <sha256:hex>", "the image digest the --bundle / --sbom files are for")
    .option("--sbom <file>", "an SBOM of the image (SPDX or CycloneDX JSON; repeatable): the SBOM rule's, and scanned for the vulnerability rules; with --digest", collect, [])
    .option("--vex <file>", "an OpenVEX or CycloneDX VEX document for the vulnerability rules (repeatable)", collect, [])
    .option("--namespace <ns>", "the namespace the image would run in (policies' resources and exceptions)")
    .option("--kind <kind>", "the resource kind (policies' resources)", "Pod")
    .option("--trusted-root <file>", "trusted_root.json for authorities without their own (default: Sigstore public good)")
    .option("--on-no-match <action>", "an image no policy covers: deny, warn or allow", "deny")
    .option("--now <time>", "judge exceptions at this RFC 3339 time (default: now)")
    .option("-o, --output <format>", "text or json", "text");
  addRegistryFlags(evalCmd).action(async (image: string | undefined, opts: EvalFlags) => {
    output(opts.output);
    const noMatch = opts.onNoMatch ?? "deny";
    if (!(NO_MATCH as readonly string[]).includes(noMatch)) throw new VouchError("INPUT_USAGE", `--on-no-match ${noMatch}: use deny, warn or allow`);
    const now = opts.now === undefined ? undefined : parseTime(opts.now);
    const { evalPolicy, renderDecision } = await import("../../public/policy.js");
    const { decision } = await evalPolicy({
      ...registryAccess(opts),
      policy: opts.policy,
      ...(image !== undefined ? { image } : {}),
      bundles: opts.bundle,
      ...(opts.digest !== undefined ? { digest: opts.digest } : {}),
      sboms: opts.sbom,
      vex: opts.vex,
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
      ...(opts.trustedRoot !== undefined ? { trustedRoot: opts.trustedRoot } : {}),
      noMatch: noMatch as (typeof NO_MATCH)[number],
      ...(now !== undefined ? { now } : {}),
      openAdvisories: () => openAdvisories(program.opts<GlobalOptions>()),
    });
    out(opts.output === "json" ? `${JSON.stringify(decision, null, 2)}\n` : renderDecision(decision));
    if (!decision.allowed) throw new VouchError("CHECK_FAILED", `denied by policy: ${decision.reasons[0] ?? "no policy allowed the image"}`);
  });
}

/**
 * The advisory database `vouch db import` fills and `vouch scan` reads (PostgreSQL with DATABASE_URL, else SQLite in
 * the data directory, --data-dir): opened only for a policy with vulnerability rules. A data directory without one
 * is an error naming `vouch db import` (an empty file is not created for it).
 */
async function openAdvisories(globals: GlobalOptions) {
  const dataDir = resolveDataDir(globals.dataDir);
  if (!process.env.DATABASE_URL && !existsSync(advisoryDbFile(dataDir))) {
    throw new VouchError("INPUT_NOT_FOUND", `no advisory database in ${dataDir} for the policy's vulnerability rules: import OSV records first (vouch db import PATH…)`);
  }
  return openAdvisoryStore(loadConfig(globals.config), dataDir);
}

function output(format: string): void {
  if (format !== "text" && format !== "json") throw new VouchError("INPUT_USAGE", `-o ${format}: use text or json`);
}

function parseTime(text: string): Date {
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) throw new VouchError("INPUT_USAGE", `--now ${text}: not an RFC 3339 time`);
  return new Date(t);
}
