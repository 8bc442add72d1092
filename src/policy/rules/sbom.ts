import parseSpdx, { type SpdxNode } from "spdx-expression-parse";
import { isVouchError } from "../../core/errors.js";
import { assessQuality } from "../../sbom/quality/index.js";
import { readSbom, type ReadSbom } from "../../sbom/read/index.js";
import type { DecisionEvidence, RuleResult } from "../decision.js";
import type { ImagePolicy, SbomFormat, SbomRule } from "../model/types.js";
import { signingAuthorities, type ImageContext } from "./context.js";

export interface SbomResult {
  readonly rule?: RuleResult;
  readonly evidence?: NonNullable<DecisionEvidence["sbom"]>;
}

/** The predicate type of an SBOM attestation, by format (SPDX and CycloneDX name versions after a slash, or not). */
export function sbomPredicateFormat(predicateType: string): SbomFormat | undefined {
  if (predicateType === "https://spdx.dev/Document" || predicateType.startsWith("https://spdx.dev/Document/")) return "spdx";
  if (predicateType === "https://cyclonedx.org/bom" || predicateType.startsWith("https://cyclonedx.org/bom/")) return "cyclonedx";
  return undefined;
}

interface Candidate {
  readonly location: string;
  readonly text: string;
  readonly signed: boolean;
}

/**
 * The SBOM rule. SBOMs are taken from verified SBOM attestations (an SPDX or CycloneDX predicate signed by one of the
 * policy's authorities, about this image) when there are any, else from unsigned SBOM referrers whose subject is the
 * image digest (when `subjectIsImage`). Each SBOM so chosen must be in an accepted format, score at least
 * `minQualityScore` (src/sbom/quality) and have no component whose license expression names a denied license id:
 * a denied license in any SBOM of the image is in the image.
 */
export function checkSbom(policy: ImagePolicy, ctx: ImageContext): SbomResult {
  const rule = policy.sbom;
  if (rule === undefined) return {};
  const notes: string[] = [];
  const candidates = signedSboms(policy, ctx, notes);
  if (candidates.length === 0) candidates.push(...referrerSboms(rule, ctx, notes));
  if (candidates.length === 0) {
    if (!rule.required) return { rule: { rule: "sbom", outcome: "pass", reasons: ["no SBOM found (not required)", ...notes] } };
    return { rule: { rule: "sbom", outcome: "fail", reasons: ["no SBOM attestation or SBOM referrer for the image digest found", ...notes] } };
  }
  const failures: string[] = [];
  let evidence: SbomResult["evidence"];
  for (const candidate of candidates) {
    let read: ReadSbom;
    try {
      read = readSbom(candidate.text, candidate.location);
    } catch (error) {
      if (!isVouchError(error)) throw error;
      failures.push(`${candidate.location}: unreadable SBOM: ${error.message}`);
      continue;
    }
    if (!rule.formats.includes(read.format)) {
      failures.push(`${candidate.location}: ${read.format} is not an accepted format (${rule.formats.join(", ")})`);
      continue;
    }
    const score = rule.minQualityScore === undefined ? undefined : assessQuality(read).score;
    evidence ??= { location: candidate.location, format: read.format, ...(score !== undefined ? { qualityScore: score } : {}) };
    if (score !== undefined && rule.minQualityScore !== undefined && score < rule.minQualityScore) {
      failures.push(`${candidate.location}: quality score ${score} is below ${rule.minQualityScore}`);
    }
    const denied = deniedComponents(read, rule.deniedLicenses);
    if (denied.length > 0) {
      const shown = denied.slice(0, 5).join(", ");
      failures.push(`${candidate.location}: denied license in ${denied.length} component(s): ${shown}${denied.length > 5 ? ", …" : ""}`);
    }
  }
  if (failures.length > 0) return { rule: { rule: "sbom", outcome: "fail", reasons: failures }, ...(evidence ? { evidence } : {}) };
  const what = candidates[0]!.signed ? "signed SBOM attestation" : "SBOM referrer";
  return { rule: { rule: "sbom", outcome: "pass", reasons: [`${candidates.length} ${what}(s) checked`] }, ...(evidence ? { evidence } : {}) };
}

function signedSboms(policy: ImagePolicy, ctx: ImageContext, notes: string[]): Candidate[] {
  const authorities = signingAuthorities(policy.authorities);
  const out: Candidate[] = [];
  for (const found of ctx.evidence.bundles) {
    if (found.bundle.content.kind !== "dsseEnvelope") continue;
    const statement = ctx.statement(found);
    if ("error" in statement || sbomPredicateFormat(statement.predicateType) === undefined) continue;
    const verified = authorities.some((a) => ctx.verify(found, a, statement.predicateType).ok);
    if (!verified) {
      notes.push(`${found.location}: SBOM attestation not verified by the policy's authorities (ignored)`);
      continue;
    }
    out.push({ location: found.location, text: JSON.stringify(statement.predicate ?? {}), signed: true });
  }
  return out;
}

function referrerSboms(rule: SbomRule, ctx: ImageContext, notes: string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const found of ctx.evidence.sboms) {
    if (rule.subjectIsImage && found.subjectDigest !== ctx.evidence.digest) {
      notes.push(`${found.location}: its subject ${found.subjectDigest ?? "(none)"} is not the image digest (ignored)`);
      continue;
    }
    out.push({ location: found.location, text: new TextDecoder().decode(found.bytes), signed: false });
  }
  return out;
}

/** `name@version (license)` of each component whose license names a denied id (case-insensitive, as SPDX ids are). */
function deniedComponents(read: ReadSbom, deniedLicenses: readonly string[]): string[] {
  if (deniedLicenses.length === 0) return [];
  const denied = new Set(deniedLicenses.map((l) => l.toLowerCase()));
  const out: string[] = [];
  for (const component of read.sbom.components) {
    for (const license of component.licenses) {
      const ids = "expression" in license ? licenseIds(license.expression) : [license.name];
      const hit = ids.find((id) => denied.has(id.toLowerCase()));
      if (hit !== undefined) {
        out.push(`${component.name}${component.version ? `@${component.version}` : ""} (${"expression" in license ? license.expression : license.name})`);
        break;
      }
    }
  }
  return out;
}

/** Every license id an SPDX expression names (either side of OR counts: the image may be used under it). */
function licenseIds(expression: string): string[] {
  let tree: SpdxNode;
  try {
    tree = parseSpdx(expression);
  } catch {
    return [expression];
  }
  const ids: string[] = [];
  const walk = (node: SpdxNode): void => {
    if ("license" in node) {
      ids.push(node.license);
      if (node.plus === true) ids.push(`${node.license}+`);
    } else {
      walk(node.left);
      walk(node.right);
    }
  };
  walk(tree);
  return ids;
}
