import type { Decision, EvaluationInput, ImageDecision, ImageInput, PolicyResult, RuleResult } from "./decision.js";
import type { ImagePolicy, ResourceRef } from "./model/types.js";
import { checkAttestations } from "./rules/attestations.js";
import { checkAuthorities } from "./rules/authorities.js";
import { imageContext, type ImageContext } from "./rules/context.js";
import { applicableException } from "./rules/exceptions.js";
import { coveringPolicies, imageNames } from "./rules/matching.js";
import { applyModes } from "./rules/modes.js";
import { noMatchOutcome } from "./rules/no-match.js";
import { checkSbom } from "./rules/sbom.js";
import { unavailableResult } from "./rules/unavailable.js";
import { checkVulnerabilities } from "./rules/vulnerabilities.js";

/**
 * Decides on a resource's images, purely: no file, network or clock (everything is in `input`, `now` included).
 *
 * Every policy whose `images` and `resources` match an image applies to it, and each is judged alone (as in
 * sigstore's policy-controller): its authorities (`count` of them must pass), its required attestations, its SBOM
 * rule and its vulnerability rule must all pass. A failing policy is waived by an exception that applies at `now`;
 * otherwise its mode decides: enforce denies, warn warns, audit only records. An image no policy covers meets
 * `noMatch` (default deny). An image whose evidence could not be gathered meets each covering policy's
 * `onVerificationUnavailable`.
 *
 * @example
 *   const d = evaluate({ policies, resource: { kind: "Pod", namespace: "payments" }, images, trust, now: new Date() });
 *   if (!d.allowed) console.error(d.reasons.join("\n"));
 */
export function evaluate(input: EvaluationInput): Decision {
  const noMatch = input.noMatch ?? "deny";
  const reasons: string[] = [];
  const warnings: string[] = [];
  const images: ImageDecision[] = [];
  let allowed = true;
  let needsReconciliation = false;
  for (const image of input.images) {
    const decision = evaluateImage(input, image);
    images.push(decision);
    const outcome = decision.unmatched ? noMatchOutcome(image.reference, noMatch) : applyModes(decision);
    if (outcome.denied) allowed = false;
    reasons.push(...outcome.reasons);
    warnings.push(...outcome.warnings);
    if (decision.policies.some((p) => p.degraded !== undefined)) needsReconciliation = true;
  }
  return { allowed, reasons, warnings: [...new Set(warnings)], images, needsReconciliation, decidedAt: input.now.toISOString() };
}

function evaluateImage(input: EvaluationInput, image: ImageInput): ImageDecision {
  const evidence = "evidence" in image ? image.evidence : undefined;
  const names = imageNames(image.reference, evidence?.pinned);
  const policies = coveringPolicies(input.policies, input.resource, names);
  const base = {
    reference: image.reference,
    ...(image.path !== undefined ? { path: image.path } : {}),
    ...(evidence !== undefined ? { digest: evidence.digest, pinned: evidence.pinned } : {}),
  };
  if (policies.length === 0) return { ...base, policies: [], unmatched: true };
  const ctx = evidence === undefined ? undefined : imageContext(evidence, input.trust, names);
  const results = policies.map((policy) => {
    const result = ctx !== undefined ? evaluatePolicy(policy, ctx) : unavailableResult(policy, "unavailable" in image ? image.unavailable : "no evidence", "cached" in image ? image.cached : undefined);
    return waive(result, policy, names, input.resource, input.now);
  });
  return { ...base, policies: results, unmatched: false };
}

/** One policy's rules on one image's evidence. */
export function evaluatePolicy(policy: ImagePolicy, ctx: ImageContext): PolicyResult {
  const authorities = checkAuthorities(policy, ctx);
  const attestations = checkAttestations(policy, ctx);
  const sbom = checkSbom(policy, ctx);
  const vulnerabilities = checkVulnerabilities(policy, ctx);
  const rules: RuleResult[] = [...authorities.rules, ...attestations.rules, ...(sbom.rule ? [sbom.rule] : []), ...(vulnerabilities.rule ? [vulnerabilities.rule] : [])];
  // Per-authority results are details of the `authorities` summary, which alone decides (count may be below all).
  const passed = rules.every((r) => r.outcome === "pass" || r.rule.startsWith("authority:"));
  return {
    policy: policy.name,
    policyVersion: policy.version,
    mode: policy.mode,
    passed,
    rules,
    evidence: {
      signers: authorities.signers,
      attestations: attestations.attestations,
      ...(sbom.evidence ? { sbom: sbom.evidence } : {}),
      ...(vulnerabilities.evidence ? { findings: vulnerabilities.evidence } : {}),
    },
  };
}

function waive(result: PolicyResult, policy: ImagePolicy, names: readonly string[], resource: ResourceRef, now: Date): PolicyResult {
  if (result.passed) return result;
  const exception = applicableException(policy, names, resource, now);
  return exception === undefined ? result : { ...result, passed: true, exception };
}
