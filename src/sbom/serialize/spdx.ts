import { sha256Hex } from "../../core/crypto/digest.js";
import type { Component, HashAlgorithm, License, Sbom, Scope } from "../model/types.js";
import { licenseRef } from "./cyclonedx.js";

export interface SpdxOptions {
  /** A URI unique to this document; derived from content by the caller when output must be reproducible. */
  documentNamespace: string;
}

type Json = Record<string, unknown>;

/** SPDX 2.3 checksum algorithm names (clause 7.10). */
const SPDX_ALGORITHM: Record<HashAlgorithm, string> = {
  MD5: "MD5",
  "SHA-1": "SHA1",
  "SHA-256": "SHA256",
  "SHA-384": "SHA384",
  "SHA-512": "SHA512",
  "SHA3-256": "SHA3-256",
  "SHA3-384": "SHA3-384",
  "SHA3-512": "SHA3-512",
  "BLAKE2b-256": "BLAKE2b-256",
  "BLAKE2b-384": "BLAKE2b-384",
  "BLAKE2b-512": "BLAKE2b-512",
  BLAKE3: "BLAKE3",
};

/**
 * Serialise the model as SPDX 2.3 JSON. The root component is DESCRIBED by the document; edges become
 * DEPENDS_ON, except towards dev-only or optional components, which SPDX spells from the other side
 * (B DEV_DEPENDENCY_OF A, B OPTIONAL_DEPENDENCY_OF A: clause 11.1).
 */
export function toSpdx(sbom: Sbom, options: SpdxOptions): Json {
  const all = [sbom.metadata.root, ...sbom.components];
  const ids = new SpdxIds(all);
  const scopeOf = new Map(all.map((c) => [c.bomRef, c.scope]));
  const extracted = new Map<string, string>();
  const packages = all.map((c) => spdxPackage(c, ids.of(c.bomRef), c === sbom.metadata.root, extracted));

  const relationships: Json[] = [
    { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: ids.of(sbom.metadata.root.bomRef) },
  ];
  for (const dep of sbom.dependencies) {
    if (!ids.has(dep.ref)) continue;
    for (const to of dep.dependsOn) {
      if (!ids.has(to)) continue;
      relationships.push(relationship(ids.of(dep.ref), ids.of(to), scopeOf.get(to) ?? "required"));
    }
  }

  const creators = [
    ...(sbom.metadata.authors ?? []).map((a) => `Organization: ${oneLine(a)}`),
    ...sbom.metadata.tools.map((t) => `Tool: ${t.name}-${t.version}`),
  ];
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: documentName(sbom.metadata.root),
    documentNamespace: options.documentNamespace,
    creationInfo: {
      created: sbom.metadata.timestamp,
      creators,
      ...(buildComment(sbom) ? { comment: buildComment(sbom) } : {}),
    },
    packages,
    relationships,
    ...(extracted.size > 0
      ? {
          hasExtractedLicensingInfos: [...extracted.entries()]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([licenseId, name]) => ({ licenseId, extractedText: name, name })),
        }
      : {}),
  };
}

function relationship(from: string, to: string, toScope: Scope): Json {
  if (toScope === "dev") return { spdxElementId: to, relationshipType: "DEV_DEPENDENCY_OF", relatedSpdxElement: from };
  if (toScope === "optional") return { spdxElementId: to, relationshipType: "OPTIONAL_DEPENDENCY_OF", relatedSpdxElement: from };
  return { spdxElementId: from, relationshipType: "DEPENDS_ON", relatedSpdxElement: to };
}

function spdxPackage(c: Component, id: string, isRoot: boolean, extracted: Map<string, string>): Json {
  const vcs = c.externalRefs.find((r) => r.type === "vcs")?.url;
  const homepage = c.externalRefs.find((r) => r.type === "website")?.url;
  const comment = [
    ...(c.foundIn.length > 0 ? [`found in: ${c.foundIn.join(", ")}`] : []),
    ...(c.scope === "dev" ? ["scope: dev"] : c.scope === "optional" ? ["scope: optional"] : []),
  ].join("; ");
  return {
    name: qualifiedName(c),
    SPDXID: id,
    ...(c.version ? { versionInfo: c.version } : {}),
    ...(c.supplier ? { supplier: `Organization: ${oneLine(c.supplier)}` } : { supplier: "NOASSERTION" }),
    ...(c.author ? { originator: `Person: ${oneLine(c.author)}` } : {}),
    downloadLocation: vcs && /^git\+|\.git$/.test(vcs) ? vcs : "NOASSERTION",
    filesAnalyzed: false,
    ...(c.hashes.length > 0
      ? { checksums: c.hashes.map((h) => ({ algorithm: SPDX_ALGORITHM[h.alg], checksumValue: h.content })) }
      : {}),
    ...(homepage && /^https?:\/\//.test(homepage) ? { homepage } : {}),
    ...(comment ? { sourceInfo: comment } : {}),
    licenseConcluded: "NOASSERTION",
    licenseDeclared: spdxLicense(c.licenses, extracted),
    copyrightText: "NOASSERTION",
    ...(c.description ? { description: c.description } : {}),
    ...(c.purl
      ? { externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: c.purl }] }
      : {}),
    primaryPackagePurpose: PURPOSE[isRoot && c.type !== "container" ? "application" : c.type],
  };
}

const PURPOSE: Record<Component["type"], string> = { application: "APPLICATION", framework: "FRAMEWORK", library: "LIBRARY", file: "LIBRARY", container: "CONTAINER" };

/** One SPDX expression for all declared licenses (AND-ed); non-SPDX names become extracted LicenseRefs. */
function spdxLicense(licenses: readonly License[], extracted: Map<string, string>): string {
  if (licenses.length === 0) return "NOASSERTION";
  const parts = licenses.map((l) => {
    if ("expression" in l) return licenses.length > 1 && /\s/.test(l.expression) ? `(${l.expression})` : l.expression;
    const ref = licenseRef(l.name);
    extracted.set(ref, l.name);
    return ref;
  });
  return parts.join(" AND ");
}

/** The name as its ecosystem writes it: "group:artifact" for Maven, "@scope/name", "vendor/name", module paths. */
export function qualifiedName(c: Pick<Component, "ecosystem" | "group" | "name">): string {
  if (!c.group) return c.name;
  return c.ecosystem === "maven" ? `${c.group}:${c.name}` : `${c.group}/${c.name}`;
}

function documentName(root: Component): string {
  return root.version ? `${root.name}@${root.version}` : root.name;
}

function buildComment(sbom: Sbom): string {
  const { git, ci } = sbom.metadata.build;
  const parts = [
    ...(git?.commit ? [`git commit ${git.commit}`] : []),
    ...(git?.branch ? [`branch ${git.branch}`] : []),
    ...(git?.remote ? [`remote ${git.remote}`] : []),
    ...(ci ? [`${ci.provider} run ${ci.runUrl ?? ci.runId}`] : []),
  ];
  return parts.join("; ");
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/**
 * SPDX identifiers ("SPDXRef-" + [A-Za-z0-9.-]+) that stay the same for the same component across runs:
 * readable name and version, plus a short digest of the bomRef so that distinct components never collide.
 */
class SpdxIds {
  private readonly ids = new Map<string, string>();

  constructor(components: readonly Component[]) {
    for (const c of components) {
      const readable = `${c.ecosystem}-${c.name}-${c.version || "unversioned"}`.replace(/[^A-Za-z0-9.-]+/g, "-");
      this.ids.set(c.bomRef, `SPDXRef-Package-${readable}-${sha256Hex(c.bomRef).slice(0, 8)}`);
    }
  }

  has(bomRef: string): boolean {
    return this.ids.has(bomRef);
  }

  of(bomRef: string): string {
    const id = this.ids.get(bomRef);
    if (id === undefined) throw new Error(`no SPDX id for ${bomRef}`);
    return id;
  }
}
