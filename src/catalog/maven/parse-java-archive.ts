import { createHash } from "node:crypto";
import { posix } from "node:path";
import { isVouchError, VouchError } from "../../core/errors.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Property } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { ZipArchive, type ZipEntry } from "./zip.js";

/**
 * Java archives (.jar, .war, .ear and the other zip-based packagings) in an image or rootfs, as syft's
 * java-archive-cataloger (syft/pkg/cataloger/java/archive_parser.go) and trivy's jar analyzer read them:
 *
 * - The archive itself is a component. Its identity, in order of trust: the `META-INF/maven/<g>/<a>/pom.properties`
 *   whose artifactId is the archive's (by file name, Implementation-Title or Bundle-SymbolicName: a Spring Boot jar
 *   renamed to app.jar still names itself in its manifest); else the manifest (Implementation-*, Bundle-*,
 *   Specification-Version) and the file name (`name-1.2.3.jar`).
 * - The other pom.properties are libraries shaded into the archive: components it depends on.
 * - Archives inside it (WEB-INF/lib, BOOT-INF/lib, lib/, META-INF/lib, anywhere) are read the same way, nested up
 *   to MAX_DEPTH levels, each a dependency of the archive that holds it.
 * - Each archive's SHA-1 is its hash: the digest Maven Central indexes (search by `1:<sha1>`), so a jar without
 *   metadata can still be identified.
 * - Maven purls need a group. Without pom.properties it is guessed as syft does, from Implementation-Vendor-Id or the
 *   Bundle-SymbolicName/Automatic-Module-Name prefix, else the artifact name; vouch:maven:group-source says which.
 *
 * Limits: metadata files are read up to 1 MiB, nested archives up to 256 MiB each and 1 GiB inflated per top-level
 * archive. Over a limit, or unreadable, a nested entry is skipped with a warning; only an unreadable top-level zip
 * makes the file malformed.
 */

export const ARCHIVE_EXTENSIONS = /\.(jar|war|ear|par|sar|nar|jpi|hpi|kar|lpkg|rar)$/i;
export const MAX_DEPTH = 3;
const MAX_METADATA_BYTES = 1024 * 1024;
const MAX_NESTED_BYTES = 256 * 1024 * 1024;
const MAX_INFLATED_TOTAL = 1024 * 1024 * 1024;

export const LOCATION_PROPERTY = "vouch:maven:archive-location";
export const SOURCE_PROPERTY = "vouch:maven:metadata-source";
export const GROUP_SOURCE_PROPERTY = "vouch:maven:group-source";
export const MAIN_CLASS_PROPERTY = "vouch:maven:main-class";

export const javaArchiveCataloger: Cataloger = {
  name: "maven-java-archive",
  ecosystem: "maven",
  reads: "bytes",
  matches: (path) => ARCHIVE_EXTENSIONS.test(path),
  parse: parseJavaArchive,
};

interface PomProperties {
  groupId: string;
  artifactId: string;
  version: string;
  /** The entry it came from. */
  path: string;
}

interface Walk {
  ctx: CatalogContext;
  packages: Map<string, PackageRecord>;
  inflated: number;
}

export function parseJavaArchive(file: SourceFile, ctx: CatalogContext): ParseResult {
  if (!file.bytes) return { directDependencies: [], packages: [] };
  const walk: Walk = { ctx, packages: new Map(), inflated: 0 };
  let zip: ZipArchive;
  try {
    zip = new ZipArchive(file.bytes);
  } catch (err) {
    if (isVouchError(err)) throw new VouchError(err.code, `not a readable Java archive: ${err.message}`, { cause: err });
    throw err;
  }
  const main = catalogArchive(zip, file.bytes, file.path, posix.basename(file.path), 0, walk);
  return { directDependencies: [main.id], packages: [...walk.packages.values()] };
}

/** Catalog one archive (and what it holds); returns its own package. */
function catalogArchive(zip: ZipArchive, bytes: Uint8Array, location: string, fileName: string, depth: number, walk: Walk): PackageRecord {
  const manifest = readManifest(zip, location, walk);
  const poms = readPomProperties(zip, location, walk);
  const identity = archiveIdentity(fileName, manifest, poms);
  const main = addPackage(walk, archiveRecord(identity, manifest, bytes, depth > 0 ? location : undefined));

  for (const pom of poms) {
    if (pom === identity.pom) continue;
    const shaded = addPackage(walk, pomRecord(pom, `${location}!/${pom.path}`));
    if (shaded.id !== main.id) addEdge(main, shaded.id);
  }

  for (const entry of zip.entries) {
    if (!ARCHIVE_EXTENSIONS.test(entry.name) || entry.name.endsWith("/")) continue;
    const inner = `${location}!/${entry.name}`;
    if (depth + 1 > MAX_DEPTH) {
      walk.ctx.warn(`${inner}: nested more than ${MAX_DEPTH} archives deep; not read`);
      continue;
    }
    const nested = readNested(zip, entry, inner, walk);
    if (!nested) continue;
    const child = catalogArchive(nested.zip, nested.bytes, inner, posix.basename(entry.name), depth + 1, walk);
    if (child.id !== main.id) addEdge(main, child.id);
  }
  return main;
}

function readNested(zip: ZipArchive, entry: ZipEntry, location: string, walk: Walk): { zip: ZipArchive; bytes: Uint8Array } | undefined {
  try {
    if (entry.method !== 0 && entry.uncompressedSize <= MAX_NESTED_BYTES && walk.inflated + entry.uncompressedSize > MAX_INFLATED_TOTAL) {
      throw new VouchError("INPUT_TOO_LARGE", `inflating it would pass the ${MAX_INFLATED_TOTAL}-byte budget of one archive`);
    }
    const bytes = zip.read(entry, MAX_NESTED_BYTES);
    if (entry.method !== 0) walk.inflated += bytes.length;
    return { zip: new ZipArchive(bytes), bytes };
  } catch (err) {
    if (!isVouchError(err)) throw err;
    walk.ctx.warn(`${location}: ${err.message}; skipped`);
    return undefined;
  }
}

/** An entry's text, or undefined (with a warning) when it cannot be read within the metadata limit. */
function readText(zip: ZipArchive, entry: ZipEntry, location: string, walk: Walk): string | undefined {
  try {
    const b = zip.read(entry, MAX_METADATA_BYTES);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
  } catch (err) {
    if (!isVouchError(err)) throw err;
    walk.ctx.warn(`${location}!/${entry.name}: ${err.message}; skipped`);
    return undefined;
  }
}

// ---- MANIFEST.MF ----

/** The manifest's main section, keys lower-cased (JAR File Specification: names are case-insensitive). */
function readManifest(zip: ZipArchive, location: string, walk: Walk): Map<string, string> {
  const entry = zip.entries.find((e) => e.name.toUpperCase() === "META-INF/MANIFEST.MF");
  const text = entry ? readText(zip, entry, location, walk) : undefined;
  return text === undefined ? new Map() : parseManifest(text);
}

export function parseManifest(text: string): Map<string, string> {
  const main = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (main.size > 0) break; // the end of the main section; per-entry sections follow
      continue;
    }
    if (line.startsWith(" ")) {
      // A continuation: the value goes on without the leading space (lines are wrapped at 72 bytes).
      if (last !== undefined) main.set(last, main.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    if (!main.has(last)) main.set(last, line.slice(colon + 1).trim());
    else last = undefined;
  }
  for (const [k, v] of main) main.set(k, v.trim());
  return main;
}

// ---- pom.properties ----

const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;

function readPomProperties(zip: ZipArchive, location: string, walk: Walk): PomProperties[] {
  const out: PomProperties[] = [];
  for (const entry of zip.entries) {
    const m = POM_PROPERTIES.exec(entry.name);
    if (!m) continue;
    const text = readText(zip, entry, location, walk);
    if (text === undefined) continue;
    const props = parseJavaProperties(text);
    const groupId = props.get("groupId") ?? "";
    const artifactId = props.get("artifactId") ?? "";
    const version = props.get("version") ?? "";
    if (!isCoordinate(groupId) || !isCoordinate(artifactId) || (version !== "" && !isVersion(version))) {
      walk.ctx.warn(`${location}!/${entry.name}: no usable groupId/artifactId/version; ignored`);
      continue;
    }
    out.push({ groupId, artifactId, version, path: entry.name });
  }
  return out;
}

/** java.util.Properties text format: `key=value`, `key: value`, `key value`, comments, `\` continuations and escapes. */
export function parseJavaProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    const m = /^((?:\\.|[^\\=: \t\f])*)[ \t\f]*[=: \t\f]?[ \t\f]*(.*)$/.exec(line);
    if (!m) continue;
    const key = unescapeProperty(m[1]!);
    if (!props.has(key)) props.set(key, unescapeProperty(m[2]!).trim());
  }
  return props;
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[e] ?? e;
  });
}

/** Maven's own rule for groupId/artifactId ([A-Za-z0-9_\-.]+), which keeps hostile text out of purls. */
function isCoordinate(s: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(s);
}

function isVersion(s: string): boolean {
  return s.length <= 256 && !/[\s/\\]/.test(s);
}

// ---- identity ----

interface Identity {
  group: string;
  name: string;
  version: string;
  pom?: PomProperties;
  source: "pom.properties" | "manifest" | "file name";
  groupSource: "pom.properties" | "manifest" | "artifact name";
}

/** "commons-lang3-3.12.0.jar" -> { name: "commons-lang3", version: "3.12.0" }: the version starts at the first "-<digit>". */
export function nameVersionFromFileName(fileName: string): { name: string; version: string } {
  const base = fileName.replace(ARCHIVE_EXTENSIONS, "");
  const m = /^(.+?)-(\d[^-]*(?:-.*)?)$/.exec(base);
  return m ? { name: m[1]!, version: m[2]! } : { name: base, version: "" };
}

function symbolicName(manifest: Map<string, string>): string | undefined {
  const raw = manifest.get("bundle-symbolicname") ?? manifest.get("automatic-module-name");
  const v = raw?.split(";")[0]!.trim();
  return v && isCoordinate(v) ? v : undefined;
}

function archiveIdentity(fileName: string, manifest: Map<string, string>, poms: PomProperties[]): Identity {
  const fromFile = nameVersionFromFileName(fileName);
  const base = fileName.replace(ARCHIVE_EXTENSIONS, "");
  const title = manifest.get("implementation-title");
  const symbolic = symbolicName(manifest);
  const candidates = new Set([base, fromFile.name, title, symbolic, symbolic?.split(".").pop()].filter((n): n is string => !!n));
  // Exact first (the file is <artifactId>-<version>, or the manifest names the artifact), then syft's prefix rule
  // (artifactIDMatchesFilename) for renamed files such as foo-all.jar.
  const pom =
    poms.find((p) => base === `${p.artifactId}-${p.version}`) ??
    poms.find((p) => candidates.has(p.artifactId) || base === `${p.groupId}.${p.artifactId}`) ??
    poms.find((p) => fromFile.name !== "" && (fromFile.name.startsWith(p.artifactId) || p.artifactId.startsWith(fromFile.name)));
  if (pom) {
    return { group: pom.groupId, name: pom.artifactId, version: pom.version, pom, source: "pom.properties", groupSource: "pom.properties" };
  }

  // No pom.properties of its own: the file name names it when it carries a version (the manifest's titles are
  // often prose, "Apache Commons Lang"); otherwise a token-like title or symbolic name does.
  let name = fromFile.name;
  if (fromFile.version === "") {
    if (title && isCoordinate(title)) name = title;
    else if (symbolic) name = symbolic.split(".").pop()!;
  }
  const manifestVersion = ["implementation-version", "bundle-version", "specification-version", "plugin-version"]
    .map((k) => manifest.get(k))
    .find((v): v is string => !!v && isVersion(v));
  const version = manifestVersion ?? fromFile.version;
  const source: Identity["source"] = manifestVersion !== undefined ? "manifest" : "file name";

  const vendorId = manifest.get("implementation-vendor-id");
  let group: string | undefined;
  if (vendorId && isCoordinate(vendorId) && vendorId.includes(".")) group = vendorId;
  else if (symbolic && symbolic.includes(".")) {
    const parts = symbolic.split(".");
    group = parts[parts.length - 1] === name || symbolic.endsWith(`.${name}`) ? parts.slice(0, -1).join(".") : symbolic;
  }
  if (!isCoordinate(name)) name = name.replace(/[^A-Za-z0-9_.-]+/g, "-") || "unknown";
  return group
    ? { group, name, version, source, groupSource: "manifest" }
    : { group: name, name, version, source, groupSource: "artifact name" };
}

// ---- records ----

function archiveRecord(id: Identity, manifest: Map<string, string>, bytes: Uint8Array, nestedLocation: string | undefined): PackageRecord {
  const purl = buildPurl("maven", { namespace: id.group, name: id.name, version: id.version });
  const properties: Property[] = [{ name: SOURCE_PROPERTY, value: id.source }];
  if (id.groupSource !== "pom.properties") properties.push({ name: GROUP_SOURCE_PROPERTY, value: id.groupSource });
  if (nestedLocation) properties.push({ name: LOCATION_PROPERTY, value: nestedLocation });
  const mainClass = manifest.get("start-class") ?? manifest.get("main-class");
  if (mainClass) properties.push({ name: MAIN_CLASS_PROPERTY, value: mainClass });
  const pkg: PackageRecord = {
    id: purl,
    ecosystem: "maven",
    group: id.group,
    name: id.name,
    version: id.version,
    purl,
    hashes: [{ alg: "SHA-1", content: createHash("sha1").update(bytes).digest("hex") }],
    scope: "required",
    dependsOn: [],
    properties,
  };
  const license = manifest.get("bundle-license");
  if (license && license.length <= 512) pkg.licenseDeclared = license;
  const vendor = manifest.get("implementation-vendor") ?? manifest.get("bundle-vendor");
  if (vendor) pkg.supplier = vendor;
  const description = manifest.get("bundle-description");
  if (description) pkg.description = description;
  const refs: ExternalRef[] = [];
  const docUrl = manifest.get("bundle-docurl");
  if (docUrl && /^https?:\/\//.test(docUrl)) refs.push({ type: "website", url: docUrl });
  if (refs.length > 0) pkg.externalRefs = refs;
  return pkg;
}

function pomRecord(pom: PomProperties, location: string): PackageRecord {
  const purl = buildPurl("maven", { namespace: pom.groupId, name: pom.artifactId, version: pom.version });
  return {
    id: purl,
    ecosystem: "maven",
    group: pom.groupId,
    name: pom.artifactId,
    version: pom.version,
    purl,
    hashes: [],
    scope: "required",
    dependsOn: [],
    properties: [
      { name: SOURCE_PROPERTY, value: "pom.properties" },
      { name: LOCATION_PROPERTY, value: location },
    ],
  };
}

/** One package per purl within the file: the same jar twice (two wars bundling one library) is one component. */
function addPackage(walk: Walk, pkg: PackageRecord): PackageRecord {
  const seen = walk.packages.get(pkg.id);
  if (!seen) {
    walk.packages.set(pkg.id, pkg);
    return pkg;
  }
  for (const h of pkg.hashes) if (!seen.hashes.some((x) => x.alg === h.alg && x.content === h.content)) seen.hashes.push(h);
  return seen;
}

function addEdge(from: PackageRecord, to: string): void {
  if (!from.dependsOn.includes(to)) from.dependsOn.push(to);
}
