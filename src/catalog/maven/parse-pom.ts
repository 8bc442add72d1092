import { posix } from "node:path";
import type { ExternalRef, Scope } from "../../sbom/model/types.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import { PomResolver, readPom, type EffectivePom, type ResolvedDependency } from "./pom-model.js";

/**
 * pom.xml: the project's declared <dependencies>, resolved as far as the tree allows (parents through
 * <relativePath>, properties, dependencyManagement, BOMs and sibling modules of the same build). No
 * repository is contacted, so transitive dependencies are not known: this is the manifest view syft's
 * and cdxgen's offline pom parsing give. Each module pom is its own file and its own project.
 *
 * Not read: <profiles> (which one is active depends on the build machine) and plugin <dependencies>
 * (build tooling, not part of the artifact).
 */
export function parsePom(file: SourceFile, ctx: CatalogContext): ParseResult {
  const pom = readPom(file.path, file.text);
  const effective = new PomResolver(ctx).effective(pom);
  for (const problem of effective.problems) ctx.warn(problem.message, problem.line);

  const byId = new Map<string, PackageRecord>();
  for (const dep of effective.dependencies) {
    if (dep.version === undefined) ctx.warn(unresolvedVersionMessage(dep, effective), dep.line);
    const record = dependencyRecord(dep);
    const seen = byId.get(record.id);
    if (!seen) byId.set(record.id, record);
    else if (SCOPE_RANK[record.scope] > SCOPE_RANK[seen.scope]) seen.scope = record.scope;
  }
  const packages = [...byId.values()];
  return { project: projectRecord(effective), directDependencies: packages.map((p) => p.id), packages };
}

function unresolvedVersionMessage(dep: ResolvedDependency, pom: EffectivePom): string {
  const name = `${dep.groupId}:${dep.artifactId}`;
  if (dep.unresolvedVersion !== undefined) return `${name}: version "${dep.unresolvedVersion}" could not be resolved; listed without a version`;
  const parent = pom.parentOutsideTree;
  const where = parent
    ? `no version declared; it may be managed by the parent ${parent.groupId ?? "?"}:${parent.artifactId ?? "?"}:${parent.version ?? "?"}, which is not in the tree`
    : "no version is declared or managed in this file or its parents";
  return `${name}: ${where}; listed without a version`;
}

const SCOPE_RANK: Record<Scope, number> = { required: 3, optional: 2, dev: 1 };

/**
 * Maven scope to SBOM scope. test is dev. provided and system are on the compile classpath but not shipped
 * with the artifact (the container or the JDK supplies them): cdxgen maps them to CycloneDX "excluded",
 * which this model does not have; "optional" is the closest, as it is for <optional>true</optional>.
 */
function sbomScope(dep: ResolvedDependency): Scope {
  if (dep.scope === "test") return "dev";
  if (dep.optional || dep.scope === "provided" || dep.scope === "system") return "optional";
  return "required";
}

function dependencyRecord(dep: ResolvedDependency): PackageRecord {
  const qualifiers: Record<string, string> = {};
  // purl-spec maven: type defaults to jar; classifier when the artifact has one.
  if (dep.type !== "jar") qualifiers["type"] = dep.type;
  if (dep.classifier) qualifiers["classifier"] = dep.classifier;
  const purl = buildPurl("maven", { namespace: dep.groupId, name: dep.artifactId, version: dep.version, qualifiers });
  return {
    id: purl,
    ecosystem: "maven",
    name: dep.artifactId,
    group: dep.groupId,
    version: dep.version ?? "",
    purl,
    hashes: [],
    scope: sbomScope(dep),
    dependsOn: [],
  };
}

function projectRecord(pom: EffectivePom): ProjectRecord | undefined {
  if (!pom.artifactId) return undefined;
  const externalRefs: ExternalRef[] = [];
  if (pom.url) externalRefs.push({ type: "website", url: pom.url });
  if (pom.scmUrl) externalRefs.push({ type: "vcs", url: pom.scmUrl });
  const version = pom.version ?? "";
  return {
    name: pom.artifactId,
    version,
    group: pom.groupId,
    ecosystem: "maven",
    // A module's purl is the one a sibling's dependency on it carries, so the two meet in one component.
    purl: pom.groupId ? buildPurl("maven", { namespace: pom.groupId, name: pom.artifactId, version }) : undefined,
    ...(pom.licenses.length > 0 ? { licenseDeclared: pom.licenses } : {}),
    ...(pom.description ? { description: pom.description } : {}),
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
  };
}

export const pomCataloger: Cataloger = {
  name: "maven-pom",
  ecosystem: "maven",
  matches: (path) => posix.basename(path) === "pom.xml",
  parse: parsePom,
};
