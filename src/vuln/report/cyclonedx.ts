import type { Finding, FindingSeverity, VexAssessment } from "../findings.js";
import { sortFindings } from "../findings.js";
import { advisorySource, componentRef } from "./common.js";

/**
 * CycloneDX 1.6 with `vulnerabilities` (a VDR, with VEX analysis where a statement applied): the affected
 * components, then one vulnerability entry per finding (as grype writes them: a VEX analysis belongs to one
 * component), with ratings from every scored vector, `affects` by bom-ref, and `analysis` from the VEX statement.
 * Time and serial number are parameters (pure; reproducible output).
 */

export interface CycloneDxVexOptions {
  /** urn:uuid:… */
  readonly serialNumber: string;
  /** RFC 3339. */
  readonly timestamp: string;
  readonly toolVersion: string;
  /** The scanned artifact (metadata.component). */
  readonly subject?: { readonly name: string; readonly version?: string; readonly bomRef?: string; readonly purl?: string; readonly type?: string };
}

type Json = Record<string, unknown>;

/** OpenVEX justifications in CycloneDX's vocabulary (CISA's mapping, as trivy and grype convert them). */
const JUSTIFICATION_TO_CDX: Readonly<Record<string, string>> = {
  component_not_present: "code_not_present",
  vulnerable_code_not_present: "code_not_present",
  vulnerable_code_not_in_execute_path: "code_not_reachable",
  vulnerable_code_cannot_be_controlled_by_adversary: "requires_environment",
  inline_mitigations_already_exist: "protected_by_mitigating_control",
};

const STATE: Readonly<Record<VexAssessment["status"], string>> = {
  not_affected: "not_affected",
  fixed: "resolved",
  affected: "exploitable",
  under_investigation: "in_triage",
};

const VERSION_STATUS: Readonly<Record<VexAssessment["status"], string>> = {
  not_affected: "unaffected",
  fixed: "unaffected",
  affected: "affected",
  under_investigation: "unknown",
};

/**
 * @example
 * const bom = toCycloneDxVex(findings, { serialNumber: "urn:uuid:…", timestamp: "2025-01-01T00:00:00Z", toolVersion: "0.1.0" });
 */
export function toCycloneDxVex(findings: readonly Finding[], options: CycloneDxVexOptions): Json {
  const sorted = sortFindings(findings);
  const components = new Map<string, Finding["component"]>();
  for (const f of sorted) if (!components.has(componentRef(f))) components.set(componentRef(f), f.component);
  const subject = options.subject;
  return {
    $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: options.serialNumber,
    version: 1,
    metadata: {
      timestamp: options.timestamp,
      tools: { components: [{ type: "application", name: "vouch", version: options.toolVersion }] },
      ...(subject
        ? {
            component: {
              type: subject.type ?? "application",
              ...(subject.bomRef ? { "bom-ref": subject.bomRef } : {}),
              name: subject.name,
              ...(subject.version ? { version: subject.version } : {}),
              ...(subject.purl ? { purl: subject.purl } : {}),
            },
          }
        : {}),
    },
    components: [...components.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([ref, c]) => ({ type: "library", "bom-ref": ref, name: c.name, version: c.version, purl: c.purl })),
    vulnerabilities: sorted.map(vulnerability),
  };
}

function vulnerability(f: Finding): Json {
  const v = f.vulnerability;
  const ref = componentRef(f);
  const properties = [
    ...(v.kev ? [{ name: "vouch:kev:dateAdded", value: v.kev.dateAdded }] : []),
    ...(v.kev?.dueDate ? [{ name: "vouch:kev:dueDate", value: v.kev.dueDate }] : []),
    ...(v.epss
      ? [
          { name: "vouch:epss:score", value: String(v.epss.score) },
          { name: "vouch:epss:percentile", value: String(v.epss.percentile) },
          { name: "vouch:epss:date", value: v.epss.date },
        ]
      : []),
    { name: "vouch:match:range", value: f.match.range },
    { name: "vouch:match:via", value: f.match.via },
  ];
  return {
    "bom-ref": `${v.id}|${ref}`,
    id: v.id,
    source: advisorySource(v.id),
    ...(v.aliases.length > 0 ? { references: v.aliases.map((id) => ({ id, source: advisorySource(id) })) } : {}),
    ...(v.severities.length > 0 ? { ratings: v.severities.map(rating) } : {}),
    ...(v.summary ? { description: v.summary } : {}),
    ...(v.details ? { detail: v.details } : {}),
    ...(v.fixedIn.length > 0 ? { recommendation: `Upgrade ${f.component.name} to ${v.fixedIn.join(" or ")}` } : {}),
    ...(v.references.length > 0 ? { advisories: v.references.map((url) => ({ url })) } : {}),
    ...(v.published ? { published: v.published } : {}),
    ...(v.modified ? { updated: v.modified } : {}),
    ...(f.vex ? { analysis: analysis(f.vex) } : {}),
    affects: [{ ref, versions: [{ version: f.component.version, status: f.vex ? VERSION_STATUS[f.vex.status] : "affected" }] }],
    properties,
  };
}

function rating(s: FindingSeverity): Json {
  const method = s.version === "3.0" ? "CVSSv3" : s.version === "3.1" ? "CVSSv31" : s.version === "4.0" ? "CVSSv4" : "other";
  return {
    ...(s.score !== undefined ? { score: s.score } : {}),
    severity: s.bucket,
    method,
    ...(s.vector ? { vector: s.vector } : {}),
    // A distro advisory scored by its upstream CVE record: the rating names where it came from.
    ...(s.from !== undefined ? { source: advisorySource(s.from) } : {}),
  };
}

function analysis(vex: VexAssessment): Json {
  const cdx = vex.source.format === "cyclonedx";
  const state = cdx && vex.source.state !== undefined ? vex.source.state : STATE[vex.status];
  const justification = vex.justification === undefined ? undefined : cdx ? vex.justification : JUSTIFICATION_TO_CDX[vex.justification];
  const detail = [vex.impactStatement, vex.actionStatement].filter((x) => x !== undefined).join("\n") || undefined;
  return {
    state,
    ...(justification !== undefined ? { justification } : {}),
    ...(vex.responses && vex.responses.length > 0 ? { response: [...vex.responses] } : {}),
    ...(detail !== undefined ? { detail } : {}),
    ...(vex.source.timestamp ? { lastUpdated: vex.source.timestamp } : {}),
  };
}
