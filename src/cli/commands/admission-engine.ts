import { VouchError } from "../../public/base.js";
import { openDecisionStore, type VouchConfig } from "../../runtime.js";
import { err } from "../io.js";
import { registryAccess, type RegistryFlags } from "./image-options.js";

const NO_MATCH = ["deny", "warn", "allow"] as const;

/**
 * The admission engine `vouch serve` mounts when vouch.yaml names admission.policies: the policies loaded (a broken
 * file stops the start), decisions recorded in the data directory's store (or DATABASE_URL), closed with the engine.
 */
export async function openAdmissionEngine(config: VouchConfig, dataDir: string, overrides: { policyPath?: string; noMatch?: string; trustedRoot?: string; registry?: RegistryFlags } = {}) {
  const policyPath = overrides.policyPath ?? config.admission?.policies;
  if (policyPath === undefined) throw new VouchError("INPUT_USAGE", "--policy is required (or admission.policies in vouch.yaml)");
  const noMatch = overrides.noMatch ?? config.admission?.noMatch;
  if (noMatch !== undefined && !(NO_MATCH as readonly string[]).includes(noMatch)) throw new VouchError("INPUT_USAGE", `--on-no-match must be one of ${NO_MATCH.join(", ")}`);
  const trustedRoot = overrides.trustedRoot ?? config.admission?.trustedRoot;
  const { createPolicyEngine, loadPolicyPath } = await import("../../public/admission.js");
  const policies = loadPolicyPath(policyPath);
  const { store, description } = await openDecisionStore(config, dataDir);
  const createEngine = (initial: Parameters<typeof createPolicyEngine>[0]["policies"]) => {
    const engine = createPolicyEngine({
      policies: initial,
      store,
      ...(noMatch !== undefined ? { noMatch: noMatch as (typeof NO_MATCH)[number] } : {}),
      ...(trustedRoot !== undefined ? { trust: { trustedRoot } } : {}),
      ...registryAccess(overrides.registry ?? {}),
      onError: (error, doing) => err(`vouch: ${doing}: ${error instanceof Error ? error.message : String(error)}\n`),
    });
    return {
      ...engine,
      close: async () => {
        await engine.close();
        await store.close();
      },
    };
  };
  return { policyPath, policies, noMatch: noMatch ?? "deny", storeDescription: description, createEngine, closeStore: () => store.close() };
}
