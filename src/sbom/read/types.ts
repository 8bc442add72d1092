import type { Sbom } from "../model/types.js";

export type SbomFormat = "spdx" | "cyclonedx";

/**
 * What a reader hands on: the SBOM in vouch's model (for diff and everything else) plus the facts about the
 * source document that the model deliberately drops but the quality gate must judge (a licence that was literally
 * NOASSERTION is not the same as no licence field; a purl that is present but invalid is not the same as none).
 */
export interface ReadSbom {
  format: SbomFormat;
  /** As the document states it: "2.3" for SPDX-2.3, "1.6" for CycloneDX 1.6. */
  specVersion: string;
  /** The file name the caller gave, for messages. */
  fileName: string;
  sbom: Sbom;
  /** One per entry of `sbom.components`, in the same order. */
  components: ComponentFacts[];
  /** Facts about `sbom.metadata.root` (undefined when the document names no subject). */
  root?: ComponentFacts;
  document: DocumentFacts;
  /** Fields that were present but unusable (wrong type, bad digest...): each was ignored. Capped; see warningCount. */
  warnings: ReadWarning[];
  warningCount: number;
}

export interface ReadWarning {
  /** Where in the document: "packages[3].checksums[0].checksumValue". */
  path: string;
  message: string;
  /** 1-based line, for the first few warnings of a file. */
  line?: number;
}

export type PurlState = "valid" | "invalid" | "absent";

export interface LicenseText {
  /** Exactly as declared (SPDX licenseDeclared/licenseConcluded, CycloneDX license.id/name or expression). */
  text: string;
  /** It parses as an SPDX license expression as written, before any correction. */
  validSpdx: boolean;
}

export interface ComponentFacts {
  /** The component's bomRef in the model. */
  bomRef: string;
  /** Where it sits in the source: "packages[12]", "components[3].components[0]". */
  path: string;
  /** Declared licence texts (NOASSERTION and NONE excluded: they are recorded below). */
  licenseTexts: LicenseText[];
  /** No licence was declared and a licence field said NOASSERTION: someone has to follow this up. */
  licenseNoAssertion: boolean;
  /** No licence was declared and a licence field said NONE. */
  licenseNone: boolean;
  purl: PurlState;
  /** The purl text as written, when there was one (valid or not). */
  purlText?: string;
  /** Other unique identifiers NTIA accepts: CPE, SWID, OmniBOR, SWHID. */
  hasCpe: boolean;
  hasSwid: boolean;
  hasOtherId: boolean;
  /** A supplier was named (SPDX PackageSupplier other than NOASSERTION; CycloneDX supplier/manufacturer name). */
  supplierPresent: boolean;
  /** CycloneDX: the bomRef of the component this one was nested in (flattened into the list). */
  nestedIn?: string;
}

export interface DocumentFacts {
  /** SPDX document name; CycloneDX has none (undefined). */
  name?: string;
  /** SPDX documentNamespace or CycloneDX serialNumber. */
  identifier?: string;
  /** SPDX creationInfo.creators as written; for CycloneDX, "Person: x"/"Organization: y"/"Tool: z" built alike. */
  creators: string[];
  /** People and organisations named as authors of the SBOM data (not tools). */
  authors: string[];
  /** "name version" of every tool recorded. */
  toolNames: string[];
  /** The creation time as written, when present. */
  timestamp?: string;
  /** The creation time is an RFC 3339 date-time. */
  timestampValid: boolean;
  /** The document names its subject (SPDX documentDescribes/DESCRIBES, CycloneDX metadata.component). */
  rootDeclared: boolean;
  /** Dependency edges between components (root included), after dropping edges to unknown elements. */
  dependencyEdgeCount: number;
  /** Direct dependencies of the root. */
  rootDependencyCount: number;
  /** SPDX `files` entries: not components, only counted. */
  fileCount: number;
  /** CycloneDX components found nested inside other components (flattened into the component list). */
  nestedComponentCount: number;
}
