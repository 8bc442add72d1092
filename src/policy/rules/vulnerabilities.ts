import { isVouchError } from "../../core/errors.js";
import { severityRank, type Finding } from "../../vuln/findings.js";
import { applyVex, parseVexJson, type VexDocument } from "../../vuln/vex/index.js";
import type { DecisionEvidence, FoundFinding, RuleResult } from "../decision.js";
import type { ImagePolicy, VulnerabilityRule } from "../model/types.js";
import type { ImageContext } from "./context.js";

export interface VulnerabilitiesResult {
  readonly rule?: RuleResult;
  readonly evidence?: NonNullable<DecisionEvidence["findings"]>;
}

/** Findings named in a reason at most (the evidence lists them all). */
const SHOWN = 10;

/**
 * The vulnerability rule: a finding at or above `denyAtOrAbove`, or in CISA KEV with `denyKev`, denies unless a VEX
 * statement covers it as not_affected or fixed (`useVex`). With `onlyFixed` only findings with a fix available count
 * (grype's --only-fixed). A finding of unknown severity is never "at or above" a level, but KEV still catches it.
 * Without findings (no SBOM was scanned) the rule fails: absence of evidence is not a clean scan.
 */
export function checkVulnerabilities(policy: ImagePolicy, ctx: ImageContext): VulnerabilitiesResult {
  const rule = policy.vulnerabilities;
  if (rule === undefined) return {};
  const findings = ctx.evidence.findings;
  if (findings === undefined) return { rule: { rule: "vulnerabilities", outcome: "fail", reasons: ["no scan findings: no SBOM of the image was scanned"] } };
  const notes: string[] = [];
  const documents = rule.useVex ? readVex(ctx.evidence.vex ?? [], notes) : [];
  const counted = findings.filter((f) => denies(f, rule));
  const assessed = documents.length === 0 ? counted.map((f) => ({ f, status: undefined })) : covered(counted, documents, ctx);
  const denied = assessed.filter((a) => a.status !== "not_affected" && a.status !== "fixed").map((a) => label(a.f));
  const coveredByVex = assessed.filter((a) => a.status === "not_affected" || a.status === "fixed").map((a) => `${label(a.f)} (${a.status})`);
  const evidence = { denied: [...new Set(denied)].sort(), coveredByVex: [...new Set(coveredByVex)].sort() };
  const threshold = [rule.denyAtOrAbove === undefined ? undefined : `at or above ${rule.denyAtOrAbove}`, rule.denyKev ? "in KEV" : undefined].filter((s) => s !== undefined).join(" or ");
  if (evidence.denied.length === 0) {
    const why = `${findings.length} finding(s), none ${threshold || "denied"} without VEX${evidence.coveredByVex.length > 0 ? ` (${evidence.coveredByVex.length} covered by VEX)` : ""}`;
    return { rule: { rule: "vulnerabilities", outcome: "pass", reasons: [why, ...notes] }, evidence };
  }
  const shown = evidence.denied.slice(0, SHOWN).join(", ");
  const more = evidence.denied.length > SHOWN ? `, and ${evidence.denied.length - SHOWN} more` : "";
  return { rule: { rule: "vulnerabilities", outcome: "fail", reasons: [`${evidence.denied.length} finding(s) ${threshold}: ${shown}${more}`, ...notes] }, evidence };
}

function denies(f: FoundFinding, rule: VulnerabilityRule): boolean {
  if (rule.onlyFixed && !f.fixAvailable) return false;
  if (rule.denyKev && f.kev) return true;
  if (rule.denyAtOrAbove === undefined || f.severity === "unknown") return false;
  return severityRank(f.severity) >= severityRank(rule.denyAtOrAbove);
}

function label(f: FoundFinding): string {
  return `${f.id} in ${f.purl}${f.severity === "unknown" ? "" : ` (${f.severity}${f.kev ? ", KEV" : ""})`}`;
}

/** A VEX document that cannot be read is left out with a note: it cannot waive anything. */
function readVex(documents: readonly Uint8Array[], notes: string[]): VexDocument[] {
  const out: VexDocument[] = [];
  documents.forEach((bytes, i) => {
    try {
      out.push(parseVexJson(new TextDecoder().decode(bytes)));
    } catch (error) {
      if (!isVouchError(error)) throw error;
      notes.push(`VEX document ${i + 1} ignored: ${error.message}`);
    }
  });
  return out;
}

/** The VEX status applyVex (src/vuln/vex) gives each finding, statements about the image itself included. */
function covered(findings: readonly FoundFinding[], documents: readonly VexDocument[], ctx: ImageContext): { f: FoundFinding; status: string | undefined }[] {
  const asFindings: Finding[] = findings.map((f) => ({
    vulnerability: { id: f.id, aliases: f.aliases, severities: [], fixedIn: [], references: [] },
    component: { purl: f.purl, name: "", version: "", ecosystem: "" },
    match: { ecosystem: "", package: "", range: "", via: "package" },
  }));
  const { digest, pinned } = ctx.evidence;
  const repository = pinned.split("@")[0] ?? pinned;
  const name = repository.slice(repository.lastIndexOf("/") + 1);
  const products = [...new Set([...ctx.names, digest, `pkg:oci/${name}@${encodeURIComponent(digest)}`])];
  const applied = applyVex(asFindings, documents, { products });
  return findings.map((f, i) => ({ f, status: applied[i]?.vex?.status }));
}
