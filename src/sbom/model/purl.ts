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
      qualifiers: p.qualifiers === undefined || p.qualifiers === null ? undefined : literalQualifiers(purl, p.qualifiers as Record<string, string>),
    };
  } catch {
    return undefined;
  }
}

/**
 * Qualifier values as the purl spec reads them: percent-decoded, with `+` a literal plus. packageurl-js decodes them
 * as form data (`+` → space), which turns a Debian version such as `2.36.1-8+deb11u1` in syft's unencoded
 * `upstream=util-linux@2.36.1-8+deb11u1` into `2.36.1-8 deb11u1`. Keys come from the library (it lower-cases them).
 */
function literalQualifiers(purl: string, parsed: Record<string, string>): Record<string, string> {
  const query = purl.split("#")[0]!.split("?")[1];
  if (query === undefined) return parsed;
  const out: Record<string, string> = { ...parsed };
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).toLowerCase();
    if (!(key in out)) continue;
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      // a malformed escape: keep what the library read
    }
  }
  return out;
}

/** The purl without version, qualifiers and subpath: how diff matches a component across releases. */
export function purlWithoutVersion(purl: string): string | undefined {
  const p = parsePurl(purl);
  if (!p) return undefined;
  return new PackageURL(p.type, p.namespace, p.name, undefined, undefined, undefined).toString();
}
