import type { ImageDecision, PolicyResult } from "../decision.js";

/** Kubernetes refuses an admission warning of 256 characters or more; longer ones are cut with an ellipsis. */
export const MAX_WARNING_LENGTH = 255;

/** What one image's policy results add to the decision: deny reasons (enforce), warnings (warn); audit adds neither. */
export interface ModeOutcome {
  denied: boolean;
  readonly reasons: string[];
  readonly warnings: string[];
}

/**
 * Applies each policy's mode to its result: an enforce-mode failure denies with one reason per failing rule
 * (`image: policy/rule: reason`), a warn-mode failure becomes warnings, an audit-mode failure is only recorded in the
 * image's results (admission turns it into auditAnnotations). A policy that passed, or whose failure an exception
 * waived, adds nothing.
 */
export function applyModes(image: ImageDecision): ModeOutcome {
  const outcome: ModeOutcome = { denied: false, reasons: [], warnings: [] };
  for (const result of image.policies) {
    if (result.passed) continue;
    const lines = failureLines(image.reference, result);
    if (result.mode === "enforce") {
      outcome.denied = true;
      outcome.reasons.push(...lines);
    } else if (result.mode === "warn") {
      outcome.warnings.push(...lines.map(warning));
    }
  }
  return outcome;
}

/** `image: policy/rule: reason` for each failing rule (per-authority rules are summed up by `authorities`). */
export function failureLines(reference: string, result: PolicyResult): string[] {
  const failing = result.rules.filter((r) => r.outcome !== "pass" && !r.rule.startsWith("authority:"));
  if (failing.length === 0) return [`${reference}: ${result.policy}: failed`];
  return failing.map((r) => `${reference}: ${result.policy}/${r.rule}: ${r.reasons[0] ?? r.outcome}`);
}

export function warning(text: string): string {
  return text.length <= MAX_WARNING_LENGTH ? text : `${text.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
