import { columns, percent, printable } from "../render/terminal.js";
import { label } from "./gate.js";
import { COMPONENT_PROBLEMS, type ComponentProblem, type ComponentQuality, type Coverage, type QualityReport } from "./types.js";

/** Components shown under "top offenders" and "follow up": the JSON report has all of them. */
const LISTED = 10;

const PROBLEM_TEXT: Readonly<Record<ComponentProblem, string>> = {
  "missing-name": "no name",
  "missing-version": "no version",
  "missing-purl": "no purl",
  "invalid-purl": "invalid purl",
  "missing-license": "no licence",
  "noassertion-license": "licence NOASSERTION",
  "invalid-license": "licence not SPDX",
  "missing-checksum": "no checksum",
  "missing-supplier": "no supplier",
};

const FORMAT_NAME = { spdx: "SPDX", cyclonedx: "CycloneDX" } as const;

/** The human summary `vouch sbom check` prints: score, what is missing how often, who is worst, what to follow up. */
export function renderQualityTable(report: QualityReport): string {
  const lines = [
    `SBOM quality ${report.score.toFixed(1)}/10  ${printable(report.file)}`,
    `${FORMAT_NAME[report.format]} ${report.specVersion}, ${count(report.componentCount, "component")}` +
      (report.nestedComponentCount > 0 ? ` (${report.nestedComponentCount} nested)` : "") +
      (report.fileCount > 0 ? `, ${report.fileCount} files (not counted as components)` : ""),
    "",
    "Score",
    ...columns(
      report.scoreBreakdown.map((c) => [c.category, `${c.points.toFixed(2)} / ${c.weight.toFixed(2)}`, weakest(c.features)]),
      "  ",
    ),
    "",
    "Components",
    ...columns(
      [
        ["", "count", "share"],
        ...problemRows(report),
      ],
      "  ",
    ),
    "",
    "Document",
    ...columns(documentRows(report), "  "),
    "",
    `NTIA minimum elements: ${report.ntia.passed ? "pass" : "FAIL"}`,
    ...columns(
      report.ntia.elements.map((e) => [e.passed ? "ok" : "FAIL", e.element, printable(e.detail, 100)]),
      "  ",
    ),
    ...offenders(report.components),
    ...followUp(report),
    ...warnings(report),
  ];
  return `${lines.join("\n")}\n`;
}

function problemRows(report: QualityReport): string[][] {
  const total = report.componentCount;
  // NOASSERTION is a kind of "no licence": indented under it.
  const text = (p: ComponentProblem) => (p === "noassertion-license" ? "  of which NOASSERTION" : PROBLEM_TEXT[p]);
  return COMPONENT_PROBLEMS.map((p) => [text(p), String(report.totals[p]), total === 0 ? "-" : percent(report.totals[p] / total)]);
}

function weakest(features: QualityReport["scoreBreakdown"][number]["features"]): string {
  const short = features.filter((f) => f.coverage < 1).map((f) => `${f.description} ${percent(f.coverage)}`);
  return short.length === 0 ? "complete" : short.join("; ");
}

function documentRows(report: QualityReport): string[][] {
  const d = report.document;
  const subject = d.root.declared ? `${printable(d.root.name) || "(unnamed)"}${d.root.version ? ` ${printable(d.root.version)}` : " (no version)"}` : "(not declared)";
  return [
    ["subject", subject],
    ["created", d.timestamp === undefined ? "(none)" : `${printable(d.timestamp)}${d.timestampValid ? "" : " (not RFC 3339)"}`],
    ["authors", list(d.authors)],
    ["tools", list(d.tools)],
    [
      "dependencies",
      d.dependencyGraph
        ? `${d.dependencyEdges} edges, subject has ${d.rootDependencies} direct; ${share(d.componentsInGraph)} in the graph, ${share(d.componentsDeclaringDependencies)} declare their own`
        : "no dependency graph",
    ],
  ];
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "(none)" : items.map((i) => printable(i, 60)).join(", ");
}

function share(cover: Coverage): string {
  return cover.total === 0 ? "none" : percent(cover.ratio);
}

function offenders(components: readonly ComponentQuality[]): string[] {
  if (components.length === 0) return ["", "No component has a problem."];
  // "licence NOASSERTION" already says "no licence".
  const shown = (c: ComponentQuality) => c.problems.filter((p) => p !== "missing-license" || !c.problems.includes("noassertion-license"));
  const rows = components.slice(0, LISTED).map((c) => [printable(label(c), 70), shown(c).map((p) => PROBLEM_TEXT[p]).join(", ")]);
  return [
    "",
    `Top offenders (${count(components.length, "component")} with problems${components.length > LISTED ? `, first ${LISTED}` : ""})`,
    ...columns(rows, "  "),
  ];
}

function followUp(report: QualityReport): string[] {
  const items = report.noAssertion;
  if (items.length === 0) return [];
  const rows = items.slice(0, LISTED).map((c) => [printable(label(c), 70), c.purl === undefined ? "" : printable(c.purl, 100)]);
  return [
    "",
    `Follow up: ${count(items.length, "component")} with licence NOASSERTION${items.length > LISTED ? ` (first ${LISTED}; all in -o json)` : ""}`,
    ...columns(rows, "  "),
  ];
}

function warnings(report: QualityReport): string[] {
  if (report.warningCount === 0) return [];
  const shown = report.warnings.slice(0, LISTED).map((w) => `  ${w.line === undefined ? "" : `line ${w.line}: `}${printable(w.path)}: ${printable(w.message)}`);
  return ["", `Read warnings (${report.warningCount}; the fields named were ignored)`, ...shown];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
