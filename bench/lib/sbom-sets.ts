import { readFileSync } from "node:fs";

/**
 * name@version sets: the truth from `npm ls`, what a CycloneDX SBOM lists, and how the two compare.
 * Everything is compared as a set of "name@version" strings, with scoped names spelled "@scope/name".
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface NpmLsTruth {
  /** "name@version" of every package installed in the tree (the root project excluded). */
  packages: Set<string>;
  /** Tree nodes visited (deduped repeats and not-installed entries included). */
  nodes: number;
  /** Distinct package folders on disk (`path` of each node, from --long): the installed package count. */
  installedFolders: Set<string>;
  /** Nodes npm flagged, by kind: what a reader needs to judge the truth. */
  flagged: { missing: number; notInstalledOptional: number; extraneous: number; invalid: number; peer: number; aliased: number };
  /** npm's own problem list ("missing: x@1, required by y"), empty for a healthy tree. */
  problems: string[];
}

/**
 * The truth set from `npm ls --all --json --long` output. How each kind of node counts, and why:
 * - the root project is not a dependency: it is the SBOM's metadata component, so it is left out;
 * - deduped entries (the same installed package reached again) repeat a name@version: a set absorbs them;
 * - `missing` entries and empty `{}` entries (optional or optional-peer dependencies not installed, e.g.
 *   another platform's native binary) name nothing on disk, so they are left out;
 * - `extraneous` (on disk but required by nobody) and `invalid` (on disk at a version outside the range)
 *   packages are installed, so they count, at the version installed;
 * - `peer` entries count like any other when installed;
 * - aliases (`"string-width-cjs": "npm:string-width@^4"`): npm ls keys the node by the alias, but the
 *   package on disk is string-width, which is what an SBOM (and its purl) must name. `--long` adds the
 *   installed package.json's own `name`, so that is used. This is why `--long` is passed.
 */
export function truthFromNpmLs(lsJson: string): NpmLsTruth {
  const root: unknown = JSON.parse(lsJson);
  if (!isObject(root)) throw new Error("npm ls --json did not print an object");
  const truth: NpmLsTruth = {
    packages: new Set(),
    nodes: 0,
    installedFolders: new Set(),
    flagged: { missing: 0, notInstalledOptional: 0, extraneous: 0, invalid: 0, peer: 0, aliased: 0 },
    problems: Array.isArray(root.problems) ? root.problems.map(String) : [],
  };
  walkNpmLs(root, truth);
  return truth;
}

function walkNpmLs(node: Json, truth: NpmLsTruth): void {
  const children = isObject(node.dependencies) ? node.dependencies : {};
  for (const [key, child] of Object.entries(children)) {
    if (!isObject(child)) continue;
    truth.nodes++;
    if (child.missing === true) {
      truth.flagged.missing++;
      continue;
    }
    if (typeof child.version !== "string") {
      truth.flagged.notInstalledOptional++;
      continue;
    }
    if (child.extraneous === true) truth.flagged.extraneous++;
    if (child.invalid === true || typeof child.invalid === "string") truth.flagged.invalid++;
    if (child.peer === true) truth.flagged.peer++;
    const realName = typeof child.name === "string" ? child.name : key;
    if (realName !== key) truth.flagged.aliased++;
    truth.packages.add(`${realName}@${child.version}`);
    if (typeof child.path === "string") truth.installedFolders.add(child.path);
    walkNpmLs(child, truth);
  }
}

export interface SbomSet {
  /** Component entries in the document (nested ones included, the root left out). */
  components: number;
  packages: Set<string>;
}

/**
 * The name@version set of a CycloneDX JSON document. The metadata component (the project itself) is left
 * out, as is any component carrying its bom-ref or purl (some tools repeat the root among the components).
 * Components nested under components (cyclonedx-npm's default layout mirrors node_modules) are walked.
 */
export function cyclonedxNameVersions(path: string): SbomSet {
  const doc: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!isObject(doc)) throw new Error(`${path}: not a CycloneDX JSON object`);
  const meta = isObject(doc.metadata) && isObject(doc.metadata.component) ? doc.metadata.component : {};
  const rootIds = new Set([meta["bom-ref"], meta.purl].filter((v): v is string => typeof v === "string"));
  const set: SbomSet = { components: 0, packages: new Set() };
  collectComponents(doc.components, rootIds, set);
  return set;
}

function collectComponents(list: unknown, rootIds: ReadonlySet<string>, set: SbomSet): void {
  if (!Array.isArray(list)) return;
  for (const c of list) {
    if (!isObject(c)) continue;
    collectComponents(c.components, rootIds, set);
    if ((typeof c["bom-ref"] === "string" && rootIds.has(c["bom-ref"])) || (typeof c.purl === "string" && rootIds.has(c.purl))) continue;
    if (typeof c.name !== "string") continue;
    set.components++;
    const name = typeof c.group === "string" && c.group !== "" ? `${c.group}/${c.name}` : c.name;
    set.packages.add(`${name}@${typeof c.version === "string" ? c.version : ""}`);
  }
}

export interface Accuracy {
  found: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** In the truth, not in the SBOM (sorted). */
  misses: string[];
  /** In the SBOM, not in the truth (sorted). */
  extras: string[];
}

export function compareSets(truth: ReadonlySet<string>, found: ReadonlySet<string>): Accuracy {
  const misses = [...truth].filter((p) => !found.has(p)).sort();
  const extras = [...found].filter((p) => !truth.has(p)).sort();
  const truePositives = found.size - extras.length;
  return {
    found: found.size,
    truePositives,
    precision: found.size === 0 ? 0 : truePositives / found.size,
    recall: truth.size === 0 ? 1 : truePositives / truth.size,
    misses,
    extras,
  };
}
