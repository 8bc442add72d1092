import type { PolicyResult } from "../decision.js";
import type { ImagePolicy } from "../model/types.js";

/**
 * A policy's result when its evidence could not be gathered (registry, log or advisory data unreachable), by its
 * `onVerificationUnavailable`:
 * - deny: the policy fails with the reason (fail closed);
 * - allow-and-record: the policy passes, marked degraded; the decision needs reconciliation (fail open, re-verified
 *   once the dependency is back);
 * - use-cache: the cached result for this policy version (even past its TTL: a stale answer beats none), marked
 *   degraded and fromCache; with nothing cached, deny.
 */
export function unavailableResult(policy: ImagePolicy, reason: string, cached: readonly PolicyResult[] | undefined): PolicyResult {
  const base = { policy: policy.name, policyVersion: policy.version, mode: policy.mode, evidence: { signers: [], attestations: [] } };
  const rule = (outcome: "pass" | "error", why: string): PolicyResult["rules"] => [{ rule: "unavailable", outcome, reasons: [why] }];
  switch (policy.onVerificationUnavailable) {
    case "allow-and-record":
      return { ...base, passed: true, rules: rule("pass", `verification unavailable (${reason}): allowed and recorded for re-verification`), degraded: { action: "allow-and-record", reason } };
    case "use-cache": {
      const hit = cached?.find((c) => c.policy === policy.name && c.policyVersion === policy.version);
      if (hit !== undefined) {
        // The exception the cached result recorded is judged again now (evaluate re-applies the policy's exceptions):
        // an exception that has expired since must not keep waiving through the cache.
        const { exception, ...rest } = hit;
        return { ...rest, passed: exception === undefined && hit.passed, mode: policy.mode, degraded: { action: "use-cache", reason, fromCache: true } };
      }
      return { ...base, passed: false, rules: rule("error", `verification unavailable (${reason}) and no cached result for this policy version`), degraded: { action: "use-cache", reason, fromCache: false } };
    }
    case "deny":
      return { ...base, passed: false, rules: rule("error", `verification unavailable: ${reason}`), degraded: { action: "deny", reason } };
  }
}
