import { VouchError } from "../../core/errors.js";
import { hexHash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Hash } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { attribute, childElement, childElements, LineIndex, parseXml, type XmlElement } from "../common/xml.js";

/**
 * gradle/verification-metadata.xml (Gradle dependency verification): every <component group name version>
 * under <components> is a module Gradle resolved and verified, build tooling and test dependencies
 * included. The file records no scopes and no edges.
 *
 * Hashes: a component lists several artifacts (the .jar or .aar, its .pom, its .module, sources and javadoc
 * jars). A component's hash should identify what the component is, so only the main artifact's checksums
 * are kept: "<name>-<version>.jar" (or another packaged binary such as .aar) when present, or the only
 * binary artifact when Gradle module metadata gave it another file name; else "<name>-<version>.pom", the
 * artifact of a BOM or platform that has no jar. Gradle module metadata (.module) and sources/javadoc jars
 * are not the component; a component with nothing but .module files gets no hash.
 */
export function parseGradleVerification(file: SourceFile, ctx: CatalogContext): ParseResult {
  // Element positions cost a fifth of the parse of a large file; the rare warning finds its line itself.
  const doc = parseXml(file.text, "verification-metadata.xml", { positions: false });
  const root = childElement(doc, "verification-metadata");
  if (!root) throw new VouchError("INPUT_MALFORMED", "not Gradle verification metadata: no <verification-metadata> root element");
  const byId = new Map<string, PackageRecord>();
  const lineOfComponent = componentLines(file.text);
  const components = childElements(childElement(root, "components"), "component");
  for (const [index, component] of components.entries()) {
    const group = attribute(component, "group")?.trim();
    const name = attribute(component, "name")?.trim();
    const version = attribute(component, "version")?.trim();
    if (!group || !name || !version) {
      ctx.warn("<component> without group, name and version; skipped", lineOfComponent(index));
      continue;
    }
    const purl = buildPurl("maven", { namespace: group, name, version });
    if (byId.has(purl)) continue;
    byId.set(purl, {
      id: purl,
      ecosystem: "maven",
      name,
      group,
      version,
      purl,
      hashes: mainArtifactHashes(component, name, version),
      scope: "required",
      dependsOn: [],
    });
  }
  return { directDependencies: [], packages: [...byId.values()] };
}

/**
 * Lines of the <component> elements in text order, computed on the first warning only. Only <component>
 * elements under <components> exist in this format, so document order and text order agree (a
 * commented-out one could shift the count; this is only a warning's line).
 */
function componentLines(text: string): (index: number) => number | undefined {
  let lines: number[] | undefined;
  return (index) => {
    if (!lines) {
      const index = new LineIndex(text);
      lines = [...text.matchAll(/<(?:[\w.-]+:)?component[\s/>]/g)].map((m) => index.lineOf(m.index));
    }
    return lines[index];
  };
}

const METADATA_EXTENSIONS = new Set(["pom", "module"]);
const DOCUMENTATION = /-(?:sources|javadoc)\.jar$/;

function mainArtifactHashes(component: XmlElement, name: string, version: string): Hash[] {
  const conventional = `${name}-${version}.`;
  const byName = new Map<string, XmlElement>();
  for (const artifact of childElements(component, "artifact")) {
    const fileName = attribute(artifact, "name");
    if (fileName !== undefined) byName.set(fileName, artifact);
  }
  const binaries = [...byName.keys()].filter((f) => !METADATA_EXTENSIONS.has(extension(f)) && !DOCUMENTATION.test(f));
  const named = binaries.filter((f) => f.startsWith(conventional) && !f.slice(conventional.length).includes("."));
  // jar first (the java default), then aar (Android), then any other packaging, alphabetically for determinism.
  named.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  // Gradle module metadata may name the file freely ("runtime.aar" for runtime-android): a lone binary is the one.
  const main = named[0] ?? (binaries.length === 1 ? binaries[0] : `${conventional}pom`);
  const artifact = main === undefined ? undefined : byName.get(main);
  return artifact ? artifactHashes(artifact) : [];
}

function extension(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf(".") + 1);
}

function rank(fileName: string): number {
  const ext = extension(fileName);
  return ext === "jar" ? 0 : ext === "aar" ? 1 : 2;
}

/** <sha256 value=.../>, <sha512/>, <sha1/>, <md5/>: Gradle writes each as an element named by its algorithm. */
function artifactHashes(artifact: XmlElement): Hash[] {
  const hashes: Hash[] = [];
  for (const algorithm of ["md5", "sha1", "sha256", "sha512"]) {
    for (const element of childElements(artifact, algorithm)) {
      const value = attribute(element, "value");
      const hash = value === undefined ? undefined : hexHash(algorithm, value);
      if (hash) hashes.push(hash);
    }
  }
  return hashes;
}

export const gradleVerificationCataloger: Cataloger = {
  name: "maven-gradle-verification-metadata",
  ecosystem: "maven",
  // Gradle reads exactly <root>/gradle/verification-metadata.xml; the same name elsewhere is something else.
  matches: (path) => path === "gradle/verification-metadata.xml" || path.endsWith("/gradle/verification-metadata.xml"),
  parse: parseGradleVerification,
};
