import { VouchError } from "../core/errors.js";
import { normalizePypiName, parsePurl, type ParsedPurl } from "../sbom/model/purl.js";
import type { Component } from "../sbom/model/types.js";
import type { ReadSbom } from "../sbom/read/index.js";
import type { IndexComponent, IndexOsvKey, IndexPurlKey } from "../store/ports.js";
import { mapPurl } from "../vuln/osv/purl.js";
import { sourceHint } from "../vuln/scan.js";

/**
 * The keys the index finds a component by, computed once at ingest and again, the same way, from a query's purl:
 *
 * - the purl key (type, namespace, name) in the purl spec's canonical form per type, so that two spellings of one
 *   package are one key. packageurl-js already lower-cases the type and the names of the types the spec declares
 *   case-insensitive (npm, pypi, github, bitbucket, composer, deb, apk, hex…) and maps pypi's `_` to `-`; on top,
 *   pypi names are PEP 503 normalised (`zope.interface` and `zope-interface` are one project, as the spec's own
 *   pypi rule intends) and nuget ids lower-cased (NuGet ids are case-insensitive; SBOM tools write both spellings).
 *   Version, qualifiers and subpath are not part of the key: an impact query asks about a package, then filters by
 *   version in the ecosystem's order.
 * - the OSV package (src/vuln/osv/purl.ts mapPurl, with the source package SBOM tools record beside OS packages,
 *   src/vuln/scan.ts sourceHint), which is what advisories name: `Debian` `openssl`, not `deb` `libssl3`.
 */

/** The purl key of a parsed purl. */
export function purlKeyOf(p: ParsedPurl): IndexPurlKey {
  let name = p.name;
  let namespace = p.namespace ?? "";
  switch (p.type) {
    case "pypi":
      name = normalizePypiName(name);
      break;
    case "nuget":
      name = name.toLowerCase();
      namespace = namespace.toLowerCase();
      break;
  }
  return { type: p.type, namespace, name };
}

/** The OSV package of a component with this purl, when the purl names an OSV ecosystem. */
export function osvKeyOf(purl: string, p: ParsedPurl, version: string | undefined, properties: Component["properties"]): IndexOsvKey | undefined {
  const os = p.type === "deb" || p.type === "apk" || p.type === "rpm";
  const mapping = mapPurl(purl, os ? sourceHint(p.type, properties) : undefined);
  if (!mapping.ok) return undefined;
  const key: IndexOsvKey = { ecosystem: mapping.key.ecosystem, name: mapping.key.name };
  if (mapping.key.release !== undefined) key.release = mapping.key.release;
  const v = mapping.key.version ?? version;
  if (v !== undefined) key.version = v;
  return key;
}

/** An SBOM component as the index stores it. */
export function indexComponent(c: Component): IndexComponent {
  const out: IndexComponent = { name: c.name };
  if (c.version !== "") out.version = c.version;
  const license = c.licenses.map((l) => ("expression" in l ? l.expression : l.name)).join(" AND ");
  if (license !== "") out.license = license;
  if (c.purl === undefined) return out;
  const parsed = parsePurl(c.purl);
  if (parsed === undefined) return out;
  out.purl = c.purl;
  if (parsed.version !== undefined && parsed.version !== "" && parsed.version !== out.version) out.purlVersion = parsed.version;
  out.purlKey = purlKeyOf(parsed);
  const osv = osvKeyOf(c.purl, parsed, out.version, c.properties);
  if (osv !== undefined) out.osvKey = osv;
  return out;
}

/** The purl a query names: its key, and the version when it has one. Qualifiers and subpath are ignored. */
export function queryPurl(text: string): { key: IndexPurlKey; version?: string } {
  const parsed = text.length <= 4096 ? parsePurl(text.trim()) : undefined;
  if (parsed === undefined) throw new VouchError("INPUT_MALFORMED", `not a package URL: ${JSON.stringify(text.slice(0, 120))} (expected pkg:<type>/<namespace>/<name>[@<version>])`);
  const out: { key: IndexPurlKey; version?: string } = { key: purlKeyOf(parsed) };
  if (parsed.version !== undefined && parsed.version !== "") out.version = parsed.version;
  return out;
}

// A purl type's version order (schemeForPurlType) is the matcher's: src/vuln/versions.
export { purlTypesWithScheme as rangeTypes, schemeForPurlType } from "../vuln/versions/index.js";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The artifact digest an SBOM names for its subject, when it names one: the root component's SHA-256 (CycloneDX
 * metadata.component.hashes, SPDX's described package checksums), or an OCI/Docker purl version or a root version that
 * is a sha256 digest (syft and trivy write the image's manifest or config digest there).
 */
export function subjectDigest(read: ReadSbom): `sha256:${string}` | undefined {
  if (!read.document.rootDeclared) return undefined;
  const root = read.sbom.metadata.root;
  const hash = root.hashes.find((h) => h.alg === "SHA-256");
  if (hash !== undefined && /^[0-9a-f]{64}$/.test(hash.content)) return `sha256:${hash.content}`;
  if (root.purl !== undefined) {
    const p = parsePurl(root.purl);
    const v = p?.version?.toLowerCase();
    if (p !== undefined && (p.type === "oci" || p.type === "docker") && v !== undefined && DIGEST.test(v)) return v as `sha256:${string}`;
  }
  // syft and trivy write an image's digest as the root's version (the reader keeps the version, not the type).
  if (DIGEST.test(root.version.toLowerCase())) return root.version.toLowerCase() as `sha256:${string}`;
  return undefined;
}
