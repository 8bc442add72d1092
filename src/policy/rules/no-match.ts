import type { NoMatchAction } from "../decision.js";
import { warning } from "./modes.js";

/**
 * An image no policy covers: policy-controller's no-match-policy. deny (the default): the resource is denied;
 * warn: allowed with a warning; allow: allowed silently.
 */
export function noMatchOutcome(reference: string, action: NoMatchAction): { denied: boolean; reasons: string[]; warnings: string[] } {
  const line = `${reference}: no policy covers this image`;
  if (action === "deny") return { denied: true, reasons: [`${line} (no-match: deny)`], warnings: [] };
  if (action === "warn") return { denied: false, reasons: [], warnings: [warning(line)] };
  return { denied: false, reasons: [], warnings: [] };
}
