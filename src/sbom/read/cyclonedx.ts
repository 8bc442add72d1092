import { hashAlgorithm, hexHash, mergeHashes } from "../model/hash.js";
import type { Component, ComponentType, ExternalRef, ExternalRefType, Hash, Property, Scope, Tool } from "../model/types.js";
import { compareStrings, DependencyGraph, ecosystemOf, newComponent, readLicenses, readPurl, readTimestamp, RefAllocator } from "./common.js";
import { formatJsonPath, type JsonPath } from "../../core/encoding/json-text.js";
import type { ComponentFacts, ReadSbom } from "./types.js";
import { isObject, quote, type JsonObject, type Wire } from "./wire.js";

/**
 * CycloneDX 1.4–1.7 JSON. Components nest (a component's `components`); they are flattened into one list, each
 * remembering its parent. metadata.component is the root; its nested components are flattened too.
 */

export const CYCLONEDX_VERSIONS = ["1.4", "1.5", "1.6", "1.7"] as const;

const COMPONENT_TYPES: ReadonlySet<string> = new Set<ComponentType>(["application", "framework", "library", "file", "container"]);
const REF_TYPES: ReadonlySet<string> = new Set<ExternalRefType>(["vcs", "website", "distribution", "issue-tracker"]);

/** CycloneDX scope to the model's: "excluded" means not part of the shipped runtime, which is what dev means here. */
const SCOPES: ReadonlyMap<string, Scope> = new Map<string, Scope>([
  ["required", "required"],
  ["optional", "optional"],
  ["excluded", "dev"],
]);

interface RawComponent {
  value: JsonObject;
  path: JsonPath;
  /** Index of the parent in the flat list; undefined at top level and for the root. */
  parent?: number;
  isRoot: boolean;
}

interface ReadComponent {
  component: Component;
  facts: ComponentFacts;
  isRoot: boolean;
}

export function readCycloneDx(doc: JsonObject, specVersion: string, wire: Wire): ReadSbom {
  const metadata = wire.object(doc, "metadata", []) ?? {};
  const flat: RawComponent[] = [];
  let nestedCount = 0;
  const rootValue = wire.object(metadata, "component", ["metadata"]);
  if (rootValue) nestedCount += flatten(rootValue, ["metadata", "component"], undefined, true, flat, wire);
  for (const { value, path } of wire.objects(wire.array(doc, "components", [], true), ["components"], true)) {
    nestedCount += flatten(value, path, undefined, false, flat, wire);
  }

  const refs = new RefAllocator();
  const bomRefs = allocateRefs(flat, refs, wire);
  const read = flat.map((raw, i) => readComponent(raw, bomRefs[i]!, raw.parent === undefined ? undefined : bomRefs[raw.parent], wire));
  const rootRead = read.find((r) => r.isRoot);
  const root = rootRead?.component ?? newComponent({ bomRef: refs.claim(undefined, "metadata.component"), name: "", type: "application" });

  const graph = readDependencies(doc, new Set(bomRefs), serviceRefs(doc), wire);
  const tools = readTools(metadata, wire);
  const authors = readAuthors(metadata, wire);
  const rawTimestamp = wire.text(metadata, "timestamp", ["metadata"]);
  const timestamp = readTimestamp(rawTimestamp);
  const others = read.filter((r) => !r.isRoot).sort((a, b) => compareStrings(a.component.bomRef, b.component.bomRef));

  return {
    format: "cyclonedx",
    specVersion,
    fileName: wire.file,
    sbom: {
      metadata: { timestamp: timestamp.iso, tools, root, build: {} },
      components: others.map((r) => r.component),
      dependencies: graph.toDependencies(root.bomRef),
    },
    components: others.map((r) => r.facts),
    root: rootRead?.facts,
    document: {
      identifier: wire.text(doc, "serialNumber", []),
      creators: [
        ...authors.people.map((a) => `Person: ${a}`),
        ...authors.organizations.map((a) => `Organization: ${a}`),
        ...tools.map((t) => `Tool: ${toolName(t)}`),
      ],
      authors: [...authors.people, ...authors.organizations],
      toolNames: tools.map(toolName),
      timestamp: rawTimestamp,
      timestampValid: timestamp.valid,
      rootDeclared: rootRead !== undefined,
      dependencyEdgeCount: graph.edgeCount(),
      rootDependencyCount: graph.dependsOn(root.bomRef),
      fileCount: 0,
      nestedComponentCount: nestedCount,
    },
    ...wire.warnings(),
  };
}

/** Deeper nesting than any real assembly has: refused rather than recursed into (a stack overflow is not an answer). */
const MAX_NESTING = 64;

/** Depth-first, parents before children; returns how many nested components were found below `value`. */
function flatten(value: JsonObject, path: JsonPath, parent: number | undefined, isRoot: boolean, out: RawComponent[], wire: Wire, depth = 0): number {
  if (depth > MAX_NESTING) wire.fail(path, `components nested more than ${MAX_NESTING} levels deep`);
  const index = out.length;
  out.push({ value, path, parent, isRoot });
  let nested = 0;
  for (const child of wire.objects(wire.array(value, "components", path, true), [...path, "components"], true)) {
    nested += 1 + flatten(child.value, child.path, index, false, out, wire, depth + 1);
  }
  return nested;
}

/**
 * Stated bom-refs first, so that a component without one can never take a name another component states; a
 * duplicate or missing bom-ref gets the purl or, failing that, the component's path in the document.
 */
function allocateRefs(flat: readonly RawComponent[], refs: RefAllocator, wire: Wire): string[] {
  const stated = flat.map((raw) => wire.text(raw.value, "bom-ref", raw.path));
  const out: (string | undefined)[] = stated.map((ref, i) => {
    if (ref === undefined) return undefined;
    if (refs.has(ref)) {
      wire.warn([...flat[i]!.path, "bom-ref"], `duplicate bom-ref ${quote(ref)}: renamed`);
      return undefined;
    }
    return refs.claim(ref, ref);
  });
  return out.map((ref, i) => {
    if (ref !== undefined) return ref;
    const purl = flat[i]!.value["purl"];
    return refs.claim(typeof purl === "string" ? purl.trim() : undefined, formatJsonPath(flat[i]!.path));
  });
}

function readComponent(raw: RawComponent, bomRef: string, parentRef: string | undefined, wire: Wire): ReadComponent {
  const { value, path } = raw;
  const purlText = wire.text(value, "purl", path);
  const purl = readPurl(purlText === undefined ? [] : [purlText]);
  const licenses = readLicenses(licenseTexts(value, path, wire));
  const supplier = partyName(value, "supplier", path, wire) ?? partyName(value, "manufacturer", path, wire);
  const author = componentAuthor(value, path, wire);
  const type = wire.text(value, "type", path);
  const scope = wire.text(value, "scope", path);
  const group = wire.text(value, "group", path) ?? purl.parsed?.namespace;
  const description = wire.text(value, "description", path);

  const component = newComponent({
    bomRef,
    type: type !== undefined && COMPONENT_TYPES.has(type) ? (type as ComponentType) : raw.isRoot ? "application" : "library",
    ecosystem: ecosystemOf(purl.parsed),
    name: wire.text(value, "name", path) ?? "",
    version: wire.text(value, "version", path) ?? "",
    licenses: licenses.licenses,
    hashes: readHashes(value, path, wire),
    scope: (scope === undefined ? undefined : SCOPES.get(scope)) ?? "required",
    externalRefs: readExternalReferences(value, path, wire),
    properties: readProperties(value, path, wire),
  });
  if (group !== undefined) component.group = group;
  if (purl.state === "valid") component.purl = purl.text;
  if (supplier !== undefined) component.supplier = supplier;
  if (author !== undefined) component.author = author;
  if (description !== undefined) component.description = description;

  const facts: ComponentFacts = {
    bomRef,
    path: formatJsonPath(path),
    licenseTexts: licenses.texts,
    licenseNoAssertion: licenses.noAssertion,
    licenseNone: licenses.none,
    purl: purl.state,
    hasCpe: wire.text(value, "cpe", path) !== undefined,
    hasSwid: wire.object(value, "swid", path) !== undefined,
    hasOtherId: wire.array(value, "omniborId", path, false).length > 0 || wire.array(value, "swhid", path, false).length > 0,
    supplierPresent: supplier !== undefined,
  };
  if (purl.text !== undefined) facts.purlText = purl.text;
  if (parentRef !== undefined) facts.nestedIn = parentRef;
  return { component, facts, isRoot: raw.isRoot };
}

/** licenses: [{license: {id | name}}] or [{expression}] (a "license choice"). */
function licenseTexts(value: JsonObject, path: JsonPath, wire: Wire): string[] {
  const texts: string[] = [];
  const listPath = [...path, "licenses"];
  for (const { value: choice, path: choicePath } of wire.objects(wire.array(value, "licenses", path, false), listPath, false)) {
    const expression = wire.text(choice, "expression", choicePath);
    if (expression !== undefined) {
      texts.push(expression);
      continue;
    }
    const license = wire.object(choice, "license", choicePath);
    const text = license && (wire.text(license, "id", [...choicePath, "license"]) ?? wire.text(license, "name", [...choicePath, "license"]));
    if (text === undefined) wire.warn(choicePath, "licence without id, name or expression: skipped");
    else texts.push(text);
  }
  return texts;
}

/** An organisational entity's name (supplier, manufacturer, provider). */
function partyName(value: JsonObject, key: string, path: JsonPath, wire: Wire): string | undefined {
  const party = wire.object(value, key, path);
  return party && wire.text(party, "name", [...path, key]);
}

/** `author` (a string, up to 1.5) or `authors` (people, 1.6+). */
function componentAuthor(value: JsonObject, path: JsonPath, wire: Wire): string | undefined {
  const single = wire.text(value, "author", path);
  if (single !== undefined) return single;
  const names = wire
    .objects(wire.array(value, "authors", path, false), [...path, "authors"], false)
    .map((a) => wire.text(a.value, "name", a.path))
    .filter((n): n is string => n !== undefined);
  return names.length > 0 ? names.join(", ") : undefined;
}

function readHashes(value: JsonObject, path: JsonPath, wire: Wire): Hash[] {
  const hashes: Hash[] = [];
  for (const { value: entry, path: itemPath } of wire.objects(wire.array(value, "hashes", path, false), [...path, "hashes"], false)) {
    const alg = wire.text(entry, "alg", itemPath);
    const content = wire.text(entry, "content", itemPath);
    if (alg === undefined || content === undefined) {
      wire.warn(itemPath, "hash without alg or content: skipped");
      continue;
    }
    const hash = hexHash(alg, content);
    if (hash) hashes.push(hash);
    else if (hashAlgorithm(alg) === undefined) wire.warn([...itemPath, "alg"], `algorithm ${quote(alg)} is not one vouch keeps: skipped`);
    else wire.warn([...itemPath, "content"], `not a ${quote(alg)} hex digest: skipped`);
  }
  return mergeHashes(hashes);
}

function readExternalReferences(value: JsonObject, path: JsonPath, wire: Wire): ExternalRef[] {
  const refs: ExternalRef[] = [];
  const listPath = [...path, "externalReferences"];
  for (const { value: entry, path: itemPath } of wire.objects(wire.array(value, "externalReferences", path, false), listPath, false)) {
    const type = wire.text(entry, "type", itemPath);
    const url = wire.text(entry, "url", itemPath);
    if (type !== undefined && url !== undefined && REF_TYPES.has(type)) refs.push({ type: type as ExternalRefType, url });
  }
  return refs;
}

function readProperties(value: JsonObject, path: JsonPath, wire: Wire): Property[] {
  const props: Property[] = [];
  for (const { value: entry, path: itemPath } of wire.objects(wire.array(value, "properties", path, false), [...path, "properties"], false)) {
    const name = wire.text(entry, "name", itemPath);
    const propertyValue = wire.string(entry, "value", itemPath);
    if (name !== undefined) props.push({ name, value: propertyValue ?? "" });
  }
  return props;
}

/**
 * Edges from `dependencies`, kept only between components of this document. Services (a SaaSBOM's APIs) take part
 * in the graph too, but are not components: edges to them are dropped without a warning.
 */
function readDependencies(doc: JsonObject, known: ReadonlySet<string>, services: ReadonlySet<string>, wire: Wire): DependencyGraph {
  const graph = new DependencyGraph();
  for (const { value, path } of wire.objects(wire.array(doc, "dependencies", [], true), ["dependencies"], true)) {
    const ref = wire.text(value, "ref", path);
    if (ref === undefined) {
      wire.warn(path, "dependency without ref: skipped");
      continue;
    }
    if (!known.has(ref)) {
      if (!services.has(ref)) wire.warn([...path, "ref"], `unknown bom-ref ${quote(ref)}: skipped`);
      continue;
    }
    const targets = wire.strings(wire.array(value, "dependsOn", path, false), [...path, "dependsOn"]);
    targets.forEach((target, i) => {
      if (known.has(target)) graph.add(ref, target);
      else if (!services.has(target)) wire.warn([...path, "dependsOn", i], `unknown bom-ref ${quote(target)}: edge dropped`);
    });
  }
  return graph;
}

/** bom-refs of `services` and their nested services (read without warnings: vouch does not use services otherwise). */
function serviceRefs(doc: JsonObject): Set<string> {
  const refs = new Set<string>();
  const pending: { list: unknown; depth: number }[] = [{ list: doc["services"], depth: 0 }];
  while (pending.length > 0) {
    const { list, depth } = pending.pop()!;
    if (!Array.isArray(list) || depth > MAX_NESTING) continue;
    for (const service of list) {
      if (!isObject(service)) continue;
      const ref = service["bom-ref"];
      if (typeof ref === "string") refs.add(ref.trim());
      pending.push({ list: service["services"], depth: depth + 1 });
    }
  }
  return refs;
}

/** metadata.tools: an array of {vendor, name, version} up to 1.4 (deprecated after), {components, services} from 1.5. */
function readTools(metadata: JsonObject, wire: Wire): Tool[] {
  const path: JsonPath = ["metadata", "tools"];
  const tools = metadata["tools"];
  const out: Tool[] = [];
  const add = (vendor: string | undefined, name: string | undefined, version: string | undefined): void => {
    if (name === undefined) return;
    const tool: Tool = { name, version: version ?? "" };
    if (vendor !== undefined) tool.vendor = vendor;
    out.push(tool);
  };
  if (tools === undefined || tools === null) return out;
  if (Array.isArray(tools)) {
    for (const { value, path: p } of wire.objects(tools, path, false)) {
      add(wire.text(value, "vendor", p), wire.text(value, "name", p), wire.text(value, "version", p));
    }
  } else if (typeof tools === "object") {
    const object = tools as JsonObject;
    for (const { value, path: p } of wire.objects(wire.array(object, "components", path, false), [...path, "components"], false)) {
      const vendor = wire.text(value, "group", p) ?? partyName(value, "manufacturer", p, wire) ?? wire.text(value, "publisher", p);
      add(vendor, wire.text(value, "name", p), wire.text(value, "version", p));
    }
    for (const { value, path: p } of wire.objects(wire.array(object, "services", path, false), [...path, "services"], false)) {
      add(wire.text(value, "group", p) ?? partyName(value, "provider", p, wire), wire.text(value, "name", p), wire.text(value, "version", p));
    }
  } else {
    wire.warn(path, "expected an array or an object: ignored");
  }
  return out;
}

/**
 * Who made the SBOM data: metadata.authors (people), and the organisations named as its manufacturer
 * (`manufacture` in 1.5, `manufacturer` from 1.6) or supplier.
 */
function readAuthors(metadata: JsonObject, wire: Wire): { people: string[]; organizations: string[] } {
  const people = wire
    .objects(wire.array(metadata, "authors", ["metadata"], false), ["metadata", "authors"], false)
    .map((a) => wire.text(a.value, "name", a.path) ?? wire.text(a.value, "email", a.path))
    .filter((n): n is string => n !== undefined);
  const organizations = ["manufacturer", "manufacture", "supplier"]
    .map((key) => partyName(metadata, key, ["metadata"], wire))
    .filter((n): n is string => n !== undefined);
  return { people, organizations: [...new Set(organizations)] };
}

function toolName(tool: Tool): string {
  return tool.version === "" ? tool.name : `${tool.name} ${tool.version}`;
}
