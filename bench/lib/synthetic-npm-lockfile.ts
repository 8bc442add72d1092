import { createHash } from "node:crypto";

/**
 * A synthetic npm lockfile (lockfileVersion 3) of exactly `total` packages, each a distinct name@version,
 * shaped like a real one: scoped and unscoped names, copies of a package nested under node_modules of the
 * package that needs a different major (two levels deep too), sha512 integrity strings, licenses,
 * dependency ranges that resolve the way Node does (nearest node_modules first), and `dev` flags computed
 * from reachability. Deterministic: a seeded PRNG, so every run catalogs the same file.
 * No `resolved` URLs: real lockfiles written on this machine omit them too (omit-lockfile-registry-resolved).
 */

interface LockPackage {
  name: string;
  version: string;
  /** Names this package requires; ranges are filled in once every copy is placed. */
  requires: string[];
}

export interface SyntheticProject {
  packageJson: Record<string, unknown>;
  lockfile: Record<string, unknown>;
}

const LICENSES = ["MIT", "MIT", "MIT", "ISC", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause", "0BSD"];
/** Share of packages that are copies nested under another package, and nested two levels deep. */
const NESTED_SHARE = 0.1;
const DEEP_SHARE = 0.01;
/** Direct dependencies of the project: the first half are runtime, the rest dev. */
const DIRECT_DEPENDENCIES = 40;
/** Share of top-level packages that are leaf utilities depended on from all over the tree. */
const UTILITY_SHARE = 0.02;

/** mulberry32: a tiny, good-enough seeded PRNG (Math.random cannot be seeded). */
function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

export function generateSyntheticNpmProject(total: number, seed = 20_000): SyntheticProject {
  const pick = seededRandom(seed);
  const deepCount = Math.round(total * DEEP_SHARE);
  const nestedCount = Math.round(total * NESTED_SHARE);
  const topCount = total - nestedCount - deepCount;
  if (topCount <= DIRECT_DEPENDENCIES * 2) throw new Error(`synthetic lockfile needs more than ${DIRECT_DEPENDENCIES * 2} packages`);

  const byPath = new Map<string, LockPackage>();
  const top = placeTopLevel(topCount, pick, byPath);
  const topNames = top.map((p) => byPath.get(p)!.name);
  const majorsUsed = new Map<string, number>();
  const nested = placeNestedCopies(top, topNames, nestedCount, pick, byPath, majorsUsed);
  placeNestedCopies(nested, topNames, deepCount, pick, byPath, majorsUsed);
  addRequires(top, byPath, pick);

  const direct = top.slice(0, DIRECT_DEPENDENCIES);
  const runtime = direct.slice(0, DIRECT_DEPENDENCIES / 2);
  const dev = direct.slice(DIRECT_DEPENDENCIES / 2);
  const ranges = (paths: string[]) => Object.fromEntries(paths.map((p) => [byPath.get(p)!.name, `^${byPath.get(p)!.version}`]));
  const manifest = { name: "synthetic-20k", version: "1.0.0", private: true, dependencies: ranges(runtime), devDependencies: ranges(dev) };

  const devOnly = devOnlyPaths(byPath, runtime);
  const rootEntry = { name: manifest.name, version: manifest.version, license: "MIT", dependencies: manifest.dependencies, devDependencies: manifest.devDependencies };
  const packages: Record<string, unknown> = { "": rootEntry };
  for (const path of [...byPath.keys()].sort()) packages[path] = lockEntry(path, byPath, devOnly.has(path), pick);
  return { packageJson: manifest, lockfile: { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages } };
}

/** Top-level packages: one in four scoped (npm's share of scoped names in large trees is about that). */
function placeTopLevel(count: number, pick: (n: number) => number, byPath: Map<string, LockPackage>): string[] {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = i % 4 === 0 ? `@org${i % 97}/module-${i}` : `package-${i}`;
    const path = `node_modules/${name}`;
    byPath.set(path, { name, version: `${1 + pick(9)}.${pick(30)}.${pick(20)}`, requires: [] });
    paths.push(path);
  }
  return paths;
}

/**
 * Nest `count` copies of packages under the node_modules of a parent (as npm does when the parent needs a
 * version the hoisted copy does not satisfy). Each copy gets a major above any top-level one (>= 10) and
 * unique per name, so every entry stays a distinct name@version; the parent requires it.
 */
function placeNestedCopies(
  parents: readonly string[],
  topNames: readonly string[],
  count: number,
  pick: (n: number) => number,
  byPath: Map<string, LockPackage>,
  majorsUsed: Map<string, number>,
): string[] {
  const placed: string[] = [];
  while (placed.length < count) {
    const parentPath = parents[pick(parents.length)]!;
    const parent = byPath.get(parentPath)!;
    const name = topNames[pick(topNames.length)]!;
    const path = `${parentPath}/node_modules/${name}`;
    if (name === parent.name || byPath.has(path) || parentPath.includes(`node_modules/${name}/`)) continue;
    const major = (majorsUsed.get(name) ?? 9) + 1;
    majorsUsed.set(name, major);
    byPath.set(path, { name, version: `${major}.${pick(10)}.${pick(10)}`, requires: [] });
    parent.requires.push(name);
    placed.push(path);
  }
  return placed;
}

/**
 * Dependency edges, shaped like a real tree's: a random recursive tree over the top-level packages (each
 * past the direct ones gets a parent among the earlier ones, so everything is reachable and the depth
 * stays logarithmic), plus edges from most packages to a small pool of leaf "utility" packages that many
 * depend on (the ms/debug/tslib of a real tree), and nested copies requiring a couple of utilities too.
 * Edges between arbitrary packages are avoided on purpose: they make every package the ancestor of
 * thousands of others, which no real tree looks like (and which npm's own Arborist takes minutes to load).
 */
function addRequires(top: readonly string[], byPath: Map<string, LockPackage>, pick: (n: number) => number): void {
  const utilityCount = Math.max(1, Math.round(top.length * UTILITY_SHARE));
  const firstUtility = top.length - utilityCount;
  const nameAt = (i: number) => byPath.get(top[i]!)!.name;
  const randomUtility = () => nameAt(firstUtility + pick(utilityCount));
  for (let j = DIRECT_DEPENDENCIES; j < top.length; j++) {
    // Utilities hang off ordinary packages only, so they stay leaves.
    const parent = pick(Math.min(j, firstUtility));
    byPath.get(top[parent]!)!.requires.push(nameAt(j));
  }
  for (let i = 0; i < firstUtility; i++) {
    for (let k = pick(4); k > 0; k--) byPath.get(top[i]!)!.requires.push(randomUtility());
  }
  for (const [path, pkg] of byPath) {
    if (path.split("node_modules/").length <= 2) continue;
    for (let k = pick(3); k > 0; k--) pkg.requires.push(randomUtility());
  }
}

/** Node's lookup: the nearest node_modules/<name> walking up from the requiring package's own folder. */
function resolveFrom(fromPath: string, name: string, byPath: ReadonlyMap<string, LockPackage>): string | undefined {
  let base = fromPath;
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (byPath.has(candidate)) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

/** Paths not reachable from the runtime dependencies: npm marks these `"dev": true`. */
function devOnlyPaths(byPath: ReadonlyMap<string, LockPackage>, runtimeRoots: readonly string[]): Set<string> {
  const reached = new Set<string>(runtimeRoots);
  const queue = [...runtimeRoots];
  while (queue.length > 0) {
    const path = queue.pop()!;
    for (const name of byPath.get(path)!.requires) {
      const target = resolveFrom(path, name, byPath);
      if (target !== undefined && !reached.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  return new Set([...byPath.keys()].filter((p) => !reached.has(p)));
}

function lockEntry(path: string, byPath: ReadonlyMap<string, LockPackage>, devOnly: boolean, pick: (n: number) => number): Record<string, unknown> {
  const pkg = byPath.get(path)!;
  const dependencies: Record<string, string> = {};
  for (const name of [...new Set(pkg.requires)].filter((n) => n !== pkg.name).sort()) {
    const target = resolveFrom(path, name, byPath);
    if (target !== undefined) dependencies[name] = `^${byPath.get(target)!.version}`;
  }
  return {
    version: pkg.version,
    integrity: `sha512-${createHash("sha512").update(`${pkg.name}@${pkg.version}`).digest("base64")}`,
    ...(devOnly ? { dev: true } : {}),
    license: LICENSES[pick(LICENSES.length)],
    ...(Object.keys(dependencies).length > 0 ? { dependencies } : {}),
  };
}
