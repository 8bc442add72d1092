import type { DecisionEvent } from "../api/types";

/**
 * What the on-call table shows of a deny: the recorded Decision is plain JSON (`DecisionEvent.decision`, the policy
 * engine's Decision as it was), read here defensively — a field of the wrong type is left out, never guessed.
 */
export interface DenySummary {
  /** The first denying reason (`image: policy/rule: reason`), else the first failing rule's reason. */
  reason: string;
  /** The failing policies, comma-separated. */
  policy: string;
  image: string;
  /** `sha256:<hex>` when the decision resolved the image to a digest. */
  digest?: string;
  /** Who signed what was denied, when the evidence names a signer. */
  signer: string;
  /** Every denying reason (the detail tooltip). */
  reasons: string[];
}

type Json = Record<string, unknown>;

const DIGEST = /sha256:[0-9a-f]{64}/;

export function summarizeDecision(event: DecisionEvent): DenySummary {
  const decision: Json = isObject(event.decision) ? event.decision : {};
  const reasons = strings(decision.reasons);
  const images = array(decision.images).filter(isObject);
  // The image the deny is about: the first with a failing policy, else an unmatched one, else the first.
  const failing = images.find((img) => array(img.policies).some((p) => isObject(p) && p.passed === false));
  const image = failing ?? images.find((img) => img.unmatched === true) ?? images[0];
  const policies = image === undefined ? [] : array(image.policies).filter(isObject);
  const failed = policies.filter((p) => p.passed === false);
  const policyNames = (failed.length > 0 ? failed : []).map((p) => str(p.policy)).filter((p): p is string => p !== undefined);
  const firstRuleReason = failed
    .flatMap((p) => array(p.rules).filter(isObject))
    .filter((r) => r.outcome !== "pass")
    .flatMap((r) => strings(r.reasons))[0];
  // An outage action decided instead of the rules (what a pending re-verification is waiting on).
  const degraded = images
    .flatMap((img) => array(img.policies).filter(isObject))
    .map((p) => (isObject(p.degraded) ? p.degraded : undefined))
    .find((d) => d !== undefined);
  const degradedReason = degraded === undefined ? undefined : [str(degraded.action), str(degraded.reason)].filter((x) => x !== undefined).join(": ") || undefined;
  const signers = policies.flatMap((p) => (isObject(p.evidence) ? array(p.evidence.signers).filter(isObject) : [])).map((s) => str(s.identity));
  const reference = image === undefined ? undefined : str(image.reference);
  const digest = image === undefined ? undefined : (str(image.digest) ?? str(image.pinned) ?? reference)?.match(DIGEST)?.[0];
  const summary: DenySummary = {
    reason: reasons[0] ?? firstRuleReason ?? degradedReason ?? strings(decision.warnings)[0] ?? (image?.unmatched === true ? "no policy covers the image" : "—"),
    policy: policyNames.length > 0 ? [...new Set(policyNames)].join(", ") : image?.unmatched === true ? "(no matching policy)" : "—",
    image: reference ?? event.resource.name ?? "—",
    signer: signers.find((s): s is string => s !== undefined) ?? "—",
    reasons,
  };
  if (digest !== undefined) summary.digest = digest;
  return summary;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function array(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function strings(v: unknown): string[] {
  return array(v).filter((s): s is string => typeof s === "string");
}
