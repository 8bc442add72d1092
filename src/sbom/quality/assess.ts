import type { Component, HashAlgorithm } from "../model/types.js";
import type { ComponentFacts, ReadSbom } from "../read/types.js";
import { assessNtia } from "./ntia.js";
import { scoreQuality } from "./score.js";
import {
  COMPONENT_PROBLEMS,
  type ComponentProblem,
  type ComponentQuality,
  type ComponentRef,
  type Coverage,
  type DocumentQuality,
  type QualityReport,
} from "./types.js";

/** Algorithms that still resist collisions: MD5 and SHA-1 identify a file but do not protect it. */
const STRONG: ReadonlySet<HashAlgorithm> = new Set<HashAlgorithm>([
  "SHA-256",
  "SHA-384",
  "SHA-512",
  "SHA3-256",
  "SHA3-384",
  "SHA3-512",
  "BLAKE2b-256",
  "BLAKE2b-384",
  "BLAKE2b-512",
  "BLAKE3",
]);

interface Row {
  component: Component;
  facts: ComponentFacts;
}

/** Judge an SBOM as read: per-component problems, coverage, document facts, NTIA minimum elements and a score. */
export function assessQuality(read: ReadSbom): QualityReport {
  const rows = pairFacts(read);
  const total = rows.length;
  const count = (test: (row: Row) => boolean): Coverage => coverage(rows.filter(test).length, total);

  const cover = {
    versions: count((r) => r.component.version !== ""),
    purls: count((r) => r.facts.purl === "valid"),
    uniqueIdentifiers: count((r) => hasUniqueIdentifier(r.facts)),
    licenses: count((r) => r.facts.licenseTexts.length > 0),
    validLicenses: count((r) => r.facts.licenseTexts.length > 0 && r.facts.licenseTexts.every((l) => l.validSpdx)),
    checksums: count((r) => r.component.hashes.length > 0),
    strongChecksums: count((r) => r.component.hashes.some((h) => STRONG.has(h.alg))),
    suppliers: count((r) => r.facts.supplierPresent),
  };
  const names = count((r) => r.component.name !== "");
  const document = documentQuality(read, rows);
  const tools = read.sbom.metadata.tools;
  const root = read.sbom.metadata.root;

  const { score, breakdown } = scoreQuality({
    names: names.ratio,
    versions: cover.versions.ratio,
    purls: cover.purls.ratio,
    uniqueIdentifiers: cover.uniqueIdentifiers.ratio,
    licenses: cover.licenses.ratio,
    validLicenses: cover.validLicenses.ratio,
    checksums: cover.checksums.ratio,
    strongChecksums: cover.strongChecksums.ratio,
    suppliers: cover.suppliers.ratio,
    graphPresent: document.dependencyGraph,
    componentsInGraph: document.componentsInGraph.ratio,
    componentsDeclaringDependencies: document.componentsDeclaringDependencies.ratio,
    timestamp: document.timestampValid,
    author: document.authors.length > 0,
    tool: tools.some((t) => t.version !== "") ? 1 : tools.length > 0 ? 0.5 : 0,
    subject: !document.root.declared || root.name === "" ? 0 : root.version === "" ? 0.5 : 1,
  });

  const assessed = rows.map(assessComponent);
  const totals = Object.fromEntries(COMPONENT_PROBLEMS.map((p) => [p, 0])) as Record<ComponentProblem, number>;
  for (const c of assessed) for (const p of c.problems) totals[p]++;

  return {
    file: read.fileName,
    format: read.format,
    specVersion: read.specVersion,
    score,
    scoreBreakdown: breakdown,
    componentCount: total,
    fileCount: read.document.fileCount,
    nestedComponentCount: read.document.nestedComponentCount,
    totals,
    coverage: cover,
    document,
    ntia: assessNtia({ names, versions: cover.versions, uniqueIdentifiers: cover.uniqueIdentifiers, suppliers: cover.suppliers, document }),
    components: assessed.filter((c) => c.problems.length > 0).sort(byProblemsThenName),
    noAssertion: rows
      .filter((r) => r.facts.licenseNoAssertion)
      .map((r) => componentRef(r.component))
      .sort(byName),
    warnings: read.warnings,
    warningCount: read.warningCount,
  };
}

/** Facts by bomRef: the reader keeps them in step with the components, but the model is the authority. */
function pairFacts(read: ReadSbom): Row[] {
  const facts = new Map(read.components.map((f) => [f.bomRef, f]));
  return read.sbom.components.map((component) => ({ component, facts: facts.get(component.bomRef) ?? factsFromModel(component) }));
}

/** For a Sbom that did not come through a reader (no raw facts): what the model itself tells. */
function factsFromModel(component: Component): ComponentFacts {
  return {
    bomRef: component.bomRef,
    path: component.bomRef,
    licenseTexts: component.licenses.map((l) => ("expression" in l ? { text: l.expression, validSpdx: true } : { text: l.name, validSpdx: false })),
    licenseNoAssertion: false,
    licenseNone: false,
    purl: component.purl === undefined ? "absent" : "valid",
    hasCpe: false,
    hasSwid: false,
    hasOtherId: false,
    supplierPresent: component.supplier !== undefined && component.supplier !== "",
  };
}

function hasUniqueIdentifier(facts: ComponentFacts): boolean {
  return facts.purl === "valid" || facts.hasCpe || facts.hasSwid || facts.hasOtherId;
}

function assessComponent({ component, facts }: Row): ComponentQuality {
  const problems: ComponentProblem[] = [];
  if (component.name === "") problems.push("missing-name");
  if (component.version === "") problems.push("missing-version");
  if (facts.purl === "absent") problems.push("missing-purl");
  if (facts.purl === "invalid") problems.push("invalid-purl");
  if (facts.licenseTexts.length === 0) problems.push("missing-license");
  if (facts.licenseNoAssertion) problems.push("noassertion-license");
  const invalidLicenses = facts.licenseTexts.filter((l) => !l.validSpdx).map((l) => l.text);
  if (invalidLicenses.length > 0) problems.push("invalid-license");
  if (component.hashes.length === 0) problems.push("missing-checksum");
  if (!facts.supplierPresent) problems.push("missing-supplier");

  const out: ComponentQuality = { ...componentRef(component), problems };
  if (invalidLicenses.length > 0) out.invalidLicenses = invalidLicenses;
  if (facts.purl === "invalid" && facts.purlText !== undefined) out.invalidPurl = facts.purlText;
  return out;
}

function documentQuality(read: ReadSbom, rows: readonly Row[]): DocumentQuality {
  const { document: facts, sbom } = read;
  const inGraph = new Set<string>();
  const declaring = new Set<string>();
  for (const dep of sbom.dependencies) {
    if (dep.dependsOn.length === 0) continue;
    inGraph.add(dep.ref);
    declaring.add(dep.ref);
    for (const target of dep.dependsOn) inGraph.add(target);
  }
  // Nested components are parts of their parent: whether they declare dependencies is the parent's business.
  const topLevel = rows.filter((r) => r.facts.nestedIn === undefined);
  const out: DocumentQuality = {
    root: { name: sbom.metadata.root.name, version: sbom.metadata.root.version, declared: facts.rootDeclared },
    timestampValid: facts.timestampValid,
    authors: [...new Set(facts.authors)].sort(),
    tools: [...new Set(facts.toolNames)].sort(),
    dependencyGraph: facts.dependencyEdgeCount > 0,
    dependencyEdges: facts.dependencyEdgeCount,
    rootDependencies: facts.rootDependencyCount,
    componentsInGraph: coverage(rows.filter((r) => inGraph.has(r.component.bomRef) || r.facts.nestedIn !== undefined).length, rows.length),
    componentsDeclaringDependencies: coverage(topLevel.filter((r) => declaring.has(r.component.bomRef)).length, topLevel.length),
  };
  if (facts.timestamp !== undefined) out.timestamp = facts.timestamp;
  return out;
}

function coverage(count: number, total: number): Coverage {
  return { count, total, ratio: total === 0 ? 0 : Math.round((count / total) * 1000) / 1000 };
}

function componentRef(component: Component): ComponentRef {
  const ref: ComponentRef = { ref: component.bomRef, name: component.name, version: component.version };
  if (component.purl !== undefined) ref.purl = component.purl;
  return ref;
}

function byName(a: ComponentRef, b: ComponentRef): number {
  return compare(a.name, b.name) || compare(a.version, b.version) || compare(a.ref, b.ref);
}

function byProblemsThenName(a: ComponentQuality, b: ComponentQuality): number {
  return b.problems.length - a.problems.length || byName(a, b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
