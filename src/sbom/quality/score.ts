import type { QualityReport, ScoreCategory } from "./types.js";

/**
 * The score out of 10: a weighted sum of features, each worth `weight` points times how far the SBOM meets it
 * (0..1, usually the share of components that have it).
 *
 * Like sbomqs (v2: weighted categories of weighted features, each scored by component coverage) but weighted for
 * what vouch does with an SBOM: match components against vulnerability data, walk the dependency graph to find
 * what a CVE reaches, check licences against policy, compare digests between releases.
 *
 *   Identification   4.0  name 0.2, version 1.3, purl 1.8, any unique id (purl/CPE/SWID/OmniBOR/SWHID) 0.7
 *                          Without a version and a purl a component cannot be matched to an advisory; everything
 *                          else said about it is of little use. (sbomqs: identification 10 + vulnerability 10 of 82.)
 *   Dependencies     2.0  graph present 0.25, components in the graph 0.5, components declaring their own
 *                          dependencies 1.25 (full marks when a quarter of the components do)
 *                          A graph where only the root lists everything is an inventory: it cannot say through
 *                          which package a vulnerable one arrives. Nested CycloneDX components count as in the
 *                          graph (nesting states inclusion).
 *   Licensing        1.5  licence declared 0.9 (NOASSERTION and NONE are not declarations), valid SPDX 0.6
 *   Provenance       1.25 timestamp 0.25, author (person or organisation) 0.3, tool with version 0.35 (without
 *                          version half), subject named with version 0.35 (name only half)
 *   Integrity        0.75 checksum 0.5, SHA-256 or stronger 0.25
 *   Supplier         0.5  component supplier named
 *
 * An SBOM without components scores 0 on every component feature: it proves nothing about any software.
 * Schema validity is not scored (sbomqs gives it 8 of 82): vouch either reads a document or refuses it.
 */

export interface ScoreInputs {
  names: number;
  versions: number;
  purls: number;
  uniqueIdentifiers: number;
  licenses: number;
  validLicenses: number;
  checksums: number;
  strongChecksums: number;
  suppliers: number;
  graphPresent: boolean;
  componentsInGraph: number;
  componentsDeclaringDependencies: number;
  timestamp: boolean;
  author: boolean;
  /** 1 with a version, 0.5 named only, 0 none. */
  tool: number;
  /** 1 named with version, 0.5 named only, 0 none. */
  subject: number;
}

type FeatureSpec = readonly [feature: string, description: string, weight: number, coverage: (s: ScoreInputs) => number];
type CategorySpec = readonly [category: string, features: readonly FeatureSpec[]];

/** Share of components declaring their own dependencies at which that feature gets full marks. */
export const DECLARING_SATURATION = 0.25;

const CATEGORIES: readonly CategorySpec[] = [
  [
    "identification",
    [
      ["names", "components with a name", 0.2, (s) => s.names],
      ["versions", "components with a version", 1.3, (s) => s.versions],
      ["purls", "components with a valid purl", 1.8, (s) => s.purls],
      ["unique-ids", "components with a purl, CPE, SWID, OmniBOR or SWHID", 0.7, (s) => s.uniqueIdentifiers],
    ],
  ],
  [
    "dependencies",
    [
      ["graph", "dependency graph present", 0.25, (s) => (s.graphPresent ? 1 : 0)],
      ["in-graph", "components in the dependency graph", 0.5, (s) => s.componentsInGraph],
      [
        "transitive",
        "components declaring their own dependencies",
        1.25,
        (s) => Math.min(1, s.componentsDeclaringDependencies / DECLARING_SATURATION),
      ],
    ],
  ],
  [
    "licensing",
    [
      ["licenses", "components with a declared licence", 0.9, (s) => s.licenses],
      ["valid-licenses", "components whose licences are valid SPDX expressions", 0.6, (s) => s.validLicenses],
    ],
  ],
  [
    "provenance",
    [
      ["timestamp", "creation time (RFC 3339)", 0.25, (s) => (s.timestamp ? 1 : 0)],
      ["author", "author of the SBOM data named", 0.3, (s) => (s.author ? 1 : 0)],
      ["tool", "generating tool and its version", 0.35, (s) => s.tool],
      ["subject", "subject of the SBOM named, with version", 0.35, (s) => s.subject],
    ],
  ],
  [
    "integrity",
    [
      ["checksums", "components with a checksum", 0.5, (s) => s.checksums],
      ["strong-checksums", "components with SHA-256 or stronger", 0.25, (s) => s.strongChecksums],
    ],
  ],
  ["supplier", [["suppliers", "components with a supplier", 0.5, (s) => s.suppliers]]],
];

export function scoreQuality(inputs: ScoreInputs): { score: number; breakdown: QualityReport["scoreBreakdown"] } {
  const breakdown: ScoreCategory[] = CATEGORIES.map(([category, features]) => {
    const scored = features.map(([feature, description, weight, coverageOf]) => {
      const coverage = clamp(coverageOf(inputs));
      return { feature, description, weight, coverage: round(coverage, 3), points: round(weight * coverage, 2) };
    });
    return {
      category,
      weight: round(features.reduce((sum, f) => sum + f[2], 0), 2),
      points: round(
        features.reduce((sum, f) => sum + f[2] * clamp(f[3](inputs)), 0),
        2,
      ),
      features: scored,
    };
  });
  const exact = CATEGORIES.flatMap(([, features]) => features).reduce((sum, f) => sum + f[2] * clamp(f[3](inputs)), 0);
  return { score: round(exact, 1), breakdown };
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
