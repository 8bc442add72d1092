import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, openAdvisoryStore, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface ImportOptions {
  epss?: string;
  kev?: string;
  full?: boolean;
  output: string;
}

/** Skip warnings printed one per line before the rest are only counted (the JSON output keeps the first thousand). */
const PRINTED_WARNINGS = 50;

/** `vouch db import PATH…` and `vouch db status`: the advisory database scans match against. */
export function registerDb(program: Command, globals: () => GlobalOptions): void {
  const db = program.command("db").description("the advisory database: import OSV records, EPSS scores and the KEV catalog").exitOverride();
  db.command("import [paths...]")
    .description("import OSV JSON (files, directories, all.zip exports) and optionally EPSS and KEV, in one transaction")
    .option("--epss <file>", "FIRST's EPSS scores CSV (.csv or .csv.gz): replaces the stored scores")
    .option("--kev <file>", "CISA's known_exploited_vulnerabilities.json: replaces the stored catalog")
    .option("--full", "read every zip entry, also those unchanged since the last import (by CRC-32 and size)")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (paths: string[], opts: ImportOptions) => {
      const format = outputFormat(opts.output);
      const { importAdvisories, renderImportSummary } = await import("../../public/db.js");
      const g = globals();
      const { store, description } = await openAdvisoryStore(loadConfig(g.config), resolveDataDir(g.dataDir));
      let printed = 0;
      try {
        const summary = await importAdvisories(store, {
          paths,
          epss: opts.epss,
          kev: opts.kev,
          full: opts.full === true,
          onWarning: (w) => {
            if (printed++ < PRINTED_WARNINGS) err(`warning: ${w.file}: ${w.id === undefined ? "" : `${w.id}: `}skipped: ${w.message}`);
          },
        });
        if (printed > PRINTED_WARNINGS) err(`warning: ${printed - PRINTED_WARNINGS} more records skipped (-o json lists the first 1000)`);
        out(format === "json" ? `${JSON.stringify({ database: description, ...summary }, null, 2)}\n` : renderImportSummary(summary));
      } finally {
        await store.close();
      }
    });
  db.command("status")
    .description("records per ecosystem, the newest record, and when each feed was imported")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (opts: { output: string }) => {
      const format = outputFormat(opts.output);
      const { renderStatusTable } = await import("../../public/db.js");
      const g = globals();
      const { store, description } = await openAdvisoryStore(loadConfig(g.config), resolveDataDir(g.dataDir));
      try {
        const status = await store.status();
        out(format === "json" ? `${JSON.stringify({ database: description, ...status }, null, 2)}\n` : renderStatusTable(status, description));
      } finally {
        await store.close();
      }
    });
}

function outputFormat(output: string): "table" | "json" {
  if (output !== "table" && output !== "json") throw new VouchError("INPUT_USAGE", `-o ${output}: use table or json`);
  return output;
}
