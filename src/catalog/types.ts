import type { Ecosystem, ExternalRef, Hash, Property, Scope } from "../sbom/model/types.js";

/**
 * The contract between catalog/sources (which find and read files) and the catalogers (pure parsers).
 *
 * A cataloger is a pure function over file text: it never touches the file system itself. When a format
 * needs a second file (a pom's parent, a requirements `-r` include, node_modules/<pkg>/package.json) it asks
 * `ctx.readFile`, which the source answers within its own limits (size, symlinks, root).
 */

/** One file handed to a cataloger. */
export interface SourceFile {
  /** Path relative to the scanned root, POSIX separators, no leading "./". */
  path: string;
  /** The file as UTF-8 text ("" for a cataloger that `reads: "bytes"`). */
  text: string;
  /** The raw bytes, for catalogers that `reads: "bytes"` (ELF binaries, jars, rpmdb.sqlite). */
  bytes?: Uint8Array;
}

export interface CatalogContext {
  /**
   * Read another file of the same source by root-relative POSIX path. undefined when it does not exist,
   * is unreadable, is over the size limit, or lies outside the root.
   */
  readFile(path: string): string | undefined;
  /** The same, as bytes (a nested archive, a binary beside a manifest); undefined when the source has none. */
  readBytes?(path: string): Uint8Array | undefined;
  /** List the entries (names only) of a directory of the source; [] when absent. */
  listDir(path: string): string[];
  /**
   * Report a problem that does not stop the parse (a skipped entry, an unknown field value). `file` names
   * another file of the source when the problem is in one this file pulled in (a requirements `-r` include).
   */
  warn(message: string, line?: number, file?: string): void;
}

/** A package as one lockfile/manifest declares it, before the catalog merges files together. */
export interface PackageRecord {
  /**
   * Unique within one ParseResult; edges (`dependsOn`) name these. The purl is a good id when the format
   * cannot hold two copies of one name@version; npm's node_modules path is one when it can.
   */
  id: string;
  ecosystem: Ecosystem;
  name: string;
  /** Maven group, npm scope ("@scope"), composer vendor; omitted when the name carries none. */
  group?: string;
  /** "" when the source pins no version. */
  version: string;
  purl: string;
  /** License exactly as declared (normalised later, in one place). */
  licenseDeclared?: string | readonly string[];
  /** Every checksum the source provides, converted with sbom/model/hash.ts. */
  hashes: Hash[];
  scope: Scope;
  /** ids of the packages this one depends on, within the same ParseResult. */
  dependsOn: string[];
  author?: string;
  supplier?: string;
  description?: string;
  externalRefs?: ExternalRef[];
  properties?: Property[];
}

/** The project a lockfile belongs to (from its manifest): becomes an application component. */
export interface ProjectRecord {
  name: string;
  version: string;
  group?: string;
  ecosystem: Ecosystem;
  purl?: string;
  licenseDeclared?: string | readonly string[];
  description?: string;
  author?: string;
  externalRefs?: ExternalRef[];
}

export interface ParseResult {
  /** The project (root) the file describes, when its manifest names one. */
  project?: ProjectRecord;
  /**
   * Root-relative folder of that project, when it is not the file's own folder (npm's hidden lockfile sits in
   * node_modules/, its project one level up). The catalog uses it to decide which project is the tree's root.
   */
  projectDir?: string;
  /** ids of packages the project depends on directly. When unknown, leave empty. */
  directDependencies: string[];
  packages: PackageRecord[];
  /**
   * Workspace members (npm/yarn/pnpm workspaces, Cargo workspace members, Maven modules): projects inside
   * the same lockfile, each with its direct dependencies.
   */
  workspaces?: { project: ProjectRecord; id: string; directDependencies: string[] }[];
}

export interface Cataloger {
  /** Stable name, "<ecosystem>-<format>", e.g. "npm-package-lock"; shown in warnings and properties. */
  name: string;
  ecosystem: Ecosystem;
  /**
   * True when this cataloger reads the file at this root-relative path (decided on the path alone).
   */
  matches(path: string): boolean;
  /**
   * Parse one file. Throw VouchError("INPUT_MALFORMED", reason, { line }) when the file cannot be read at
   * all (truncated JSON, invalid YAML/TOML, unknown lockfile version): the catalog turns that into a warning
   * naming the file and line, and goes on with the other files.
   */
  parse(file: SourceFile, ctx: CatalogContext): ParseResult;
  /** "bytes": the catalog hands `file.bytes` (binaries, archives, databases); default "text". */
  reads?: "text" | "bytes";
  /**
   * Files this one makes redundant when both are present in the same directory (package-lock.json makes
   * node_modules/.package-lock.json redundant; poetry.lock makes pyproject.toml's ranges redundant).
   * Names are relative to the directory of the matched file.
   */
  supersedes?: readonly string[];
}

export const EMPTY_RESULT: ParseResult = Object.freeze({ directDependencies: [], packages: [] }) as ParseResult;

/**
 * Where catalogers' files come from: a directory, a rootfs, or a container image's squashed layers (issue 6).
 * Implemented in catalog/sources; the catalog itself only sees this interface.
 */
export interface FileSource {
  /** How to name the source to a user (the directory path, the image reference). */
  readonly description: string;
  /** Every regular file the source offers, root-relative POSIX paths, sorted. */
  files(): readonly string[];
  readFile(path: string): string | undefined;
  /** Raw bytes, for catalogers that read binaries; sources that cannot give them leave it out. */
  readBytes?(path: string): Uint8Array | undefined;
  listDir(path: string): string[];
  /** The image layer a file comes from (images only): packages found in it record the layer. */
  originOf?(path: string): LayerOrigin | undefined;
}

/** The layer of an image that last wrote a file (syft's layer attribution). */
export interface LayerOrigin {
  /** The layer blob's digest (as in the manifest: compressed). */
  digest: string;
  /** The uncompressed layer's digest (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** The config history entry's created_by that made the layer, when recorded. */
  createdBy?: string;
  /** 0-based position of the layer in the image. */
  index: number;
}

/** A problem met while cataloging, reported on stderr and in `-o json`. */
export interface CatalogWarning {
  file: string;
  line?: number;
  message: string;
  /** Set when a whole file could not be read: `--strict` turns these into exit 2. */
  fileSkipped?: boolean;
}
