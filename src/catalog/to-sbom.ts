import type { BuildInfo, Component, Sbom, Tool } from "../sbom/model/types.js";
import type { CatalogOutput } from "./catalog.js";

export interface SbomFacts {
  /** RFC 3339 UTC, whole seconds. */
  timestamp: string;
  tools: Tool[];
  build: BuildInfo;
  /** Name for the root when no manifest at the top of the tree names the project (the directory's name). */
  fallbackRootName: string;
  /** Who the SBOM data is from (`--author`). */
  authors?: string[];
}

/** Turn what the catalogers found into the SBOM model: root component, sorted components, full graph. */
export function toSbom(out: CatalogOutput, facts: SbomFacts): Sbom {
  const root: Component = out.rootProject
    ? { ...out.rootProject, foundIn: [...out.rootProject.foundIn] }
    : {
        bomRef: `project:${facts.fallbackRootName}`,
        type: "application",
        ecosystem: "generic",
        name: facts.fallbackRootName,
        version: "",
        licenses: [],
        hashes: [],
        scope: "required",
        externalRefs: [],
        foundIn: [],
        properties: [],
      };
  const dependencies = out.dependencies.filter((d) => d.ref !== root.bomRef);
  dependencies.push({ ref: root.bomRef, dependsOn: out.rootDependsOn.filter((r) => r !== root.bomRef) });
  dependencies.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return {
    metadata: { timestamp: facts.timestamp, tools: facts.tools, root, build: facts.build, ...(facts.authors?.length ? { authors: facts.authors } : {}) },
    components: out.components.filter((c) => c.bomRef !== root.bomRef),
    dependencies,
  };
}
