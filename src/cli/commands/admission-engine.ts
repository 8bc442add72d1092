import { VouchError } from "../../public/base.js";
import { durationMs, openAdvisoryStore, openDecisionStore, type VouchConfig } from "../../runtime.js";
import { err } from "../io.js";
import { registryAccess, type RegistryFlags } from "./image-options.js";

const NO_MATCH = ["deny", "warn", "allow"] as const;

/**
 * The admission engine `vouch serve` mounts when vouch.yaml names admission.policies, and `vouch admission serve`
 * runs: the policies loaded (a broken file stops the start), the `admission:` keys applied (VEX files read and checked
 * at start, the cache TTLs, reconcileEvery), the deployment's advisory database opened (as `vouch scan` opens it) when
 * a vulnerability rule first needs it, decisions recorded in the data directory's store (or DATABASE_URL); all of it
 * closed with the engine. A bad `admission:` value is an input error (exit 2) naming its key.
 */
export async function openAdmissionEngine(config: VouchConfig, dataDir: string, overrides: { policyPath?: string; noMatch?: string; trustedRoot?: string; registry?: RegistryFlags } = {}) {
  const settings = config.admission ?? {};
  const policyPath = overrides.policyPath ?? settings.policies;
  if (policyPath === undefined) throw new VouchError("INPUT_USAGE", "--policy is required (or admission.policies in vouch.yaml)");
  const noMatch = overrides.noMatch ?? settings.noMatch;
  if (noMatch !== undefined && !(NO_MATCH as readonly string[]).includes(noMatch)) throw new VouchError("INPUT_USAGE", `--on-no-match must be one of ${NO_MATCH.join(", ")}`);
  const trustedRoot = overrides.trustedRoot ?? settings.trustedRoot;
  const reconcileEvery = settings.reconcileEvery === undefined ? undefined : duration("admission.reconcileEvery", settings.reconcileEvery, { positive: true });
  const ttl = settings.cache ?? {};
  const cache = {
    ...(ttl.positiveTtl !== undefined ? { positiveTtlMs: duration("admission.cache.positiveTtl", ttl.positiveTtl) } : {}),
    ...(ttl.negativeTtl !== undefined ? { negativeTtlMs: duration("admission.cache.negativeTtl", ttl.negativeTtl) } : {}),
    ...(ttl.resolveTtl !== undefined ? { resolveTtlMs: duration("admission.cache.resolveTtl", ttl.resolveTtl) } : {}),
  };
  const { createPolicyEngine, loadPolicyPath, readVexFiles } = await import("../../public/admission.js");
  const vex = namingKey("admission.vex", () => readVexFiles(settings.vex ?? []));
  const policies = loadPolicyPath(policyPath);
  const { store, description } = await openDecisionStore(config, dataDir);
  const createEngine = (initial: Parameters<typeof createPolicyEngine>[0]["policies"]) => {
    const engine = createPolicyEngine({
      policies: initial,
      store,
      ...(noMatch !== undefined ? { noMatch: noMatch as (typeof NO_MATCH)[number] } : {}),
      ...(trustedRoot !== undefined ? { trust: { trustedRoot } } : {}),
      ...(vex.length > 0 ? { vex } : {}),
      ...(reconcileEvery !== undefined ? { reconcileEvery } : {}),
      cache,
      openAdvisories: () => openAdvisoryStore(config, dataDir),
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

/** A duration of the `admission:` section in ms; a bad one is an input error naming the key. */
function duration(key: string, text: string, options: { positive?: boolean } = {}): number {
  const ms = namingKey(key, () => durationMs(text));
  if (options.positive === true && ms <= 0) throw new VouchError("INPUT_MALFORMED", `${key}: must be longer than 0, got ${JSON.stringify(text)}`);
  return ms;
}

/** Runs `work`; an input error it throws names the vouch.yaml key it came from (`admission.vex: FILE: no such file`). */
function namingKey<T>(key: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof VouchError && error.code.startsWith("INPUT_")) throw new VouchError(error.code, `${key}: ${error.describe()}`, { cause: error });
    throw error;
  }
}
