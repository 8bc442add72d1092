import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, openDecisionStore, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";
import { addRegistryFlags, registryAccess, type RegistryFlags } from "./image-options.js";

interface ReconcileFlags extends RegistryFlags {
  policy?: string;
  since?: string;
  trustedRoot?: string;
  output: string;
}

/**
 * `vouch admission reconcile [--since T]`: re-decides the recorded decisions an outage action took (allow-and-record,
 * use-cache) now that the registry is back, records each new decision linked to the old one, and reports them. Exit
 * 1 when a decision that admitted something is a deny now (someone must act: the API server admitted it); exit 2
 * (SERVICE_UNAVAILABLE) when some could not be re-decided because a registry is still down. The `admission` command
 * group (src/cli/commands/admission.ts) registers it with registerReconcile.
 */
export function registerReconcile(admission: Command, globals: () => GlobalOptions): void {
  addRegistryFlags(
    admission
      .command("reconcile")
      .description("re-decide the admission decisions an outage admitted or replayed (allow-and-record, use-cache) now that the registry is back, and record the new decisions")
      .option("--policy <path>", "a policy file or a directory of *.yaml policies (default: admission.policies in vouch.yaml)")
      .option("--since <time>", "only decisions taken at or after this RFC 3339 time, or this long ago (24h, 7d, 30m)")
      .option("--trusted-root <file>", "default trusted_root.json for keyless authorities (default: admission.trustedRoot, else Sigstore's public-good root)")
      .option("-o, --output <format>", "text or json", "text"),
  ).action(async (flags: ReconcileFlags) => {
    if (flags.output !== "text" && flags.output !== "json") throw new VouchError("INPUT_USAGE", `-o must be text or json, not ${flags.output}`);
    const config = loadConfig(globals().config);
    const policyPath = flags.policy ?? config.admission?.policies;
    if (policyPath === undefined) throw new VouchError("INPUT_USAGE", "--policy is required (or admission.policies in vouch.yaml)");
    const since = flags.since === undefined ? undefined : sinceTime(flags.since, new Date());
    const trustedRoot = flags.trustedRoot ?? config.admission?.trustedRoot;
    const { reconcileDecisions, renderReconcile, createPolicyEngine, loadPolicies } = await import("../../public/admission-reconcile.js");
    const policies = loadPolicies([policyPath]);
    const { store } = await openDecisionStore(config, resolveDataDir(globals().dataDir));
    try {
      const engine = createPolicyEngine({
        policies,
        ...(trustedRoot !== undefined ? { trust: { trustedRoot } } : {}),
        ...registryAccess(flags),
        onError: (error, doing) => err(`vouch: ${doing}: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      const result = await reconcileDecisions({ store, engine, ...(since !== undefined ? { since } : {}) });
      await engine.close();
      out(flags.output === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderReconcile(result));
      const deniedNow = result.reconciled.filter((r) => r.wasAllowed && !r.allowed);
      if (deniedNow.length > 0) throw new VouchError("CHECK_FAILED", `${deniedNow.length} admitted resource(s) are denied on re-check`);
      if (result.deferred.length > 0) {
        const why = [...new Set(result.deferred.map((d) => d.reason))].slice(0, 3).join("; ");
        throw new VouchError("SERVICE_UNAVAILABLE", `${result.deferred.length} decision(s) left pending, verification still unavailable: ${why}`);
      }
    } finally {
      await store.close();
    }
  });
}

/** `--since`: an RFC 3339 time, or a duration back from now (`90s`, `30m`, `24h`, `7d`). */
export function sinceTime(text: string, now: Date): string {
  const ago = /^(\d+)(s|m|h|d)$/.exec(text);
  if (ago !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(ago[1]) * unit).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
    throw new VouchError("INPUT_USAGE", `--since ${text}: not an RFC 3339 time (2026-03-01T00:00:00Z) or a duration (24h, 7d)`);
  }
  return text;
}
