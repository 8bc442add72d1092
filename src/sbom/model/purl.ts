import { PackageURL } from "packageurl-js";
import type { Ecosystem } from "./types.js";

/** purl type per ecosystem (purl-spec PURL-TYPES). */
const PURL_TYPE: Record<Ecosystem, string> = {
  npm: "npm",
  pypi: "pypi",
  golang: "golang",
  cargo: "cargo",
  maven: "maven",
  gem: "gem",
  composer: "composer",
  nuget: "nuget",
  deb: "deb",
  apk: "apk",
  rpm: "rpm",
  generic: "generic",
};

export interface PurlParts {
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string>;
  subpath?: string;
}

/**
 * Build a purl string exactly per the purl spec for the ecosystem's type. packageurl-js applies the
 * type-specific rules (npm scope encoding, PyPI lower-casing and `_` to `-`, Go module paths).
 */
export function buildPurl(ecosystem: Ecosystem, parts: PurlParts): string {
  const qualifiers = parts.qualifiers && Object.keys(parts.qualifiers).length > 0 ? parts.qualifiers : undefined;
  return new PackageURL(
    PURL_TYPE[ecosystem],
    parts.namespace || undefined,
    parts.name,
    parts.version || undefined,
    qualifiers,
    parts.subpath || undefined,
  ).toString();
}

/** npm names carry their scope: "@scope/name" -> namespace "@scope", name "name". */
export function npmPurl(fullName: string, version: string, qualifiers?: Record<string, string>): string {
  const slash = fullName.startsWith("@") ? fullName.indexOf("/") : -1;
  return slash > 0
    ? buildPurl("npm", { namespace: fullName.slice(0, slash), name: fullName.slice(slash + 1), version, qualifiers })
    : buildPurl("npm", { name: fullName, version, qualifiers });
}

/** Go module path "github.com/a/b" -> namespace "github.com/a", name "b". */
export function golangPurl(modulePath: string, version: string): string {
  const slash = modulePath.lastIndexOf("/");
  return slash > 0
    ? buildPurl("golang", { namespace: modulePath.slice(0, slash), name: modulePath.slice(slash + 1), version })
    : buildPurl("golang", { name: modulePath, version });
}

/** PEP 503 normalised project name: the form PyPI itself compares names in. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export interface ParsedPurl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string>;
}

/** Parse a purl; undefined when it is not a valid purl. */
export function parsePurl(purl: string): ParsedPurl | undefined {
  try {
    const p = PackageURL.fromString(purl);
    return {
      type: p.type,
      namespace: p.namespace ?? undefined,
      name: p.name,
      version: p.version ?? undefined,
      qualifiers: (p.qualifiers as Record<string, string> | undefined) ?? undefined,
    };
  } catch {
    return undefined;
  }
}

/** The purl without version, qualifiers and subpath: how diff matches a component across releases. */
export function purlWithoutVersion(purl: string): string | undefined {
  const p = parsePurl(purl);
  if (!p) return undefined;
  return new PackageURL(p.type, p.namespace, p.name, undefined, undefined, undefined).toString();
}
