import { printable } from "../render/terminal.js";
import type { ComponentProblem, ComponentQuality, QualityReport } from "./types.js";

export type GateRequirement = "versions" | "purls" | "licenses" | "checksums";

export interface GateOptions {
  /** Every component must have these. */
  require: readonly GateRequirement[];
  /** The score must be at least this (0..10). */
  minScore?: number;
}

export interface GateResult {
  passed: boolean;
  failures: string[];
}

/**
 * What each requirement refuses. "licenses" asks for a declared licence (NOASSERTION and NONE are not one); it
 * does not insist on SPDX syntax, since a licence named in words is still a licence a person can review.
 * "purls" refuses an invalid purl as firmly as a missing one: neither can be matched.
 */
const REFUSED: Readonly<Record<GateRequirement, readonly ComponentProblem[]>> = {
  versions: ["missing-version"],
  purls: ["missing-purl", "invalid-purl"],
  licenses: ["missing-license"],
  checksums: ["missing-checksum"],
};

const NOUN: Readonly<Record<GateRequirement, string>> = {
  versions: "a version",
  purls: "a valid purl",
  licenses: "a declared licence",
  checksums: "a checksum",
};

/** Examples named per failure: enough to start fixing, short enough for a CI log (and made safe to print). */
const EXAMPLES = 5;

export function checkGate(report: QualityReport, options: GateOptions): GateResult {
  const failures: string[] = [];
  for (const requirement of [...new Set(options.require)].sort()) {
    const refused = REFUSED[requirement];
    const offenders = report.components.filter((c) => c.problems.some((p) => refused.includes(p)));
    if (offenders.length === 0) continue;
    failures.push(
      `${requirement}: ${offenders.length} of ${report.componentCount} components lack ${NOUN[requirement]} (${examples(offenders)})`,
    );
  }
  if (options.minScore !== undefined && report.score < options.minScore) {
    failures.push(`score: ${report.score.toFixed(1)} is below the required ${options.minScore}`);
  }
  return { passed: failures.length === 0, failures };
}

function examples(offenders: readonly ComponentQuality[]): string {
  const names = [...offenders]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.ref < b.ref ? -1 : 1))
    .slice(0, EXAMPLES)
    .map((c) => printable(label(c), 60));
  return offenders.length > EXAMPLES ? `${names.join(", ")}, ...` : names.join(", ");
}

export function label(c: { name: string; version: string; ref: string }): string {
  const name = c.name === "" ? c.ref : c.name;
  return c.version === "" ? name : `${name}@${c.version}`;
}
