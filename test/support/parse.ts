import { DirectorySource } from "../../src/catalog/sources/directory.js";
import { MemorySource } from "../../src/catalog/sources/memory.js";
import type { CatalogContext, Cataloger, FileSource, PackageRecord, ParseResult } from "../../src/catalog/types.js";
import type { Scope } from "../../src/sbom/model/types.js";
import { thrownVouchError } from "./errors.js";

/**
 * Running one cataloger's parse function in a unit test, the way the catalog runs it: the file's text and a
 * CatalogContext over a FileSource (a fixture folder on disk, or files held in memory), with the warnings
 * the parser reports collected beside its result.
 */

/** A warning as a parser reports it through `ctx.warn`; `file` only when the parser names another file. */
export interface ParseWarning {
  message: string;
  line?: number;
  file?: string;
}

export type Parsed = ParseResult & { warnings: ParseWarning[] };

type Parse = Cataloger["parse"];

/** A CatalogContext reading from `source` and pushing each warning onto `warnings`. */
export function catalogContext(source: Pick<FileSource, "readFile" | "listDir">, warnings: ParseWarning[] = []): CatalogContext {
  return {
    readFile: (path) => source.readFile(path),
    listDir: (path) => source.listDir(path),
    warn: (message, line, file) => warnings.push(file === undefined ? { message, line } : { message, line, file }),
  };
}

function parseFrom(parse: Parse, source: Pick<FileSource, "readFile" | "listDir">, path: string): Parsed {
  const text = source.readFile(path);
  if (text === undefined) throw new Error(`no file ${path} in the test's source`);
  const warnings: ParseWarning[] = [];
  return { ...parse({ path, text }, catalogContext(source, warnings)), warnings };
}

/**
 * Parse `path` (relative to `root`) with `root` as the source: the other files the parser asks for (a
 * manifest beside a lockfile, a parent pom, an included requirements file) are read from the same folder.
 */
export function parseFixtureFile(parse: Parse, root: string, path: string): Parsed {
  return parseFrom(parse, new DirectorySource(root), path);
}

/** Parse `text` as the file `path` of an in-memory source that also holds `otherFiles` ({ "path": "text" }). */
export function parseText(parse: Parse, path: string, text: string, otherFiles: Record<string, string> = {}): Parsed {
  return parseFrom(parse, new MemorySource({ ...otherFiles, [path]: text }), path);
}

/** What a parser's INPUT_* error says: its code, line and message. Fails the test when `run` does not throw one. */
export function malformedError(run: () => unknown): { code: string; line?: number; message: string } {
  const err = thrownVouchError(run);
  return { code: err.code, line: err.location.line, message: err.message };
}

function find(result: ParseResult, key: "id" | "purl", value: string): PackageRecord {
  const found = result.packages.find((p) => p[key] === value);
  if (!found) throw new Error(`no package with ${key} ${value} among ${result.packages.map((p) => p[key]).join(", ")}`);
  return found;
}

/** The package with this id; throws when there is none. */
export function pkg(result: ParseResult, id: string): PackageRecord {
  return find(result, "id", id);
}

/** The package with this purl; throws when there is none. */
export function pkgByPurl(result: ParseResult, purl: string): PackageRecord {
  return find(result, "purl", purl);
}

/** { id: scope } of every package. */
export function scopes(result: ParseResult): Record<string, Scope> {
  return Object.fromEntries(result.packages.map((p) => [p.id, p.scope]));
}

/** { purl: scope } of every package. */
export function scopesByPurl(result: ParseResult): Record<string, Scope> {
  return Object.fromEntries(result.packages.map((p) => [p.purl, p.scope]));
}
