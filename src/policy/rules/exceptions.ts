import type { PolicyResult } from "../decision.js";
import { exceptionApplies } from "../model/index.js";
import type { ImagePolicy, ResourceRef } from "../model/types.js";

/**
 * The exception that waives a failing policy for this image, if one applies at `now` (exceptionApplies: strictly
 * before expiresAt, an expired exception never applies). The first applicable one in the policy's order is recorded.
 */
export function applicableException(policy: ImagePolicy, names: readonly string[], resource: ResourceRef, now: Date): PolicyResult["exception"] {
  for (const exception of policy.exceptions) {
    const applies = names.some((image) => exceptionApplies(exception, { image, ...(resource.namespace !== undefined ? { namespace: resource.namespace } : {}) }, now));
    if (!applies) continue;
    return {
      name: exception.name,
      reason: exception.reason,
      ...(exception.ticket !== undefined ? { ticket: exception.ticket } : {}),
      approver: exception.approver,
      expiresAt: exception.expiresAt.toISOString(),
    };
  }
  return undefined;
}
