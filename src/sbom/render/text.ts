import { qualifiedName } from "../serialize/spdx.js";
import type { Component, Sbom } from "../model/types.js";

/** `-o purls`: one purl a line, sorted, no duplicates (components without a purl are left out). */
export function renderPurls(sbom: Sbom): string {
  const purls = [...new Set(sbom.components.map((c) => c.purl).filter((p): p is string => !!p))].sort();
  return purls.length > 0 ? `${purls.join("\n")}\n` : "";
}

/** `-o table`: syft-style columns, then a one-line summary per ecosystem. */
export function renderTable(sbom: Sbom): string {
  const rows = sbom.components.map((c) => [qualifiedName(c), c.version || "(none)", c.ecosystem, c.scope, licenseText(c)]);
  const header = ["NAME", "VERSION", "TYPE", "SCOPE", "LICENSE"];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const body = [line(header), ...rows.map(line)];
  return `${body.join("\n")}\n\n${renderSummary(sbom)}`;
}

/** A few lines that say what was found: the demo and the end of `-o table` print this. */
export function renderSummary(sbom: Sbom): string {
  const byEco = new Map<string, number>();
  for (const c of sbom.components) byEco.set(c.ecosystem, (byEco.get(c.ecosystem) ?? 0) + 1);
  const root = sbom.metadata.root;
  const direct = sbom.dependencies.find((d) => d.ref === root.bomRef)?.dependsOn.length ?? 0;
  const eco = [...byEco.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(", ");
  const licensed = sbom.components.filter((c) => c.licenses.length > 0).length;
  const hashed = sbom.components.filter((c) => c.hashes.length > 0).length;
  const git = sbom.metadata.build.git;
  return [
    `${root.name}${root.version ? `@${root.version}` : ""}: ${sbom.components.length} components (${eco || "none"}), ${direct} direct`,
    `with license: ${licensed}, with checksum: ${hashed}, dev-only: ${sbom.components.filter((c) => c.scope === "dev").length}`,
    ...(git?.commit ? [`git ${git.commit.slice(0, 12)}${git.branch ? ` on ${git.branch}` : ""}`] : []),
  ].join("\n") + "\n";
}

function licenseText(c: Component): string {
  if (c.licenses.length === 0) return "";
  return c.licenses.map((l) => ("expression" in l ? l.expression : l.name)).join(" AND ");
}
