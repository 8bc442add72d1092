import { VouchError } from "../core/errors.js";
import { renderDiffTable } from "../sbom/diff/index.js";
import type { ReleaseDiff, ReleaseDiffQuery } from "../sbom-index/diff.js";
import type { SliAbsent, SliQuery, SliRatio, SliValues } from "../sbom-index/sli.js";
import type { IndexClient, SliSummary } from "./index-client.js";
import { renderColumns } from "./tokens.js";

/**
 * `vouch query slis`: the supply-chain SLIs of a vouch server's index.
 *
 * @example
 *   const report = await querySlis(client, { environment: "prod" });
 *   process.stdout.write(renderSliTable(report));
 */
export async function querySlis(client: IndexClient, query: SliQuery & { deployments?: boolean }): Promise<SliSummary> {
  if (query.bucket !== undefined && !["hour", "day", "week"].includes(query.bucket)) throw new VouchError("INPUT_USAGE", `--bucket ${query.bucket}: one of hour, day, week`);
  return client.slis(query);
}

/** `vouch query diff`: the SBOM diff between two releases of a service. */
export async function queryReleaseDiff(client: IndexClient, query: ReleaseDiffQuery): Promise<ReleaseDiff> {
  for (const [flag, value] of [["--service", query.service], ["--from", query.from], ["--to", query.to]] as const) {
    if (value.trim() === "") throw new VouchError("INPUT_USAGE", `${flag} is required`);
  }
  return client.diff(query);
}

const percent = (r: SliRatio | SliAbsent): string => ("absent" in r ? "absent" : r.value === null ? "-" : `${(r.value * 100).toFixed(1)}% (${r.numerator}/${r.denominator})`);

function duration(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}

function row(name: string, v: SliValues): string[] {
  return [name, String(v.deployments), percent(v.signedDeploymentRatio), percent(v.sbomCoverage), percent(v.sbomAlignment), `${duration(v.sbomFreshness.medianSeconds)}${v.sbomFreshness.late > 0 ? ` (${v.sbomFreshness.late} late)` : ""}`, percent(v.provenanceCompleteness)];
}

/** One row overall, then per team, environment and service; then the series, signer anomalies, absent SLIs. */
export function renderSliTable(report: SliSummary): string {
  const header = ["SCOPE", "DEPLOYMENTS", "SIGNED", "SBOM COVERAGE", "SBOM ALIGNMENT", "SBOM AGE AT DEPLOY (MEDIAN)", "PROVENANCE COMPLETE"];
  const rows = [header, row("all", report.overall)];
  for (const g of report.byTeam) rows.push(row(`team ${g.key}`, g.values));
  for (const g of report.byEnvironment) rows.push(row(`environment ${g.key}`, g.values));
  for (const g of report.byService) rows.push(row(`service ${g.key}`, g.values));
  let text = renderColumns(rows);
  if (report.series !== undefined) {
    text += `\nDeployments made per ${report.query.bucket ?? "day"}:\n`;
    text += renderColumns([["FROM", ...header.slice(1)], ...report.series.filter((b) => b.values.deployments > 0).map((b) => row(b.start, b.values))]);
  }
  const absent = new Map<string, string>();
  for (const [name, v] of [["signed deployment ratio", report.overall.signedDeploymentRatio], ["provenance completeness", report.overall.provenanceCompleteness], ["deny rate", report.overall.denyRate]] as const) {
    if ("absent" in v) absent.set(name, v.reason);
  }
  if ("absent" in report.signers) absent.set("signer identities", report.signers.reason);
  else {
    for (const a of report.signers.anomalies) text += `new signer for ${a.service}: ${a.identity}${a.issuer === undefined ? "" : ` (${a.issuer})`} since ${a.firstSeen}, on ${a.digest}\n`;
    if (report.signers.keyUsage.length > 0) {
      text += "\nKey usage:\n";
      text += renderColumns([["SIGNER", "ISSUER", "SIGNATURES", "ARTIFACTS", "SERVICES"], ...report.signers.keyUsage.map((u) => [u.identity, u.issuer ?? "-", String(u.signatures), String(u.artifacts), u.services.join(", ") || "-"])]);
    }
  }
  for (const [name, reason] of absent) text += `${name}: absent: ${reason}\n`;
  return text;
}

export function renderReleaseDiff(result: ReleaseDiff): string {
  const side = (s: ReleaseDiff["from"]) => `${s.version ?? s.release} (${s.format} ${s.specVersion}, ${s.components} components${s.digest === undefined ? "" : `, ${s.digest}`})`;
  const notes = (result.notes ?? []).map((n) => `note: ${n}\n`).join("");
  return `${result.service}: ${side(result.from)} -> ${side(result.to)}\n${renderDiffTable(result.diff)}${notes}`;
}
