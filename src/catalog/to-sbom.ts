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
  /**
   * The root component when the SBOM describes something other than a source tree (a container image). A
   * project the catalog found at the top of the tree is then an ordinary component the root depends on.
   */
  root?: Component;
}

/** Turn what the catalogers found into the SBOM model: root component, sorted components, full graph. */
export function toSbom(out: CatalogOutput, facts: SbomFacts): Sbom {
  if (facts.root) out = withRootProjectAsComponent(out);
  const root: Component = facts.root
    ? { ...facts.root, foundIn: [...facts.root.foundIn] }
    : out.rootProject
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

/** The catalog's root project demoted to a component (the image is the root): it keeps its edges. */
function withRootProjectAsComponent(out: CatalogOutput): CatalogOutput {
  const project = out.rootProject;
  if (!project) return out;
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const components = out.components.some((c) => c.bomRef === project.bomRef) ? out.components : [...out.components, project].sort((a, b) => cmp(a.bomRef, b.bomRef));
  const dependencies = [...out.dependencies.filter((d) => d.ref !== project.bomRef), { ref: project.bomRef, dependsOn: out.rootDependsOn }].sort((a, b) => cmp(a.ref, b.ref));
  return { ...out, rootProject: undefined, components, dependencies, rootDependsOn: [...new Set([project.bomRef, ...out.rootDependsOn])].sort(cmp) };
}
