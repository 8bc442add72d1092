import { columns, printable } from "../render/terminal.js";
import type { DiffComponent, SbomDiff } from "./types.js";

/**
 * The human form of a diff (what `vouch sbom diff` prints). Substitutions come first and shout: a component
 * whose name and version stayed while its bytes changed is what a supply-chain attack looks like.
 */
export function renderDiffTable(diff: SbomDiff): string {
  const s = diff.summary;
  const lines = [
    `${s.added} added, ${s.removed} removed, ${s.upgraded} upgraded, ${s.downgraded} downgraded, ` +
      `${s.license} licence changed, ${s["hash-mismatch"]} hash mismatch; ${s.unchanged} unchanged`,
  ];
  if (diff.hashMismatch.length > 0) {
    lines.push(
      "",
      `!! HASH MISMATCH: ${diff.hashMismatch.length} component${diff.hashMismatch.length === 1 ? "" : "s"} kept name and version but changed checksum.`,
      "!! The artifact was substituted or rebuilt: find out which before shipping.",
      ...columns(
        diff.hashMismatch.flatMap((m) =>
          m.digests.map((d) => [
            printable(nameAt(m.name, m.version), 70),
            d.algorithm,
            `${d.old.map(short).join(",")} -> ${d.new.map(short).join(",")}`,
          ]),
        ),
        "!!   ",
      ),
    );
  }
  section(
    lines,
    "Downgraded",
    diff.downgraded.map((c) => [printable(c.name, 70), printable(c.from, 40), "->", printable(c.to, 40)]),
  );
  section(
    lines,
    "Upgraded",
    diff.upgraded.map((c) => [printable(c.name, 70), printable(c.from, 40), "->", printable(c.to, 40)]),
  );
  section(
    lines,
    "Licence changed",
    diff.licenseChanged.map((c) => [printable(nameAt(c.name, c.version), 70), licenses(c.from), "->", licenses(c.to)]),
  );
  section(lines, "Added", diff.added.map(componentRow));
  section(lines, "Removed", diff.removed.map(componentRow));
  return `${lines.join("\n")}\n`;
}

function section(lines: string[], title: string, rows: string[][]): void {
  if (rows.length === 0) return;
  lines.push("", `${title} (${rows.length})`, ...columns(rows, "  "));
}

function componentRow(c: DiffComponent): string[] {
  return [printable(c.name, 70), printable(c.version || "(no version)", 40), licenses(c.licenses)];
}

function nameAt(name: string, version: string): string {
  return version === "" ? name : `${name}@${version}`;
}

function licenses(list: readonly string[]): string {
  return list.length === 0 ? "(no licence)" : printable(list.join(" AND "), 60);
}

/** Enough of a digest to tell two apart in a terminal; -o json has them whole. */
function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}
