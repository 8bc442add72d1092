import { VouchError } from "../core/errors.js";
import type { AffectedQuery, AffectedResult } from "../sbom-index/types.js";
import type { IndexClient } from "./index-client.js";
import { renderColumns } from "./tokens.js";

/**
 * `vouch query affected`: which services and environments run an artifact containing a component.
 *
 * @example
 *   const result = await queryAffected(client, { purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1" });
 *   process.stdout.write(renderAffectedTable(result));
 */
export async function queryAffected(client: IndexClient, query: AffectedQuery): Promise<AffectedResult> {
  const asked = [query.purl, query.name, query.advisory].filter((v) => v !== undefined).length;
  if (asked !== 1) throw new VouchError("INPUT_USAGE", "ask with exactly one of --purl, --name or --advisory");
  if (query.range !== undefined && query.purl === undefined) throw new VouchError("INPUT_USAGE", "--range goes with --purl");
  return client.affected(query);
}

/**
 * One row per artifact and environment it currently runs in (an artifact deployed nowhere gets one row with "-"),
 * sorted by service, environment, version: service, environment, version, digest, and the matching components'
 * versions.
 */
export function renderAffectedTable(result: AffectedResult): string {
  if (result.artifacts.length === 0) return `no indexed artifact contains a matching component\n${(result.notes ?? []).map((n) => `note: ${n}\n`).join("")}`;
  const rows: string[][] = [];
  for (const a of result.artifacts) {
    const versions = [...new Set(a.components.map((c) => c.version ?? "?"))].sort().join(", ");
    if (a.deployments.length === 0) rows.push([a.service, "-", a.version ?? "-", a.digest ?? "-", versions]);
    for (const d of a.deployments) rows.push([d.service ?? a.service, d.environment, a.version ?? "-", a.digest ?? "-", versions]);
  }
  rows.sort((x, y) => x.join("\u0000").localeCompare(y.join("\u0000"), "en"));
  const summary =
    result.services.length === 0
      ? `${result.artifacts.length} artifact(s) contain it; none is currently deployed\n`
      : `${result.artifacts.length} artifact(s); running in ${result.services.length} service(s) (${result.services.join(", ")}) across ${result.environments.join(", ")}\n`;
  const notes = (result.notes ?? []).map((n) => `note: ${n}\n`).join("");
  return renderColumns([["SERVICE", "ENVIRONMENT", "VERSION", "DIGEST", "COMPONENT VERSION"], ...rows]) + summary + notes;
}
