import { readFile } from "node:fs/promises";
import { isVouchError, VouchError } from "../../core/errors.js";
import type { AdvisoryImportCounts, AdvisoryStore, EpssFeed, KevCatalog } from "../../store/ports.js";
import { osvRecordId, parseOsvRecord, type OsvRecord } from "../osv/parse.js";
import { openEpssCsv } from "./epss.js";
import { parseKevJson } from "./kev.js";
import { readOsvSources, type OsvSourceEntry } from "./sources.js";

export interface AdvisoryImportOptions {
  /** OSV JSON files, directories (recursive) and zips (OSV's all.zip layout). */
  paths?: readonly string[];
  /** FIRST's EPSS CSV (or .csv.gz): replaces the stored scores. */
  epss?: string;
  /** CISA's KEV catalog JSON: replaces the stored catalog. */
  kev?: string;
  /** The clock, for the feeds' import times. */
  now?: () => Date;
  /** Read every zip entry, even those the last import read unchanged (default false). */
  full?: boolean;
  /** Called for each record skipped, as it is skipped (the summary keeps the first MAX_WARNINGS). */
  onWarning?: (warning: AdvisoryImportWarning) => void;
}

/** A record that was skipped: where it was, its id when it has a usable one, and why. */
export interface AdvisoryImportWarning {
  file: string;
  id?: string;
  message: string;
}

export interface AdvisoryImportSummary extends AdvisoryImportCounts {
  /** Record texts read (files and zip entries). */
  read: number;
  /** Zip entries not read because they are byte for byte what the last import read (also counted as unchanged). */
  unchangedEntries: number;
  /** Records skipped: not JSON, not an OSV record, a schema version we do not read, too large. */
  skipped: number;
  /** Records naming an ecosystem OSV does not define, per name: stored (they never match a purl), never guessed. */
  unknownEcosystems: Record<string, number>;
  /** The first MAX_WARNINGS skip warnings. */
  warnings: AdvisoryImportWarning[];
}

export const MAX_WARNINGS = 1000;

/**
 * `vouch db import`: reads OSV records, EPSS scores and the KEV catalog and writes them to the advisory store in ONE
 * transaction (AdvisoryStore.import): either everything lands, or — a damaged zip, a truncated EPSS file, a store
 * failure — nothing does and the database reads as before. A malformed record is not such a failure: it is skipped
 * with a warning naming its file and id, as osv-scanner skips it, and the rest of the import goes on.
 *
 * The feeds are opened and checked (EPSS header, the whole KEV catalog) before the transaction starts, so a wrong
 * file is refused before any record is read. Records and EPSS rows stream into the store.
 *
 * @example
 * const summary = await importAdvisories(store, { paths: ["npm-all.zip"], kev: "known_exploited_vulnerabilities.json" });
 * summary.inserted; // records new to the store
 */
export async function importAdvisories(store: AdvisoryStore, options: AdvisoryImportOptions): Promise<AdvisoryImportSummary> {
  const paths = options.paths ?? [];
  if (paths.length === 0 && options.epss === undefined && options.kev === undefined) {
    throw new VouchError("INPUT_USAGE", "nothing to import: give OSV paths, --epss or --kev");
  }
  const kev: KevCatalog | undefined = options.kev === undefined ? undefined : parseKevJson(await readText(options.kev), options.kev);
  const epss: EpssFeed | undefined = options.epss === undefined ? undefined : await openEpssCsv(options.epss);

  const summary: AdvisoryImportSummary = { inserted: 0, updated: 0, unchanged: 0, older: 0, read: 0, unchangedEntries: 0, skipped: 0, unknownEcosystems: {}, warnings: [] };
  const warn = (warning: AdvisoryImportWarning) => {
    summary.skipped++;
    if (summary.warnings.length < MAX_WARNINGS) summary.warnings.push(warning);
    options.onWarning?.(warning);
  };

  const known = paths.length > 0 && options.full !== true ? await store.entryFingerprints() : new Map<string, string>();
  // Only entries whose record was taken (stored, or compared as unchanged/older) are remembered: a skipped one is
  // read, and warned about, again next time.
  const entries: OsvSourceEntry[] = [];
  async function* records(): AsyncGenerator<OsvRecord> {
    for await (const item of readOsvSources(paths, { known })) {
      if (item.kind === "unchanged") {
        summary.unchangedEntries++;
        continue;
      }
      summary.read++;
      if (item.kind === "skip") {
        warn({ file: item.origin, message: item.message });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(item.text);
      } catch (err) {
        warn({ file: item.origin, message: `not JSON (${(err as Error).message})` });
        continue;
      }
      let record: OsvRecord;
      try {
        record = parseOsvRecord(value);
      } catch (err) {
        if (!isVouchError(err)) throw err;
        const id = osvRecordId(value);
        warn({ file: item.origin, ...(id === undefined ? {} : { id }), message: err.message });
        continue;
      }
      const unknown = new Set(record.affected.flatMap((a) => (a.package !== undefined && !a.package.parsedEcosystem.known ? [a.package.parsedEcosystem.ecosystem] : [])));
      for (const name of unknown) summary.unknownEcosystems[name] = (summary.unknownEcosystems[name] ?? 0) + 1;
      if (item.entry !== undefined) entries.push(item.entry);
      yield record;
    }
  }

  try {
    const counts = await store.import({
      importedAt: (options.now ?? (() => new Date()))().toISOString(),
      ...(paths.length > 0 ? { records: records(), entries: () => entries } : {}),
      ...(epss === undefined ? {} : { epss }),
      ...(kev === undefined ? {} : { kev }),
    });
    return { ...summary, ...counts, unchanged: counts.unchanged + summary.unchangedEntries };
  } finally {
    // The EPSS file is open from openEpssCsv: closed here when the store stopped (or never started) reading it.
    const rows = epss?.rows as AsyncGenerator<unknown> | undefined;
    await rows?.return?.(undefined);
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file, cause: err });
  }
}
