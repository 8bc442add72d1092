import type { Component, ExternalRefType, License, Sbom } from "../model/types.js";

export type CycloneDxVersion = "1.5" | "1.6" | "1.7";
export const CYCLONEDX_VERSIONS: readonly CycloneDxVersion[] = ["1.5", "1.6", "1.7"];

export interface CycloneDxOptions {
  specVersion: CycloneDxVersion;
  /** urn:uuid:… — derived from content by the caller when output must be reproducible. */
  serialNumber: string;
}

type Json = Record<string, unknown>;

/**
 * Serialise the model as CycloneDX JSON (1.5, 1.6 or 1.7). Output is deterministic: the model's lists are
 * already sorted, and every object is built with a fixed key order.
 */
export function toCycloneDx(sbom: Sbom, options: CycloneDxOptions): Json {
  const v = options.specVersion;
  const known = new Set([sbom.metadata.root.bomRef, ...sbom.components.map((c) => c.bomRef)]);
  return {
    $schema: `http://cyclonedx.org/schema/bom-${v}.schema.json`,
    bomFormat: "CycloneDX",
    specVersion: v,
    serialNumber: options.serialNumber,
    version: 1,
    metadata: metadata(sbom, v),
    components: sbom.components.map((c) => component(c, v)),
    dependencies: dependencies(sbom, known),
  };
}

function metadata(sbom: Sbom, v: CycloneDxVersion): Json {
  const { git, ci } = sbom.metadata.build;
  const properties = [
    ...(git?.commit ? [{ name: "vouch:git:commit", value: git.commit }] : []),
    ...(git?.branch ? [{ name: "vouch:git:branch", value: git.branch }] : []),
    ...(ci ? ciProperties(ci) : []),
  ];
  const root = component(sbom.metadata.root, v);
  const rootRefs = (root.externalReferences as Json[] | undefined) ?? [];
  if (git?.remote) rootRefs.push({ type: "vcs", url: git.remote });
  if (ci?.runUrl) rootRefs.push({ type: "build-meta", url: ci.runUrl });
  if (rootRefs.length > 0) root.externalReferences = dedupeRefs(rootRefs);
  return {
    timestamp: sbom.metadata.timestamp,
    lifecycles: [{ phase: "build" }],
    ...(sbom.metadata.authors?.length ? { authors: sbom.metadata.authors.map((name) => ({ name })) } : {}),
    tools: {
      components: sbom.metadata.tools.map((t) => ({
        type: "application",
        ...(t.vendor ? { author: t.vendor } : {}),
        name: t.name,
        version: t.version,
      })),
    },
    component: root,
    ...(properties.length > 0 ? { properties } : {}),
  };
}

function ciProperties(ci: NonNullable<Sbom["metadata"]["build"]["ci"]>) {
  return [
    { name: "vouch:ci:provider", value: ci.provider },
    { name: "vouch:ci:run-id", value: ci.runId },
    ...(ci.workflow ? [{ name: "vouch:ci:workflow", value: ci.workflow }] : []),
    ...(ci.repository ? [{ name: "vouch:ci:repository", value: ci.repository }] : []),
    ...(ci.ref ? [{ name: "vouch:ci:ref", value: ci.ref }] : []),
    ...(ci.sha ? [{ name: "vouch:ci:sha", value: ci.sha }] : []),
  ];
}

const EXTERNAL_REF_TYPE: Record<ExternalRefType, string> = {
  vcs: "vcs",
  website: "website",
  distribution: "distribution",
  "issue-tracker": "issue-tracker",
};

function component(c: Component, v: CycloneDxVersion): Json {
  const properties = [...c.properties];
  // CycloneDX has no "dev" scope: dev-only components are "excluded" (not part of the runtime), and the
  // property keeps the finer fact for readers (cdxgen marks them the same way).
  if (c.scope === "dev") properties.push({ name: "vouch:scope", value: "dev" });
  for (const f of c.foundIn) properties.push({ name: "vouch:found-in", value: f });
  const licenses = cdxLicenses(c.licenses, v);
  const refs = c.externalRefs.filter((r) => isUri(r.url)).map((r) => ({ type: EXTERNAL_REF_TYPE[r.type], url: r.url }));
  return {
    type: c.type,
    "bom-ref": c.bomRef,
    ...(c.supplier ? { supplier: { name: c.supplier } } : {}),
    ...(c.author ? (v === "1.5" ? { author: c.author } : { authors: [{ name: c.author }] }) : {}),
    ...(c.group ? { group: c.group } : {}),
    name: c.name,
    ...(c.version ? { version: c.version } : {}),
    ...(c.description ? { description: c.description } : {}),
    ...(c.type === "application" || c.type === "container" ? {} : { scope: c.scope === "dev" ? "excluded" : c.scope }),
    ...(c.hashes.length > 0 ? { hashes: c.hashes.map((h) => ({ alg: h.alg, content: h.content })) } : {}),
    ...(licenses.length > 0 ? { licenses } : {}),
    ...(c.purl ? { purl: c.purl } : {}),
    ...(refs.length > 0 ? { externalReferences: dedupeRefs(refs) } : {}),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

/**
 * CycloneDX allows either license objects (id or name) or exactly one SPDX expression, never a mix. A single
 * SPDX id becomes {license: {id}}, a compound expression {expression}; several licenses that include a
 * compound one are AND-ed into one expression, with non-SPDX names as LicenseRef- identifiers.
 */
function cdxLicenses(licenses: readonly License[], v: CycloneDxVersion): Json[] {
  if (licenses.length === 0) return [];
  const ack = v === "1.5" ? {} : { acknowledgement: "declared" };
  const compound = licenses.some((l) => "expression" in l && !isSimpleId(l.expression));
  if (!compound) {
    return licenses.map((l) =>
      "expression" in l ? { license: { id: l.expression, ...ack } } : { license: { name: l.name, ...ack } },
    );
  }
  if (licenses.length === 1 && "expression" in licenses[0]!) return [{ expression: licenses[0].expression, ...ack }];
  const parts = licenses.map((l) => ("expression" in l ? wrap(l.expression) : licenseRef(l.name)));
  return [{ expression: parts.join(" AND "), ...ack }];
}

function isSimpleId(expression: string): boolean {
  return /^[A-Za-z0-9.+-]+$/.test(expression) && !expression.startsWith("LicenseRef-") && !expression.endsWith("+");
}

function wrap(e: string): string {
  return /\s/.test(e) ? `(${e})` : e;
}

/** "LicenseRef-" + the name reduced to the idstring alphabet of the SPDX expression grammar. */
export function licenseRef(name: string): string {
  return `LicenseRef-${name.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "unknown"}`;
}

function dependencies(sbom: Sbom, known: Set<string>): Json[] {
  const byRef = new Map(sbom.dependencies.map((d) => [d.ref, d.dependsOn]));
  // Every component gets an entry (an empty dependsOn says "no dependencies", not "unknown").
  const refs = [...known].sort();
  return refs.map((ref) => ({ ref, dependsOn: (byRef.get(ref) ?? []).filter((d) => known.has(d)) }));
}

function dedupeRefs(refs: Json[]): Json[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = `${String(r.type)} ${String(r.url)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** CycloneDX's externalReference.url is an iri-reference; drop values that are not URLs at all. */
function isUri(url: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(url) && !/\s/.test(url);
}
