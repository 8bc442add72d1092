import type { DecisionEvidence, FoundBundle, RuleResult } from "../decision.js";
import type { AttestationRule, ImagePolicy } from "../model/types.js";
import { signingAuthorities, type ImageContext } from "./context.js";

type AttestationEvidence = DecisionEvidence["attestations"][number];

export interface AttestationsResult {
  readonly rules: readonly RuleResult[];
  readonly attestations: readonly AttestationEvidence[];
}

/**
 * Required attestations: a rule passes when some DSSE bundle of its predicate type, about this image, verifies with
 * one of the policy's signing authorities and every CEL condition holds on its statement. Conditions are evaluated
 * only on statements whose signature verified: an unsigned statement's claims are not evidence.
 */
export function checkAttestations(policy: ImagePolicy, ctx: ImageContext): AttestationsResult {
  const rules: RuleResult[] = [];
  const attestations: AttestationEvidence[] = [];
  for (const rule of policy.attestations) rules.push(checkOne(policy, rule, ctx, attestations));
  return { rules, attestations };
}

function checkOne(policy: ImagePolicy, rule: AttestationRule, ctx: ImageContext, out: AttestationEvidence[]): RuleResult {
  const name = `attestation:${rule.name}`;
  const authorities = signingAuthorities(policy.authorities);
  if (authorities.length === 0) return { rule: name, outcome: "fail", reasons: ["the policy has no key or keyless authority to verify attestations with"] };
  const candidates = ctx.evidence.bundles.filter((b) => ofType(b, rule.predicateType, ctx));
  if (candidates.length === 0) return { rule: name, outcome: "fail", reasons: [`no attestation of type ${rule.predicateType} found`] };
  const reasons: string[] = [];
  for (const found of candidates) {
    const refusals: string[] = [];
    let signer: string | undefined;
    for (const authority of authorities) {
      const outcome = ctx.verify(found, authority, rule.predicateType);
      if (outcome.ok) {
        signer = outcome.signer;
        break;
      }
      refusals.push(`${authority.name}: ${outcome.reason}`);
    }
    if (signer === undefined) {
      reasons.push(`${found.location}: not verified (${refusals.join("; ")})`);
      continue;
    }
    const statement = ctx.statement(found);
    if ("error" in statement) {
      reasons.push(`${found.location}: ${statement.error}`);
      continue;
    }
    const failed: string[] = [];
    for (const condition of rule.conditions) {
      const r = condition.evaluate(statement);
      if (!r.ok) failed.push(`condition ${JSON.stringify(condition.expression)}: ${r.reason}`);
    }
    if (failed.length === 0) {
      out.push({ rule: rule.name, predicateType: rule.predicateType, location: found.location, signer });
      const held = rule.conditions.length === 0 ? "" : `, ${rule.conditions.length} condition(s) hold`;
      return { rule: name, outcome: "pass", reasons: [`${found.location}: signed by ${signer}${held}`] };
    }
    reasons.push(`${found.location}: ${failed.join("; ")}`);
  }
  return { rule: name, outcome: "fail", reasons };
}

function ofType(found: FoundBundle, predicateType: string, ctx: ImageContext): boolean {
  if (found.bundle.content.kind !== "dsseEnvelope") return false;
  const statement = ctx.statement(found);
  return !("error" in statement) && statement.predicateType === predicateType;
}
