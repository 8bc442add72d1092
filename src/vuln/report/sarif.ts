import { isSuppressed, sortFindings, type Finding, type SeverityBucket } from "../findings.js";
import { advisorySource, epssLabel, severityLabel } from "./common.js";

/**
 * SARIF 2.1.0 (OASIS) for code-scanning UIs such as GitHub's: one rule per vulnerability (its id, summary,
 * help with the aliases and a link, and `security-severity`, the CVSS score GitHub ranks alerts by), one result per
 * finding, located at the file the component was found in (the SBOM or lockfile: `component.location`, else
 * `artifactUri`). Findings a VEX statement marks not_affected are kept with an external, accepted suppression
 * carrying the justification (SARIF 3.35), so viewers hide them and the reason travels with them.
 * Deterministic: rules sorted by id, results in the table's order.
 */

export interface SarifOptions {
  /** vouch's version, for tool.driver. */
  readonly toolVersion: string;
  /** Where findings without their own location are reported: the SBOM, lockfile or image the scan read. */
  readonly artifactUri?: string;
}

type Json = Record<string, unknown>;

/** SARIF result level per severity, as grype maps them. */
const LEVEL: Readonly<Record<SeverityBucket, "error" | "warning" | "note">> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  none: "note",
};

/**
 * @example
 * const log = toSarif(findings, { toolVersion: "0.1.0", artifactUri: "sbom.cdx.json" });
 * JSON.stringify(log) // upload to code scanning
 */
export function toSarif(findings: readonly Finding[], options: SarifOptions): Json {
  const sorted = sortFindings(findings);
  const rulesById = new Map<string, Finding>();
  for (const f of sorted) {
    const seen = rulesById.get(f.vulnerability.id);
    // The rule describes the vulnerability; take the copy with the highest score (findings of one id agree
    // unless alias merging met different records).
    if (!seen || (f.vulnerability.severity?.score ?? -1) > (seen.vulnerability.severity?.score ?? -1)) rulesById.set(f.vulnerability.id, f);
  }
  const ruleIds = [...rulesById.keys()].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "vouch",
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            rules: ruleIds.map((id) => rule(rulesById.get(id)!)),
          },
        },
        results: sorted.map((f) => result(f, index.get(f.vulnerability.id)!, options)),
      },
    ],
  };
}

function rule(f: Finding): Json {
  const v = f.vulnerability;
  const source = advisorySource(v.id);
  const title = v.summary ?? `${v.id} in ${f.match.package}`;
  const aliases = v.aliases.length > 0 ? `\nAliases: ${v.aliases.join(", ")}` : "";
  const severity = v.severity?.score !== undefined ? `${severityLabel(v.severity.bucket)} (${v.severity.score.toFixed(1)})` : severityLabel(v.severity?.bucket);
  const text = `${title}\nSeverity: ${severity}${aliases}\n${source.url}`;
  const markdown =
    `**${escapeMarkdown(title)}**\n\n| Severity | Aliases | Advisory |\n| --- | --- | --- |\n` +
    `| ${severity} | ${v.aliases.map(escapeMarkdown).join(", ")} | [${escapeMarkdown(v.id)}](${source.url}) |` +
    (v.details ? `\n\n${escapeMarkdown(v.details)}` : "");
  const properties: Json = { tags: ["security", "vulnerability", ...(v.kev ? ["kev"] : [])] };
  if (v.severity?.score !== undefined) properties["security-severity"] = v.severity.score.toFixed(1);
  return {
    id: v.id,
    name: v.id.replace(/[^A-Za-z0-9]/g, ""),
    shortDescription: { text: title },
    fullDescription: { text: v.details ?? title },
    helpUri: source.url,
    help: { text, markdown },
    properties,
  };
}

function result(f: Finding, ruleIndex: number, options: SarifOptions): Json {
  const v = f.vulnerability;
  const c = f.component;
  const fix = v.fixedIn.length > 0 ? `; fixed in ${v.fixedIn.join(", ")}` : "; no fix available";
  const sev = v.severity?.score !== undefined ? ` (${severityLabel(v.severity.bucket)} ${v.severity.score.toFixed(1)})` : "";
  const via = f.match.via === "source package" ? ` (source package ${f.match.package})` : "";
  const message = `${c.name} ${c.version}${via} is affected by ${v.id}${sev}${fix}`;
  const uri = c.location ?? options.artifactUri;
  const properties: Json = { purl: c.purl, installedVersion: c.version, fixedIn: v.fixedIn };
  if (v.kev) properties.kev = true;
  if (v.epss) properties.epss = epssLabel(v.epss);
  if (f.vex) properties.vexStatus = f.vex.status;
  const out: Json = {
    ruleId: v.id,
    ruleIndex,
    level: v.severity ? LEVEL[v.severity.bucket] : "warning",
    message: { text: message },
    locations: [
      {
        ...(uri !== undefined ? { physicalLocation: { artifactLocation: { uri: toUriReference(uri) } } } : {}),
        logicalLocations: [{ fullyQualifiedName: c.purl, kind: "package" }],
      },
    ],
    // Code scanning tracks an alert across runs by these: the vulnerability on this package, whatever the version.
    partialFingerprints: { "vulnerabilityPackage/v1": `${v.id}:${c.purl.split("@")[0]}` },
    properties,
  };
  if (isSuppressed(f)) {
    const vex = f.vex!;
    const why = [vex.justification, vex.impactStatement].filter((x) => x !== undefined).join(": ");
    out.suppressions = [{ kind: "external", status: "accepted", justification: `VEX ${vex.source.document}: not_affected${why ? ` (${why})` : ""}` }];
  }
  return out;
}

/** A file path as a URI reference (RFC 3986): backslashes to slashes, unsafe characters percent-encoded. */
function toUriReference(path: string): string {
  return encodeURI(path.replace(/\\/g, "/"));
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]|<>])/g, "\\$1");
}
