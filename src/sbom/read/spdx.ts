import { hashAlgorithm, hexHash, mergeHashes } from "../model/hash.js";
import type { Component, ComponentType, ExternalRef, Hash, Scope, Tool } from "../model/types.js";
import {
  compareStrings,
  DependencyGraph,
  ecosystemOf,
  newComponent,
  readLicenses,
  readPurl,
  readTimestamp,
  RefAllocator,
  splitCreatorText,
  splitToolText,
  stripContact,
  type LicenseReading,
} from "./common.js";
import type { JsonPath } from "../../core/encoding/json-text.js";
import type { ComponentFacts, ReadSbom } from "./types.js";
import { quote, type JsonObject, type Wire } from "./wire.js";

/**
 * SPDX 2.2 / 2.3 JSON (spdx-spec v2.3 chapter 7 "Package information", chapter 11 "Relationships").
 * Packages become components; files are only counted (they are not components); the described package is the root.
 */

export const SPDX_VERSIONS = ["2.2", "2.3"] as const;

const DOCUMENT_ID = "SPDXRef-DOCUMENT";

/** Relationship types that make the first element depend on (or contain) the second. */
const FORWARD_EDGES = new Set(["DEPENDS_ON", "CONTAINS", "DYNAMIC_LINK", "STATIC_LINK", "HAS_PREREQUISITE"]);

/** Relationship types that make the second element depend on the first, with the scope they imply. */
const REVERSE_EDGES = new Map<string, Scope>([
  ["DEPENDENCY_OF", "required"],
  ["CONTAINED_BY", "required"],
  ["PREREQUISITE_FOR", "required"],
  ["RUNTIME_DEPENDENCY_OF", "required"],
  ["BUILD_DEPENDENCY_OF", "required"],
  ["PROVIDED_DEPENDENCY_OF", "required"],
  ["OPTIONAL_DEPENDENCY_OF", "optional"],
  ["DEV_DEPENDENCY_OF", "dev"],
  ["TEST_DEPENDENCY_OF", "dev"],
  ["BUILD_TOOL_OF", "dev"],
  ["DEV_TOOL_OF", "dev"],
  ["TEST_TOOL_OF", "dev"],
]);

/** primaryPackagePurpose (2.3) to the model's component types; anything else is a library. */
const TYPE_OF_PURPOSE: ReadonlyMap<string, ComponentType> = new Map<string, ComponentType>([
  ["APPLICATION", "application"],
  ["FRAMEWORK", "framework"],
  ["LIBRARY", "library"],
  ["FILE", "file"],
]);

interface PackageEntry {
  spdxId: string;
  component: Component;
  facts: ComponentFacts;
}

export function readSpdx(doc: JsonObject, specVersion: string, wire: Wire): ReadSbom {
  const refs = new RefAllocator();
  const packages = wire
    .objects(wire.array(doc, "packages", [], true), ["packages"], true)
    .map(({ value, path }) => readPackage(value, path, refs, wire));
  const byId = new Map<string, PackageEntry>();
  for (const entry of packages) if (!byId.has(entry.spdxId)) byId.set(entry.spdxId, entry);

  const relationships = readRelationships(doc, wire);
  const described = describedIds(doc, relationships, wire);
  const rootEntry = described.map((id) => byId.get(id)).find((e) => e !== undefined);

  const graph = new DependencyGraph();
  const scopes = new Map<string, Set<Scope>>();
  for (const rel of relationships) addEdge(rel, byId, graph, scopes);
  for (const entry of packages) entry.component.scope = scopeOf(scopes.get(entry.component.bomRef));

  const creation = wire.object(doc, "creationInfo", []) ?? {};
  const creators = wire.strings(wire.array(creation, "creators", ["creationInfo"], false), ["creationInfo", "creators"]);
  const tools: Tool[] = [];
  const authors: string[] = [];
  for (const creator of creators) {
    const { kind, name } = splitCreatorText(creator);
    if (kind === "tool") tools.push(splitToolText(name));
    else if (name !== "" && name.toUpperCase() !== "NOASSERTION") authors.push(name);
  }
  const rawTimestamp = wire.text(creation, "created", ["creationInfo"]);
  const timestamp = readTimestamp(rawTimestamp);
  const documentName = wire.text(doc, "name", []);

  // Without a described package, the document itself stands for the subject (under a bomRef no package has).
  const root: Component =
    rootEntry?.component ?? newComponent({ bomRef: refs.claim(undefined, DOCUMENT_ID), name: documentName ?? "", type: "application" });
  const others = packages.filter((e) => e !== rootEntry).sort((a, b) => compareStrings(a.component.bomRef, b.component.bomRef));
  const files = doc["files"];

  return {
    format: "spdx",
    specVersion,
    fileName: wire.file,
    sbom: {
      metadata: { timestamp: timestamp.iso, tools, root, build: {} },
      components: others.map((e) => e.component),
      dependencies: graph.toDependencies(root.bomRef),
    },
    components: others.map((e) => e.facts),
    root: rootEntry?.facts,
    document: {
      name: documentName,
      identifier: wire.text(doc, "documentNamespace", []),
      creators,
      authors,
      toolNames: tools.map((t) => (t.version === "" ? t.name : `${t.name} ${t.version}`)),
      timestamp: rawTimestamp,
      timestampValid: timestamp.valid,
      rootDeclared: rootEntry !== undefined,
      dependencyEdgeCount: graph.edgeCount(),
      rootDependencyCount: graph.dependsOn(root.bomRef),
      fileCount: Array.isArray(files) ? files.length : 0,
      nestedComponentCount: 0,
    },
    ...wire.warnings(),
  };
}

function readPackage(pkg: JsonObject, path: JsonPath, refs: RefAllocator, wire: Wire): PackageEntry {
  const fallbackId = `packages[${String(path[path.length - 1])}]`;
  const declaredId = wire.text(pkg, "SPDXID", path);
  if (declaredId !== undefined && refs.has(declaredId)) wire.warn([...path, "SPDXID"], `duplicate SPDXID ${quote(declaredId)}: renamed`);
  const bomRef = refs.claim(declaredId, fallbackId);

  const identifiers = readExternalRefs(pkg, path, wire);
  const purl = readPurl(identifiers.purls);
  const supplier = party(wire.text(pkg, "supplier", path));
  const author = party(wire.text(pkg, "originator", path));
  const licenses = packageLicenses(pkg, path, wire);
  const purpose = wire.text(pkg, "primaryPackagePurpose", path)?.toUpperCase();
  const description = wire.text(pkg, "description", path) ?? wire.text(pkg, "summary", path);

  const component = newComponent({
    bomRef,
    type: (purpose === undefined ? undefined : TYPE_OF_PURPOSE.get(purpose)) ?? "library",
    ecosystem: ecosystemOf(purl.parsed),
    name: wire.text(pkg, "name", path) ?? "",
    version: assertedValue(wire.text(pkg, "versionInfo", path)) ?? "",
    licenses: licenses.licenses,
    hashes: readChecksums(pkg, path, wire),
    externalRefs: [...locationRefs(pkg, path, wire)],
  });
  if (purl.parsed?.namespace) component.group = purl.parsed.namespace;
  if (purl.state === "valid") component.purl = purl.text;
  if (supplier !== undefined) component.supplier = supplier;
  if (author !== undefined) component.author = author;
  if (description !== undefined) component.description = description;

  const facts: ComponentFacts = {
    bomRef,
    path: fallbackId,
    licenseTexts: licenses.texts,
    licenseNoAssertion: licenses.noAssertion,
    licenseNone: licenses.none,
    purl: purl.state,
    hasCpe: identifiers.cpe,
    hasSwid: identifiers.swid,
    hasOtherId: identifiers.other,
    supplierPresent: supplier !== undefined,
  };
  if (purl.text !== undefined) facts.purlText = purl.text;
  return { spdxId: declaredId ?? fallbackId, component, facts };
}

/** NOASSERTION and NONE in a text field mean "not stated". */
function assertedValue(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const upper = text.toUpperCase();
  return upper === "NOASSERTION" || upper === "NONE" ? undefined : text;
}

/** "Organization: Microsoft" / "Person: Jane Doe (jane@example.com)" / NOASSERTION (7.5, 7.6) -> the name. */
function party(text: string | undefined): string | undefined {
  const value = assertedValue(text);
  if (value === undefined) return undefined;
  const { kind, name } = splitCreatorText(value);
  const result = kind === "other" ? stripContact(value) : name;
  return result === "" ? undefined : result;
}

/**
 * The declared licence (7.15) is what the package says; the concluded one (7.13) is what someone found. The
 * declared one is used when it states a licence, else the concluded one; NOASSERTION/NONE only count when
 * neither states one.
 */
function packageLicenses(pkg: JsonObject, path: JsonPath, wire: Wire): LicenseReading {
  const declared = readLicenses(optional(wire.text(pkg, "licenseDeclared", path)));
  if (declared.texts.length > 0) return declared;
  const concluded = readLicenses(optional(wire.text(pkg, "licenseConcluded", path)));
  if (concluded.texts.length > 0) return concluded;
  return {
    licenses: [],
    texts: [],
    noAssertion: declared.noAssertion || concluded.noAssertion,
    none: declared.none || concluded.none,
  };
}

function optional(text: string | undefined): string[] {
  return text === undefined ? [] : [text];
}

function readChecksums(pkg: JsonObject, path: JsonPath, wire: Wire): Hash[] {
  const listPath = [...path, "checksums"];
  const hashes: Hash[] = [];
  for (const { value, path: itemPath } of wire.objects(wire.array(pkg, "checksums", path, false), listPath, false)) {
    const algorithm = wire.text(value, "algorithm", itemPath);
    const digest = wire.text(value, "checksumValue", itemPath);
    if (algorithm === undefined || digest === undefined) {
      wire.warn(itemPath, "checksum without algorithm or checksumValue: skipped");
      continue;
    }
    const hash = hexHash(algorithm, digest);
    if (hash) hashes.push(hash);
    else if (hashAlgorithm(algorithm) === undefined) wire.warn([...itemPath, "algorithm"], `algorithm ${quote(algorithm)} is not one vouch keeps: skipped`);
    else wire.warn([...itemPath, "checksumValue"], `not a ${quote(algorithm)} hex digest: skipped`);
  }
  return mergeHashes(hashes);
}

interface Identifiers {
  purls: string[];
  cpe: boolean;
  swid: boolean;
  other: boolean;
}

/** externalRefs (7.21): purl under PACKAGE-MANAGER (2.2 tools also write PACKAGE_MANAGER), cpe under SECURITY. */
function readExternalRefs(pkg: JsonObject, path: JsonPath, wire: Wire): Identifiers {
  const ids: Identifiers = { purls: [], cpe: false, swid: false, other: false };
  const listPath = [...path, "externalRefs"];
  for (const { value, path: itemPath } of wire.objects(wire.array(pkg, "externalRefs", path, false), listPath, false)) {
    const category = wire.text(value, "referenceCategory", itemPath)?.toUpperCase().replace(/_/g, "-");
    const type = wire.text(value, "referenceType", itemPath);
    const locator = wire.text(value, "referenceLocator", itemPath);
    if (type === undefined || locator === undefined) continue;
    if (type === "purl") ids.purls.push(locator);
    else if (type === "cpe23Type" || type === "cpe22Type") ids.cpe = true;
    else if (type === "swid") ids.swid = true;
    else if (category === "PERSISTENT-ID" && (type === "gitoid" || type === "swh")) ids.other = true;
  }
  return ids;
}

/** homepage (7.11) and downloadLocation (7.7) as external references, when they are URLs. */
function* locationRefs(pkg: JsonObject, path: JsonPath, wire: Wire): Generator<ExternalRef> {
  const download = assertedValue(wire.text(pkg, "downloadLocation", path));
  if (download !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(download)) {
    yield { type: /^(git|hg|svn|bzr)\+/.test(download) ? "vcs" : "distribution", url: download };
  }
  const homepage = assertedValue(wire.text(pkg, "homepage", path));
  if (homepage !== undefined && /^https?:\/\//i.test(homepage)) yield { type: "website", url: homepage };
}

interface Relationship {
  from: string;
  type: string;
  to: string;
}

function readRelationships(doc: JsonObject, wire: Wire): Relationship[] {
  const out: Relationship[] = [];
  for (const { value, path } of wire.objects(wire.array(doc, "relationships", [], true), ["relationships"], true)) {
    const from = wire.text(value, "spdxElementId", path);
    const type = wire.text(value, "relationshipType", path)?.toUpperCase();
    const to = wire.text(value, "relatedSpdxElement", path);
    if (from === undefined || type === undefined || to === undefined) {
      wire.warn(path, "relationship without spdxElementId, relationshipType or relatedSpdxElement: skipped");
      continue;
    }
    out.push({ from, type, to });
  }
  return out;
}

/** documentDescribes (2.2, deprecated in 2.3) and DESCRIBES / DESCRIBED_BY relationships of the document. */
function describedIds(doc: JsonObject, relationships: readonly Relationship[], wire: Wire): string[] {
  const ids = wire.strings(wire.array(doc, "documentDescribes", [], false), ["documentDescribes"]);
  for (const rel of relationships) {
    if (rel.type === "DESCRIBES" && rel.from === DOCUMENT_ID) ids.push(rel.to);
    if (rel.type === "DESCRIBED_BY" && rel.to === DOCUMENT_ID) ids.push(rel.from);
  }
  return ids;
}

/** A relationship between two packages of this document as a dependency edge; others (files, the document) are not. */
function addEdge(rel: Relationship, byId: ReadonlyMap<string, PackageEntry>, graph: DependencyGraph, scopes: Map<string, Set<Scope>>): void {
  const reverseScope = REVERSE_EDGES.get(rel.type);
  if (!FORWARD_EDGES.has(rel.type) && reverseScope === undefined) return;
  const a = byId.get(rel.from)?.component.bomRef;
  const b = byId.get(rel.to)?.component.bomRef;
  if (a === undefined || b === undefined) return;
  const [from, to] = reverseScope === undefined ? [a, b] : [b, a];
  graph.add(from, to);
  let seen = scopes.get(to);
  if (!seen) scopes.set(to, (seen = new Set()));
  seen.add(reverseScope ?? "required");
}

/** Required wins over optional, optional over dev: a package needed at run time by anyone is needed. */
function scopeOf(seen: ReadonlySet<Scope> | undefined): Scope {
  if (!seen || seen.has("required")) return "required";
  return seen.has("optional") ? "optional" : "dev";
}
