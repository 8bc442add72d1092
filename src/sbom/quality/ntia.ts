import type { Coverage, DocumentQuality, NtiaElement, QualityReport } from "./types.js";

/**
 * NTIA "The Minimum Elements For a Software Bill of Materials" (2021): seven data fields. The component fields are
 * required of every component, so an element passes only at full coverage; the coverage says how far off it is.
 *
 *  - Supplier name: the entity that creates, defines and identifies the component (SPDX PackageSupplier,
 *    CycloneDX supplier/manufacturer). SPDX originator is the author, not the supplier, and does not count.
 *  - Other unique identifiers: purl, CPE, SWID (and OmniBOR, SWHID): anything a database can be searched by.
 *  - Dependency relationship: the subject's direct dependencies are stated (as sbomqs checks it).
 *  - Author of SBOM data: a person or organisation; a tool alone does not say who stands behind the data.
 */
export interface NtiaInputs {
  names: Coverage;
  versions: Coverage;
  uniqueIdentifiers: Coverage;
  suppliers: Coverage;
  document: DocumentQuality;
}

export function assessNtia(inputs: NtiaInputs): QualityReport["ntia"] {
  const { document } = inputs;
  const elements: NtiaElement[] = [
    perComponent("supplier-name", inputs.suppliers, "supplier"),
    perComponent("component-name", inputs.names, "name"),
    perComponent("component-version", inputs.versions, "version"),
    perComponent("unique-identifier", inputs.uniqueIdentifiers, "purl, CPE or SWID"),
    {
      element: "dependency-relationship",
      passed: document.rootDependencies > 0,
      coverage: document.componentsInGraph.ratio,
      detail:
        document.rootDependencies > 0
          ? `the subject has ${document.rootDependencies} direct dependencies; ${describe(document.componentsInGraph)} in the graph`
          : document.dependencyGraph
            ? `the subject's direct dependencies are not stated (${document.dependencyEdges} edges between other components)`
            : "no dependency relationships",
    },
    {
      element: "sbom-author",
      passed: document.authors.length > 0,
      coverage: document.authors.length > 0 ? 1 : 0,
      detail:
        document.authors.length > 0
          ? document.authors.join(", ")
          : document.tools.length > 0
            ? `no person or organisation named (tool only: ${document.tools.join(", ")})`
            : "no author named",
    },
    {
      element: "timestamp",
      passed: document.timestampValid,
      coverage: document.timestampValid ? 1 : 0,
      detail:
        document.timestamp === undefined
          ? "no creation time"
          : document.timestampValid
            ? document.timestamp
            : `not an RFC 3339 date-time: ${document.timestamp}`,
    },
  ];
  return { passed: elements.every((e) => e.passed), elements };
}

function perComponent(element: NtiaElement["element"], cover: Coverage, what: string): NtiaElement {
  const passed = cover.total > 0 && cover.count === cover.total;
  return {
    element,
    passed,
    coverage: cover.ratio,
    detail: cover.total === 0 ? "no components" : `${describe(cover)} have a ${what}`,
  };
}

function describe(cover: Coverage): string {
  return `${cover.count} of ${cover.total} components`;
}
