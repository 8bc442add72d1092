import { posix } from "node:path";
import type { CatalogContext } from "../types.js";

// Workspace globs are written "packages/*", "./packages/*" or "packages/*/"; a leading "!" excludes.
function normalizePattern(pattern: string): string {
  return posix.normalize(pattern.trim()).replace(/^\.\//, "").replace(/\/+$/, "");
}

/** True when a project-relative folder is a workspace member by the root manifest's globs. */
export function matchesWorkspacePatterns(folder: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = normalizePattern(negated ? raw.slice(1) : raw);
    if (pattern === "." ? folder === "" : posix.matchesGlob(folder, pattern)) matched = !negated;
  }
  return matched;
}

/** Guards against a hostile tree making "**" walk forever (links are followed by the source). */
const MAX_GLOB_DEPTH = 8;
const MAX_MEMBERS = 10_000;

/**
 * The workspace folders (project-relative, sorted) that the globs name and that hold a package.json: how
 * yarn classic finds its workspaces, which its lockfile does not list. Expanded one path segment at a time
 * over ctx.listDir, never descending into node_modules or dot folders.
 */
export function expandWorkspacePatterns(ctx: CatalogContext, projectPrefix: string, patterns: readonly string[]): string[] {
  const found = new Set<string>();
  for (const raw of patterns) {
    if (raw.startsWith("!")) continue;
    const segments = normalizePattern(raw).split("/").filter((s) => s.length > 0 && s !== ".");
    if (segments.some((s) => s === "..")) continue;
    expand(ctx, projectPrefix, "", segments, found, 0);
  }
  return [...found].filter((folder) => matchesWorkspacePatterns(folder, patterns)).sort();
}

function expand(ctx: CatalogContext, prefix: string, folder: string, segments: readonly string[], found: Set<string>, depth: number): void {
  if (found.size >= MAX_MEMBERS || depth > MAX_GLOB_DEPTH) return;
  if (segments.length === 0) {
    if (folder !== "" && ctx.readFile(`${prefix}${folder}/package.json`) !== undefined) found.add(folder);
    return;
  }
  const [segment, ...rest] = segments as [string, ...string[]];
  const join = (name: string) => (folder === "" ? name : `${folder}/${name}`);
  if (!/[*?[\]{}]/.test(segment)) {
    expand(ctx, prefix, join(segment), rest, found, depth);
    return;
  }
  const children = ctx.listDir(`${prefix}${folder}`).filter((n) => !n.startsWith(".") && n !== "node_modules");
  if (segment === "**") {
    // "**" matches zero or more folders.
    expand(ctx, prefix, folder, rest, found, depth + 1);
    for (const child of children) expand(ctx, prefix, join(child), segments, found, depth + 1);
    return;
  }
  for (const child of children) if (posix.matchesGlob(child, segment)) expand(ctx, prefix, join(child), rest, found, depth + 1);
}
