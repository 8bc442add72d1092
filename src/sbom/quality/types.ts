import type { ReadWarning, SbomFormat } from "../read/types.js";

/**
 * The quality report. Plain data only (strings, numbers, booleans, arrays, plain objects) so that `-o json`
 * writes it with JSON.stringify as is; every list is sorted so the same SBOM always gives the same report.
 */

/** What can be wrong with one component, in the order the report lists them. */
export const COMPONENT_PROBLEMS = [
  "missing-name",
  "missing-version",
  "missing-purl",
  "invalid-purl",
  "missing-license",
  "noassertion-license",
  "invalid-license",
  "missing-checksum",
  "missing-supplier",
] as const;

export type ComponentProblem = (typeof COMPONENT_PROBLEMS)[number];

export interface ComponentRef {
  ref: string;
  name: string;
  version: string;
  purl?: string;
}

export interface ComponentQuality extends ComponentRef {
  problems: ComponentProblem[];
  /** Declared licence texts that are not SPDX expressions (for invalid-license). */
  invalidLicenses?: string[];
  /** The purl text that does not parse (for invalid-purl). */
  invalidPurl?: string;
}

/** How many of `total` components have something; `ratio` is 0 when there are no components. */
export interface Coverage {
  count: number;
  total: number;
  ratio: number;
}

export interface ScoreFeature {
  feature: string;
  description: string;
  /** Points this feature is worth out of 10. */
  weight: number;
  /** 0..1: how far the SBOM meets it. */
  coverage: number;
  points: number;
}

export interface ScoreCategory {
  category: string;
  weight: number;
  points: number;
  features: ScoreFeature[];
}

export const NTIA_ELEMENTS = [
  "supplier-name",
  "component-name",
  "component-version",
  "unique-identifier",
  "dependency-relationship",
  "sbom-author",
  "timestamp",
] as const;

export type NtiaElementName = (typeof NTIA_ELEMENTS)[number];

export interface NtiaElement {
  element: NtiaElementName;
  passed: boolean;
  /** 0..1: share of components that have it (1 or 0 for document-level elements). */
  coverage: number;
  detail: string;
}

export interface DocumentQuality {
  root: { name: string; version: string; declared: boolean };
  timestamp?: string;
  timestampValid: boolean;
  authors: string[];
  tools: string[];
  dependencyGraph: boolean;
  dependencyEdges: number;
  rootDependencies: number;
  /** Components that take part in the dependency graph (or are nested in a component, which states inclusion). */
  componentsInGraph: Coverage;
  /** Components that declare dependencies of their own: the graph is more than a flat inventory under the root. */
  componentsDeclaringDependencies: Coverage;
}

export interface QualityReport {
  file: string;
  format: SbomFormat;
  specVersion: string;
  /** 0..10, one decimal. */
  score: number;
  scoreBreakdown: ScoreCategory[];
  componentCount: number;
  /** SPDX files, which are not components. */
  fileCount: number;
  nestedComponentCount: number;
  /** Components with each problem (a component can have several). */
  totals: Record<ComponentProblem, number>;
  coverage: {
    versions: Coverage;
    purls: Coverage;
    uniqueIdentifiers: Coverage;
    licenses: Coverage;
    validLicenses: Coverage;
    checksums: Coverage;
    strongChecksums: Coverage;
    suppliers: Coverage;
  };
  document: DocumentQuality;
  ntia: { passed: boolean; elements: NtiaElement[] };
  /** Components with at least one problem, most problems first. */
  components: ComponentQuality[];
  /** Components whose licence is NOASSERTION: somebody has to find out. */
  noAssertion: ComponentRef[];
  warnings: ReadWarning[];
  warningCount: number;
}
