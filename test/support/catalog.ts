import { catalogSource } from "../../src/catalog/catalog.js";
import { sourceCatalogers } from "../../src/catalog/registry.js";
import { DirectorySource } from "../../src/catalog/sources/directory.js";
import { MemorySource } from "../../src/catalog/sources/memory.js";
import { normalizePypiName } from "../../src/sbom/model/purl.js";
import type { Cataloger } from "../../src/catalog/types.js";
import type { Component } from "../../src/sbom/model/types.js";

/** Catalog a directory on disk with every source cataloger. */
export function catalogDirectory(dir: string, catalogers: readonly Cataloger[] = sourceCatalogers) {
  const source = new DirectorySource(dir);
  const out = catalogSource(source, catalogers);
  return { ...out, warnings: [...source.warnings, ...out.warnings] };
}

/** Catalog in-memory files ({ "path": "text" }) with the given catalogers. */
export function catalogFiles(files: Record<string, string>, catalogers: readonly Cataloger[] = sourceCatalogers) {
  return catalogSource(new MemorySource(files), catalogers);
}

/**
 * name@version as the fixtures' expected-name-versions.txt files write it: npm names with their scope,
 * PyPI names PEP 503-normalised, Maven as group:artifact.
 */
export function nameVersion(c: Component): string {
  if (c.ecosystem === "maven") return `${c.group}:${c.name}@${c.version}`;
  if (c.ecosystem === "pypi") return `${normalizePypiName(c.name)}@${c.version}`;
  if (c.ecosystem === "npm" && c.group) return `${c.group}/${c.name}@${c.version}`;
  if (c.group && (c.ecosystem === "composer" || c.ecosystem === "golang")) return `${c.group}/${c.name}@${c.version}`;
  return `${c.name}@${c.version}`;
}
