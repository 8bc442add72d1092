import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { prefixedHexHash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Hash, Property } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";

/**
 * Gemfile.lock (and gems.locked), read the way Bundler's LockfileParser reads it:
 *
 *   GEM / GIT / PATH / PLUGIN SOURCE   a source: "  remote: ...", "  revision: ..." options, then "  specs:"
 *                                      with 4-space "name (version[-platform])" specs and their 6-space
 *                                      "name (requirement)" dependencies
 *   DEPENDENCIES                       the Gemfile's own dependencies ("name (req)", "name!" when pinned
 *                                      to a GIT/PATH source)
 *   CHECKSUMS                          Bundler 2.5+: "name (version[-platform]) sha256=hex[,...]"
 *   PLATFORMS, RUBY VERSION, BUNDLED WITH
 *
 * The lockfile has no groups, so every gem is "required" (the Gemfile's groups are Ruby code, not read).
 * The spec under "PATH remote: ." is the gem this repository builds: it is the project, not a dependency.
 */
export function parseGemfileLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const lock = readLockfile(file.text, ctx);
  const checksums = new Map(lock.checksums.map((c) => [c.fullName, c.hashes]));

  const projectSpec = lock.specs.find((s) => s.source.type === "PATH" && isRepositoryRoot(s.source.remote));
  const kept: { spec: Spec; record: PackageRecord }[] = [];
  const idsByName = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const spec of lock.specs) {
    if (spec === projectSpec) continue;
    const record = specRecord(spec, checksums.get(fullName(spec)) ?? []);
    // Bundler keys specs by full name; a repeated one (old lockfiles repeat platform gems) is the same gem.
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    kept.push({ spec, record });
    const ids = idsByName.get(spec.name);
    if (ids) ids.push(record.id);
    else idsByName.set(spec.name, [record.id]);
  }
  // Edges by name: a dependency line names a gem, and any platform variant of it may be the one installed.
  for (const { spec, record } of kept) record.dependsOn = unique(spec.dependencies.flatMap((n) => idsByName.get(n) ?? []));
  const packages = kept.map((k) => k.record);

  const directNames = projectSpec ? unique([...lock.dependencies, ...projectSpec.dependencies]) : lock.dependencies;
  const project = projectSpec ? projectRecord(projectSpec) : undefined;
  return {
    ...(project ? { project } : {}),
    directDependencies: unique(directNames.filter((n) => n !== projectSpec?.name).flatMap((n) => idsByName.get(n) ?? [])),
    packages,
  };
}

interface Source {
  type: "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE";
  remote?: string;
  revision?: string;
  /** branch, tag or ref of a GIT source. */
  gitRef?: string;
}

interface Spec {
  name: string;
  version: string;
  platform?: string;
  source: Source;
  dependencies: string[];
  line: number;
}

interface Lockfile {
  specs: Spec[];
  dependencies: string[];
  checksums: { fullName: string; hashes: Hash[] }[];
}

const SOURCE_TYPES = new Set(["GEM", "GIT", "PATH", "PLUGIN SOURCE"]);
/** A section header: a line starting with a word character, as Bundler tells sections apart. */
const SECTION = /^\w[\w ]*$/;
const OPTION = /^ {2}([a-z]+): (.*)$/i;
/**
 * Bundler's NAME_VERSION: indentation (2, 4 or 6 spaces), name, optional " (version[-platform])" where the
 * version is everything before the first "-", optional "!" (pinned), optional " checksum".
 */
const NAME_VERSION = /^( {2}| {4}| {6})(?! )(.*?)(?: \(([^-]*)(?:-(.*))?\))?(!)?(?: (.*))?$/;

function readLockfile(text: string, ctx: CatalogContext): Lockfile {
  if (/^(?:<{7}|={7}|>{7}|\|{7})/m.test(text)) {
    const line = text.split(/\r?\n/).findIndex((l) => /^(?:<{7}|={7}|>{7}|\|{7})/.test(l)) + 1;
    throw new VouchError("INPUT_MALFORMED", "Gemfile.lock contains merge conflict markers", { line });
  }
  const lock: Lockfile = { specs: [], dependencies: [], checksums: [] };
  let section: string | undefined;
  let source: Source | undefined;
  let inSpecs = false;
  let current: Spec | undefined;
  let sawSection = false;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const lineNo = index + 1;
    if (line.trim() === "") continue;
    if (SECTION.test(line)) {
      sawSection = true;
      section = line;
      source = SOURCE_TYPES.has(line) ? { type: line as Source["type"] } : undefined;
      inSpecs = false;
      current = undefined;
      continue;
    }
    if (section === undefined) {
      throw new VouchError("INPUT_MALFORMED", "not a Gemfile.lock: content before the first section", { line: lineNo });
    }
    if (source) {
      if (line === "  specs:") {
        inSpecs = true;
        continue;
      }
      const option = inSpecs ? null : OPTION.exec(line);
      if (option) {
        setOption(source, option[1]!, option[2]!);
        continue;
      }
      current = readSpecLine(line, lineNo, source, current, lock, ctx);
    } else if (section === "DEPENDENCIES") {
      const m = NAME_VERSION.exec(line);
      if (m && m[1]!.length === 2 && m[2]) lock.dependencies.push(m[2]);
      else ctx.warn(`DEPENDENCIES: unreadable line ${JSON.stringify(line.trim().slice(0, 200))}; skipped`, lineNo);
    } else if (section === "CHECKSUMS") {
      readChecksumLine(line, lineNo, lock, ctx);
    }
    // PLATFORMS, RUBY VERSION, BUNDLED WITH and sections newer than this parser carry no packages.
  }
  if (!sawSection) throw new VouchError("INPUT_MALFORMED", "not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES section");
  return lock;
}

function setOption(source: Source, key: string, value: string): void {
  // A GEM source may repeat "remote:"; the first is kept (they are mirrors of each other).
  if (key === "remote") source.remote ??= value;
  else if (key === "revision") source.revision = value;
  else if (key === "branch" || key === "tag" || key === "ref") source.gitRef ??= value;
}

/** A 4-space spec line starts a spec; a 6-space line is a dependency of the spec above it. */
function readSpecLine(line: string, lineNo: number, source: Source, current: Spec | undefined, lock: Lockfile, ctx: CatalogContext): Spec | undefined {
  const m = NAME_VERSION.exec(line);
  const indent = m?.[1]?.length;
  if (m && indent === 4 && m[2] && m[3]) {
    const spec: Spec = { name: m[2], version: m[3].trim(), platform: m[4] || undefined, source, dependencies: [], line: lineNo };
    lock.specs.push(spec);
    return spec;
  }
  if (m && indent === 6 && m[2] && current) {
    current.dependencies.push(m[2]);
    return current;
  }
  ctx.warn(`${source.type} specs: unreadable line ${JSON.stringify(line.trim().slice(0, 200))}; skipped`, lineNo);
  return indent === 6 ? current : undefined;
}

function readChecksumLine(line: string, lineNo: number, lock: Lockfile, ctx: CatalogContext): void {
  const m = NAME_VERSION.exec(line);
  if (!m || m[1]!.length !== 2 || !m[2] || !m[3]) {
    ctx.warn(`CHECKSUMS: unreadable line ${JSON.stringify(line.trim().slice(0, 200))}; skipped`, lineNo);
    return;
  }
  const hashes: Hash[] = [];
  // Bundler writes "sha256=hex", several separated by commas; a gem from a PATH/GIT source has none.
  for (const token of (m[6] ?? "").split(",")) {
    if (token.trim() === "") continue;
    const hash = prefixedHexHash(token);
    if (hash) hashes.push(hash);
    else ctx.warn(`CHECKSUMS: ${m[2]}: unreadable checksum ${JSON.stringify(token.trim().slice(0, 100))}; skipped`, lineNo);
  }
  lock.checksums.push({ fullName: fullName({ name: m[2], version: m[3].trim(), platform: m[4] || undefined }), hashes });
}

/** name-version[-platform], the key Bundler itself uses for a spec and its checksum. */
function fullName(spec: { name: string; version: string; platform?: string }): string {
  return spec.platform ? `${spec.name}-${spec.version}-${spec.platform}` : `${spec.name}-${spec.version}`;
}

/** purl-spec gem: the platform of a binary gem is the "platform" qualifier ("ruby", the default, is not written). */
function gemPurl(spec: Spec): string {
  const qualifiers = spec.platform && spec.platform !== "ruby" ? { platform: spec.platform } : undefined;
  return buildPurl("gem", { name: spec.name, version: spec.version, qualifiers });
}

function specRecord(spec: Spec, hashes: Hash[]): PackageRecord {
  const purl = gemPurl(spec);
  const externalRefs: ExternalRef[] = [];
  const properties: Property[] = [];
  const { source } = spec;
  if (source.type === "GIT" && source.remote) externalRefs.push({ type: "vcs", url: source.remote });
  if (source.type === "GIT" && source.revision) properties.push({ name: "vouch:gem:git-revision", value: source.revision });
  if (source.type === "GIT" && source.gitRef) properties.push({ name: "vouch:gem:git-ref", value: source.gitRef });
  if (source.type === "PATH" && source.remote) properties.push({ name: "vouch:gem:path", value: source.remote });
  if (spec.platform) properties.push({ name: "vouch:gem:platform", value: spec.platform });
  return {
    id: purl,
    ecosystem: "gem",
    name: spec.name,
    version: spec.version,
    purl,
    hashes,
    scope: "required",
    dependsOn: [],
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

function projectRecord(spec: Spec): ProjectRecord {
  return { name: spec.name, version: spec.version, ecosystem: "gem", purl: gemPurl(spec) };
}

function isRepositoryRoot(remote: string | undefined): boolean {
  return remote !== undefined && (remote === "." || remote === "./" || posix.normalize(remote) === ".");
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

export const gemfileLockCataloger: Cataloger = {
  name: "gem-gemfile-lock",
  ecosystem: "gem",
  matches: (path) => {
    const base = posix.basename(path);
    return base === "Gemfile.lock" || base === "gems.locked";
  },
  parse: parseGemfileLock,
};
