import { IMAGE_SIGNATURE_PREDICATE } from "../../oci/attachments/index.js";
import type { DecisionEvidence, FoundBundle, RuleResult } from "../decision.js";
import type { Authority, ImagePolicy } from "../model/types.js";
import type { ImageContext } from "./context.js";

type Signer = DecisionEvidence["signers"][number];

export interface AuthoritiesResult {
  /** `authority:<name>` per authority, then the `authorities` summary (absent when the policy has no authorities). */
  readonly rules: readonly RuleResult[];
  readonly signers: readonly Signer[];
}

/**
 * The signature rule (policy-controller's authorities): each authority passes when some signature of the image
 * verifies with its key (or one of its keyless identities) and trusted root, or by its `static` result; at least
 * `count` authorities must pass (default 1: any of them).
 *
 * Signatures are cosign v3 bundles (a DSSE statement with predicate https://sigstore.dev/cosign/sign/v1 about the
 * image), message signatures over the image digest, and cosign's simple signing (verified over the payload, whose
 * manifest digest must be the image's). Attestations are not signatures: an SBOM attestation signed by the release
 * key does not make the image "signed by the release key"; except that, as in policy-controller (whose authorities
 * with `attestations` verify those instead of a signature), a policy with attestation rules accepts an attestation of
 * a required predicate type as its authority's signature: build systems that attest provenance (GitHub's
 * attest-build-provenance, slsa-github-generator) often sign nothing else.
 */
export function checkAuthorities(policy: ImagePolicy, ctx: ImageContext): AuthoritiesResult {
  if (policy.authorities.length === 0) return { rules: [], signers: [] };
  const required = new Set(policy.attestations.map((a) => a.predicateType));
  const signatures = ctx.evidence.bundles.filter((b) => isSignature(b, ctx) || isRequiredAttestation(b, required, ctx));
  const rules: RuleResult[] = [];
  const signers: Signer[] = [];
  let passed = 0;
  for (const authority of policy.authorities) {
    const result = checkAuthority(authority, signatures, ctx, signers);
    if (result.outcome === "pass") passed++;
    rules.push(result);
  }
  const needed = policy.count;
  const summary: RuleResult =
    passed >= needed
      ? { rule: "authorities", outcome: "pass", reasons: [`${passed} of ${policy.authorities.length} authorities passed (${needed} needed)`] }
      : {
          rule: "authorities",
          outcome: "fail",
          reasons: [
            policy.authorities.length === 1
              ? (rules[0]?.reasons[0] ?? "not signed")
              : `${passed} of ${policy.authorities.length} authorities passed, ${needed} needed: ${rules
                  .filter((r) => r.outcome !== "pass")
                  .map((r) => `${r.rule.slice("authority:".length)}: ${r.reasons[0] ?? "failed"}`)
                  .join("; ")}`,
          ],
        };
  return { rules: [...rules, summary], signers };
}

function checkAuthority(authority: Authority, signatures: readonly FoundBundle[], ctx: ImageContext, signers: Signer[]): RuleResult {
  const rule = `authority:${authority.name}`;
  if (authority.type === "static") {
    return authority.result === "pass" ? { rule, outcome: "pass", reasons: ["static: pass"] } : { rule, outcome: "fail", reasons: ["static: fail"] };
  }
  if (signatures.length === 0) return { rule, outcome: "fail", reasons: ["no signature found for the image"] };
  // A bundle is verified against the predicate type its statement claims (a signature or a required attestation).
  const refused: string[] = [];
  let accepted = false;
  for (const found of signatures) {
    const statement = found.bundle.content.kind === "dsseEnvelope" ? ctx.statement(found) : undefined;
    const predicateType = statement === undefined ? undefined : "error" in statement ? IMAGE_SIGNATURE_PREDICATE : statement.predicateType;
    const outcome = ctx.verify(found, authority, predicateType);
    if (outcome.ok) {
      accepted = true;
      signers.push({ authority: authority.name, identity: outcome.signer, location: found.location, logIndexes: outcome.logIndexes });
    } else {
      refused.push(`${found.location}: ${outcome.reason}`);
    }
  }
  if (accepted) return { rule, outcome: "pass", reasons: signers.filter((s) => s.authority === authority.name).map((s) => `signed by ${s.identity} (${s.location})`) };
  return { rule, outcome: "fail", reasons: [`none of ${signatures.length} signature(s) verified: ${refused.join("; ")}`] };
}

/** Message signatures, and DSSE bundles whose statement is cosign's image signature predicate. */
function isSignature(found: FoundBundle, ctx: ImageContext): boolean {
  if (found.bundle.content.kind === "messageSignature") return true;
  const statement = ctx.statement(found);
  return !("error" in statement) && statement.predicateType === IMAGE_SIGNATURE_PREDICATE;
}

function isRequiredAttestation(found: FoundBundle, required: ReadonlySet<string>, ctx: ImageContext): boolean {
  if (required.size === 0 || found.bundle.content.kind !== "dsseEnvelope") return false;
  const statement = ctx.statement(found);
  return !("error" in statement) && required.has(statement.predicateType);
}
