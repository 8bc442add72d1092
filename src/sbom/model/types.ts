/**
 * vouch's one internal SBOM model. Catalogers fill it, serializers (CycloneDX, SPDX) write it, readers
 * (any tool's SBOM) fill it back for the quality gate and diff. Everything format-specific stays at the edges.
 */

export type Ecosystem =
  | "npm"
  | "pypi"
  | "golang"
  | "cargo"
  | "maven"
  | "gem"
  | "composer"
  | "nuget"
  | "deb"
  | "apk"
  | "rpm"
  | "generic";

/** CycloneDX scope names; SPDX maps dev to DEV_DEPENDENCY_OF and optional to OPTIONAL_DEPENDENCY_OF. */
export type Scope = "required" | "optional" | "dev";

/** Hash algorithms as CycloneDX names them; SPDX names are derived in its serializer. */
export type HashAlgorithm =
  | "MD5"
  | "SHA-1"
  | "SHA-256"
  | "SHA-384"
  | "SHA-512"
  | "SHA3-256"
  | "SHA3-384"
  | "SHA3-512"
  | "BLAKE2b-256"
  | "BLAKE2b-384"
  | "BLAKE2b-512"
  | "BLAKE3";

export interface Hash {
  alg: HashAlgorithm;
  /** Lowercase hex. */
  content: string;
}

/**
 * A license as the source declared it, normalised:
 *  - `expression`: a valid SPDX license expression (after spdx-correct);
 *  - `name`: declared text that is not an SPDX expression, kept verbatim rather than guessed.
 * A component with no license entry has none known (NOASSERTION in SPDX).
 */
export type License = { expression: string } | { name: string };

export type ExternalRefType = "vcs" | "website" | "distribution" | "issue-tracker";

export interface ExternalRef {
  type: ExternalRefType;
  url: string;
}

/** "container": a container image (the root of an image SBOM). */
export type ComponentType = "application" | "library" | "framework" | "file" | "container";

export interface Component {
  /** Unique within one SBOM: the purl when there is one. */
  bomRef: string;
  type: ComponentType;
  ecosystem: Ecosystem;
  name: string;
  /** Maven group, npm scope (with @), Go module path prefix, composer vendor. */
  group?: string;
  /** Empty string when the source does not pin a version. */
  version: string;
  purl?: string;
  licenses: License[];
  hashes: Hash[];
  scope: Scope;
  supplier?: string;
  author?: string;
  description?: string;
  externalRefs: ExternalRef[];
  /** Files (paths relative to the scanned root, POSIX separators) this component was found in. */
  foundIn: string[];
  /** Extra facts as name/value pairs (CycloneDX properties, SPDX comments). */
  properties: Property[];
}

export interface Property {
  name: string;
  value: string;
}

export interface Dependency {
  ref: string;
  dependsOn: string[];
}

export interface Tool {
  vendor?: string;
  name: string;
  version: string;
}

export interface GitInfo {
  commit?: string;
  branch?: string;
  remote?: string;
}

export interface CiInfo {
  provider: "github-actions" | "gitlab-ci";
  /** A URL or id that names the run. */
  runId: string;
  runUrl?: string;
  workflow?: string;
  repository?: string;
  ref?: string;
  sha?: string;
}

export interface BuildInfo {
  git?: GitInfo;
  ci?: CiInfo;
}

export interface SbomMetadata {
  /** RFC 3339, whole seconds, UTC. */
  timestamp: string;
  tools: Tool[];
  /** The project the SBOM describes. */
  root: Component;
  /** Who the SBOM data is from (NTIA "author of SBOM data"): organisation names. */
  authors?: string[];
  build: BuildInfo;
}

export interface Sbom {
  metadata: SbomMetadata;
  /** Sorted by bomRef: serializers rely on this for deterministic output. */
  components: Component[];
  /** Sorted by ref, each dependsOn sorted; includes the root's own entry. */
  dependencies: Dependency[];
}
