import { posix } from "node:path";
import { isVouchError, VouchError } from "../../core/errors.js";
import type { CatalogContext } from "../types.js";
import { Interpolator } from "./interpolate.js";
import {
  childElement,
  childElements,
  childText,
  childTexts,
  hasChild,
  LineIndex,
  parseXml,
  type XmlElement,
} from "../common/xml.js";

/**
 * One pom.xml as written (nothing inherited, nothing interpolated), and the resolution Maven does on top of
 * it that needs no network: parent poms found in the tree through <relativePath>, <properties> and
 * project.* interpolation, <dependencyManagement> (inherited, and BOMs imported from modules of the same
 * build), and the versions of sibling modules.
 */

export interface PomDependency {
  groupId?: string;
  artifactId?: string;
  version?: string;
  type?: string;
  classifier?: string;
  scope?: string;
  optional?: string;
  line?: number;
}

export interface PomParent {
  groupId?: string;
  artifactId?: string;
  version?: string;
  /** undefined: Maven's default "../pom.xml"; "": explicitly none (<relativePath/>), look in repositories only. */
  relativePath?: string;
}

export interface PomFile {
  path: string;
  groupId?: string;
  artifactId?: string;
  version?: string;
  parent?: PomParent;
  properties: Map<string, string>;
  dependencies: PomDependency[];
  managed: PomDependency[];
  modules: string[];
  licenses: string[];
  description?: string;
  url?: string;
  scmUrl?: string;
}

/** Read a pom.xml. Throws INPUT_MALFORMED when it is not XML or has no <project> root. */
export function readPom(path: string, text: string): PomFile {
  const doc = parseXml(text, "pom.xml");
  const project = childElement(doc, "project");
  if (!project) throw new VouchError("INPUT_MALFORMED", "not a Maven POM: no <project> root element");
  const lines = new LineIndex(text);
  const parentNode = childElement(project, "parent");
  return {
    path,
    groupId: childText(project, "groupId"),
    artifactId: childText(project, "artifactId"),
    version: childText(project, "version"),
    parent: parentNode ? readParent(parentNode) : undefined,
    properties: readProperties(childElement(project, "properties")),
    dependencies: readDependencies(childElement(project, "dependencies"), lines),
    managed: readDependencies(childElement(childElement(project, "dependencyManagement"), "dependencies"), lines),
    modules: childTexts(childElement(project, "modules"), "module"),
    licenses: childElements(childElement(project, "licenses"), "license")
      .map((l) => childText(l, "name"))
      .filter((n): n is string => n !== undefined),
    description: childText(project, "description"),
    url: childText(project, "url"),
    scmUrl: childText(childElement(project, "scm"), "url"),
  };
}

function readParent(node: XmlElement): PomParent {
  return {
    groupId: childText(node, "groupId"),
    artifactId: childText(node, "artifactId"),
    version: childText(node, "version"),
    relativePath: hasChild(node, "relativePath") ? (childText(node, "relativePath") ?? "") : undefined,
  };
}

function readProperties(node: XmlElement | undefined): Map<string, string> {
  const props = new Map<string, string>();
  if (!node) return props;
  for (const key of Object.keys(node)) {
    if (key.startsWith("@") || key === "#text") continue;
    const value = childText(node, key);
    props.set(key, value ?? "");
  }
  return props;
}

function readDependencies(node: XmlElement | undefined, lines: LineIndex): PomDependency[] {
  return childElements(node, "dependency").map((d) => ({
    groupId: childText(d, "groupId"),
    artifactId: childText(d, "artifactId"),
    version: childText(d, "version"),
    type: childText(d, "type"),
    classifier: childText(d, "classifier"),
    scope: childText(d, "scope"),
    optional: childText(d, "optional"),
    line: lines.lineOfElement(d),
  }));
}

/** groupId:artifactId:type:classifier, the key Maven merges dependencies and managed entries by. */
export function managementKey(d: { groupId: string; artifactId: string; type?: string; classifier?: string }): string {
  return `${d.groupId}:${d.artifactId}:${d.type ?? "jar"}:${d.classifier ?? ""}`;
}

/** A dependency after interpolation and management: every coordinate known except perhaps the version. */
export interface ResolvedDependency {
  groupId: string;
  artifactId: string;
  /** undefined when neither the file, its parents, an imported BOM nor a sibling module pins one. */
  version?: string;
  /** The version text as written, when it could not be resolved (for the warning). */
  unresolvedVersion?: string;
  type: string;
  classifier?: string;
  scope: string;
  optional: boolean;
  line?: number;
}

export interface EffectivePom {
  file: PomFile;
  /** [the file, its parent, the parent's parent, ...] as far as they are found in the tree. */
  lineage: PomFile[];
  /** The first ancestor that is not in the tree (a parent from a repository), when there is one. */
  parentOutsideTree?: PomParent;
  groupId?: string;
  artifactId?: string;
  version?: string;
  licenses: string[];
  description?: string;
  url?: string;
  scmUrl?: string;
  dependencies: ResolvedDependency[];
  /** Problems to report against the file being cataloged. */
  problems: { message: string; line?: number }[];
}

const MAX_LINEAGE = 16;
const MAX_REACTOR_FILES = 2000;

/**
 * Resolves poms against the other poms of the same tree. One instance per cataloged file: it caches the
 * files it reads, so a parent shared by a BOM and the file is read once.
 */
export class PomResolver {
  private readonly files = new Map<string, PomFile | null>();
  private readonly interpolators = new Map<string, Interpolator>();
  private reactor?: Map<string, { file: PomFile; version?: string }>;

  constructor(private readonly ctx: CatalogContext) {}

  /** The effective model of a pom that has already been read. */
  effective(file: PomFile): EffectivePom {
    this.files.set(file.path, file);
    const lineage = this.lineage(file);
    const interpolator = this.interpolator(file, lineage);
    const problems: EffectivePom["problems"] = [];
    const managed = this.managedVersions(lineage, interpolator, new Set([file.path]), problems);
    const dependencies = this.resolveDependencies(lineage, interpolator, managed, file, problems);
    const inherited = (key: "description" | "url" | "scmUrl") => {
      const raw = lineage.find((f) => f[key] !== undefined)?.[key];
      return raw === undefined ? undefined : interpolator.resolve(raw);
    };
    const top = lineage[lineage.length - 1]!;
    const parentOutsideTree = top.parent && !lineage.some((f) => isDeclaredParent(f, top.parent!)) ? top.parent : undefined;
    return {
      file,
      lineage,
      parentOutsideTree,
      groupId: this.coordinate(file, "groupId", interpolator),
      artifactId: file.artifactId === undefined ? undefined : interpolator.resolve(file.artifactId),
      version: this.coordinate(file, "version", interpolator),
      licenses: lineage.find((f) => f.licenses.length > 0)?.licenses ?? [],
      // A module's description and url are its own; Maven inherits them, but a parent's says nothing of the module.
      description: file.description === undefined ? undefined : interpolator.resolve(file.description),
      url: inherited("url"),
      scmUrl: inherited("scmUrl"),
      dependencies,
      problems,
    };
  }

  /** The file, then each parent found in the tree through <relativePath>, as long as its coordinates match. */
  private lineage(file: PomFile): PomFile[] {
    const chain = [file];
    const seen = new Set([file.path]);
    let current = file;
    while (current.parent && chain.length < MAX_LINEAGE) {
      const parentPath = parentPomPath(current);
      if (parentPath === undefined || seen.has(parentPath)) break;
      const parent = this.load(parentPath);
      if (!parent || !isDeclaredParent(parent, current.parent)) break;
      seen.add(parentPath);
      chain.push(parent);
      current = parent;
    }
    return chain;
  }

  private load(path: string): PomFile | undefined {
    const cached = this.files.get(path);
    if (cached !== undefined) return cached ?? undefined;
    const text = this.ctx.readFile(path);
    let file: PomFile | null = null;
    if (text !== undefined) {
      try {
        file = readPom(path, text);
      } catch (err) {
        if (!isVouchError(err)) throw err;
        // The file itself is reported when it is cataloged; here it is simply not usable as a parent or BOM.
      }
    }
    this.files.set(path, file);
    return file ?? undefined;
  }

  /**
   * Properties of the whole lineage (a child's override its parent's) and the project.* built-ins of the
   * file, which Maven evaluates after inheritance: ${project.version} in a parent's dependencyManagement
   * means the child's version.
   */
  private interpolator(file: PomFile, lineage: PomFile[]): Interpolator {
    const cached = this.interpolators.get(file.path);
    if (cached) return cached;
    const values = new Map<string, string>();
    for (const f of [...lineage].reverse()) for (const [k, v] of f.properties) values.set(k, v);
    const builtins: Record<string, string | undefined> = {
      groupId: file.groupId ?? file.parent?.groupId,
      artifactId: file.artifactId,
      version: file.version ?? file.parent?.version,
      "parent.groupId": file.parent?.groupId,
      "parent.artifactId": file.parent?.artifactId,
      "parent.version": file.parent?.version,
    };
    for (const [key, value] of Object.entries(builtins)) {
      if (value === undefined) continue;
      // project.x is the current form; pom.x and the bare x are Maven 2 spellings still found in old poms.
      values.set(`project.${key}`, value);
      values.set(`pom.${key}`, value);
      if (!key.startsWith("parent.")) values.set(key, value);
    }
    const interpolator = new Interpolator(values);
    this.interpolators.set(file.path, interpolator);
    return interpolator;
  }

  private coordinate(file: PomFile, key: "groupId" | "version", interpolator: Interpolator): string | undefined {
    const raw = file[key] ?? file.parent?.[key];
    return raw === undefined ? undefined : interpolator.resolve(raw);
  }

  /**
   * The effective <dependencyManagement>: the file's own entries first, then each parent's, then the entries
   * of BOMs imported with <scope>import</scope> (first declaration wins, as in Maven). A BOM is found only
   * among the modules of the same build; one from a repository stays unknown.
   */
  private managedVersions(
    lineage: PomFile[],
    interpolator: Interpolator,
    importing: Set<string>,
    problems: EffectivePom["problems"],
  ): Map<string, { version?: string; scope?: string }> {
    const managed = new Map<string, { version?: string; scope?: string }>();
    const imports: { groupId: string; artifactId: string; version?: string }[] = [];
    for (const file of lineage) {
      for (const entry of file.managed) {
        const groupId = resolveOptional(entry.groupId, interpolator);
        const artifactId = resolveOptional(entry.artifactId, interpolator);
        if (!groupId || !artifactId) continue;
        const type = resolveOptional(entry.type, interpolator);
        const scope = resolveOptional(entry.scope, interpolator);
        const version = resolveOptional(entry.version, interpolator);
        if (scope === "import" && type === "pom") {
          imports.push({ groupId, artifactId, version });
          continue;
        }
        const key = managementKey({ groupId, artifactId, type, classifier: resolveOptional(entry.classifier, interpolator) });
        if (!managed.has(key)) managed.set(key, { version, scope });
      }
    }
    for (const bom of imports) {
      for (const [key, entry] of this.importedBom(bom, importing, problems)) if (!managed.has(key)) managed.set(key, entry);
    }
    return managed;
  }

  private importedBom(
    bom: { groupId: string; artifactId: string; version?: string },
    importing: Set<string>,
    problems: EffectivePom["problems"],
  ): Map<string, { version?: string; scope?: string }> {
    const found = this.reactorModules().get(`${bom.groupId}:${bom.artifactId}`);
    if (!found || (bom.version !== undefined && found.version !== undefined && found.version !== bom.version)) {
      return new Map();
    }
    if (importing.has(found.file.path)) {
      problems.push({ message: `BOM ${bom.groupId}:${bom.artifactId} imports itself (through ${[...importing].join(", ")}); import ignored` });
      return new Map();
    }
    const lineage = this.lineage(found.file);
    const interpolator = this.interpolator(found.file, lineage);
    return this.managedVersions(lineage, interpolator, new Set([...importing, found.file.path]), problems);
  }

  /**
   * <dependencies> of the lineage (a parent's are inherited; the file's own win for the same key), each
   * interpolated, then completed from dependencyManagement and, for a module of the same build, from that
   * module's own version (what Maven 4 does for a dependency on a sibling without a version).
   */
  private resolveDependencies(
    lineage: PomFile[],
    interpolator: Interpolator,
    managed: Map<string, { version?: string; scope?: string }>,
    file: PomFile,
    problems: EffectivePom["problems"],
  ): ResolvedDependency[] {
    const byKey = new Map<string, ResolvedDependency>();
    for (const [depth, pom] of lineage.entries()) {
      for (const d of pom.dependencies) {
        // Lines only make sense for the file being cataloged; inherited entries point at no line of it.
        const line = depth === 0 ? d.line : undefined;
        const groupId = resolveOptional(d.groupId, interpolator);
        const artifactId = resolveOptional(d.artifactId, interpolator);
        if (!groupId || !artifactId) {
          if (depth === 0) problems.push({ message: `dependency ${d.groupId ?? "?"}:${d.artifactId ?? "?"} has no resolvable groupId/artifactId; skipped`, line });
          continue;
        }
        const type = resolveOptional(d.type, interpolator) ?? "jar";
        const classifier = resolveOptional(d.classifier, interpolator);
        const key = managementKey({ groupId, artifactId, type, classifier });
        if (byKey.has(key)) continue;
        const management = managed.get(key);
        const version =
          d.version !== undefined
            ? interpolator.resolve(d.version)
            : (management?.version ?? this.siblingVersion(groupId, artifactId, file));
        byKey.set(key, {
          groupId,
          artifactId,
          version,
          unresolvedVersion: version === undefined ? d.version : undefined,
          type,
          classifier,
          scope: resolveOptional(d.scope, interpolator) ?? management?.scope ?? "compile",
          optional: resolveOptional(d.optional, interpolator) === "true",
          line,
        });
      }
    }
    return [...byKey.values()];
  }

  private siblingVersion(groupId: string, artifactId: string, file: PomFile): string | undefined {
    const sibling = this.reactorModules().get(`${groupId}:${artifactId}`);
    return sibling && sibling.file.path !== file.path ? sibling.version : undefined;
  }

  /**
   * The modules of the build the file belongs to: every <module> of every pom in the lineage, recursively,
   * keyed by groupId:artifactId. Built on first use only: most poms never need it.
   */
  private reactorModules(): Map<string, { file: PomFile; version?: string }> {
    if (this.reactor) return this.reactor;
    const reactor = new Map<string, { file: PomFile; version?: string }>();
    this.reactor = reactor;
    const roots = [...this.files.values()].filter((f): f is PomFile => f !== null);
    const queue = [...roots];
    const seen = new Set(roots.map((f) => f.path));
    while (queue.length > 0 && seen.size < MAX_REACTOR_FILES) {
      const pom = queue.shift()!;
      for (const module of pom.modules) {
        const path = modulePomPath(pom.path, module);
        if (path === undefined || seen.has(path)) continue;
        seen.add(path);
        const file = this.load(path);
        if (file) queue.push(file);
      }
    }
    for (const path of [...seen].sort()) {
      const file = this.files.get(path);
      if (!file) continue;
      const interpolator = this.interpolator(file, this.lineage(file));
      const groupId = this.coordinate(file, "groupId", interpolator);
      const artifactId = file.artifactId === undefined ? undefined : interpolator.resolve(file.artifactId);
      if (!groupId || !artifactId || reactor.has(`${groupId}:${artifactId}`)) continue;
      reactor.set(`${groupId}:${artifactId}`, { file, version: this.coordinate(file, "version", interpolator) });
    }
    return reactor;
  }
}

function resolveOptional(text: string | undefined, interpolator: Interpolator): string | undefined {
  return text === undefined ? undefined : interpolator.resolve(text);
}

/** Where the parent pom sits: <relativePath> (a file or a directory), default ../pom.xml; undefined for none. */
function parentPomPath(file: PomFile): string | undefined {
  const relative = file.parent?.relativePath ?? "../pom.xml";
  if (relative === "") return undefined;
  return pomPathIn(posix.dirname(file.path), relative);
}

function modulePomPath(aggregatorPath: string, module: string): string | undefined {
  return pomPathIn(posix.dirname(aggregatorPath), module);
}

/** dir + relative (a pom file or a directory holding pom.xml), normalised; undefined when it leaves the root. */
function pomPathIn(dir: string, relative: string): string | undefined {
  const cleaned = relative.replace(/\\/g, "/");
  const target = posix.normalize(posix.join(dir, cleaned));
  const path = target.endsWith(".xml") ? target : posix.join(target, "pom.xml");
  if (path.startsWith("../") || path === ".." || posix.isAbsolute(path)) return undefined;
  return path;
}

/**
 * Maven uses the pom at relativePath only when it is the declared parent: same groupId and artifactId (and
 * version, when both are literal). Otherwise the parent comes from a repository, which we do not reach.
 */
function isDeclaredParent(candidate: PomFile, declared: PomParent): boolean {
  const groupId = candidate.groupId ?? candidate.parent?.groupId;
  const version = candidate.version ?? candidate.parent?.version;
  if (candidate.artifactId !== declared.artifactId || groupId !== declared.groupId) return false;
  const literal = (v: string | undefined) => v !== undefined && !v.includes("${");
  return !(literal(version) && literal(declared.version) && version !== declared.version);
}
