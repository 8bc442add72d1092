/**
 * The Finding model: one vulnerability on one component, after alias merging (CVE ↔ GHSA ↔ distro ids are one
 * finding, reported under the advisory's own id with the others in `aliases`). The matcher fills it, VEX
 * application annotates it (src/vuln/vex), the gate decides on it (src/vuln/gate.ts) and the writers print it
 * (src/vuln/report). Plain data: JSON-serialisable, no methods, no clock.
 */

import { SEVERITY_BUCKETS, worstSeverity, type OsvSeverityEntry, type ScoredSeverity, type SeverityBucket } from "./severity/index.js";

export type { SeverityBucket };

/** Buckets from least to most severe, for ranking and for --fail-on (src/vuln/severity's order). */
export const SEVERITY_ORDER: readonly SeverityBucket[] = SEVERITY_BUCKETS;

/** The rank of a bucket (none 0 … critical 4); -1 for an unknown severity, which never trips a gate. */
export function severityRank(bucket: SeverityBucket | undefined): number {
  return bucket === undefined ? -1 : SEVERITY_ORDER.indexOf(bucket);
}

/**
 * One scored severity: a CVSS vector scored by vouch (src/vuln/severity's ScoredSeverity is one), or, for an
 * advisory without a vector, the bucket its source states (`vector` and `version` absent).
 */
export interface FindingSeverity {
  /** "CVSS_V3" | "CVSS_V4" for a scored vector; the source's own label otherwise ("Ubuntu", "GHSA"). */
  readonly type: string;
  readonly vector?: string;
  readonly version?: "3.0" | "3.1" | "4.0";
  readonly score?: number;
  readonly bucket: SeverityBucket;
  /**
   * The advisory the severity was taken from, when not the finding's own records: distro advisories (Debian's DSA
   * and DLA, Ubuntu's USN) carry no CVSS vector, and are scored by the upstream CVE record they name, as grype does
   * with NVD's.
   */
  readonly from?: string;
}

/**
 * The severity fields of a finding from an advisory's OSV `severity[]` entries: every CVSS vector scored by
 * src/vuln/severity (numbers in the record are never trusted), the worst one first-class. Entries vouch cannot
 * score (CVSS_V2, Ubuntu's labels, malformed vectors) are left out; with none left the severity is unknown.
 *
 * @example
 * severitiesFromOsv(record.severity) // { severity: { type: "CVSS_V3", score: 10, bucket: "critical", … }, severities: [ … ] }
 */
export function severitiesFromOsv(entries: readonly OsvSeverityEntry[]): { severity?: FindingSeverity; severities: FindingSeverity[] } {
  const { worst, scored } = worstSeverity(entries);
  const severities: FindingSeverity[] = scored.map(fromScored);
  return worst === undefined ? { severities } : { severity: fromScored(worst), severities };
}

function fromScored(s: ScoredSeverity): FindingSeverity {
  return { type: s.type, vector: s.vector, version: s.version, score: s.score, bucket: s.bucket };
}

export interface Epss {
  /** Probability of exploitation in the next 30 days, 0..1 (FIRST's `epss` column). */
  readonly score: number;
  /** 0..1 (FIRST's `percentile` column). */
  readonly percentile: number;
  /** The model's score date (YYYY-MM-DD). */
  readonly date: string;
}

export interface Kev {
  /** CISA KEV `dateAdded` (YYYY-MM-DD). */
  readonly dateAdded: string;
  readonly dueDate?: string;
  /** "Known" | "Unknown", as the catalog writes it. */
  readonly knownRansomwareCampaignUse?: string;
  readonly requiredAction?: string;
}

export interface FindingVulnerability {
  /** The preferred id: the advisory's own (GHSA-…, DSA-…, PYSEC-…). */
  readonly id: string;
  /** Every other id of the same vulnerability (CVE-…, distro ids), sorted. */
  readonly aliases: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  /** The worst scored severity (what the table, the gate and SARIF's security-severity use). */
  readonly severity?: FindingSeverity;
  /** Every scored severity, for CycloneDX ratings. */
  readonly severities: readonly FindingSeverity[];
  /** Versions that fix it on this component's branch (the range's fixed events), lowest first. */
  readonly fixedIn: readonly string[];
  /** Reference URLs from the advisory. */
  readonly references: readonly string[];
  readonly published?: string;
  readonly modified?: string;
  readonly kev?: Kev;
  readonly epss?: Epss;
}

export interface FindingComponent {
  readonly bomRef?: string;
  readonly purl: string;
  readonly name: string;
  readonly version: string;
  /** OSV ecosystem name ("Debian", "npm"). */
  readonly ecosystem: string;
  /** OS release as OSV writes it ("12", "v3.19"). */
  readonly release?: string;
  /** Where the component was found (the SBOM, lockfile or image path), for SARIF locations. */
  readonly location?: string;
}

export interface FindingMatch {
  /** The advisory's ecosystem string ("Debian:12"). */
  readonly ecosystem: string;
  /** The advisory's package name (for OS packages, the source package). */
  readonly package: string;
  /** The range that contains the version, in words ("introduced 2.13.0, fixed 2.15.0 (ECOSYSTEM)"). */
  readonly range: string;
  readonly via: "source package" | "package";
}

/** VEX statuses, as OpenVEX names them (CycloneDX analysis states map onto them: src/vuln/vex). */
export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

export interface VexAssessment {
  readonly status: VexStatus;
  /** The justification label in the document's own vocabulary (OpenVEX or CycloneDX). */
  readonly justification?: string;
  readonly impactStatement?: string;
  readonly actionStatement?: string;
  /** CycloneDX `analysis.response` values. */
  readonly responses?: readonly string[];
  readonly source: VexSource;
}

export interface VexSource {
  readonly format: "openvex" | "cyclonedx";
  /** The document's @id (OpenVEX), serialNumber (CycloneDX), or the name the caller gave it. */
  readonly document: string;
  /** The statement's time (RFC 3339) that made it the latest. */
  readonly timestamp?: string;
  /** The CycloneDX state as written (false_positive, resolved_with_pedigree, …) when it differs from `status`. */
  readonly state?: string;
}

export interface Finding {
  readonly vulnerability: FindingVulnerability;
  readonly component: FindingComponent;
  readonly match: FindingMatch;
  readonly vex?: VexAssessment;
}

/** A finding a VEX statement marks not_affected (or CycloneDX false_positive): kept in JSON, hidden from the table. */
export function isSuppressed(finding: Finding): boolean {
  return finding.vex?.status === "not_affected";
}

/**
 * Deterministic order for every writer: package name, version, purl, then worst severity first, then id
 * (grype's table order).
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.component.name, b.component.name) ||
    cmp(a.component.version, b.component.version) ||
    cmp(a.component.purl, b.component.purl) ||
    severityRank(b.vulnerability.severity?.bucket) - severityRank(a.vulnerability.severity?.bucket) ||
    (b.vulnerability.severity?.score ?? -1) - (a.vulnerability.severity?.score ?? -1) ||
    cmp(a.vulnerability.id, b.vulnerability.id)
  );
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
