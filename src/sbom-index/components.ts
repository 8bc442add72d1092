import { VouchError } from "../core/errors.js";
import { readSbom } from "../sbom/read/index.js";
import type { IndexStore } from "../store/ports.js";
import type { ComponentPage, ComponentRow } from "./views.js";
import { byCodeUnits } from "./order.js";

/**
 * `GET /api/v1/sboms/{id}/components?q=&offset=&limit=`: an SBOM's components as the dashboard's searchable table
 * shows them, read from the stored document with vouch's own SBOM readers (the same reading ingest did), not from the
 * index's lookup rows (which keep only what impact queries need).
 *
 * Rows are sorted by name, then version, then purl (a table's natural order, and the same for every page).
 * An SBOM is immutable by id (the sha256 of its bytes), so parsed documents are kept in a small LRU: a search typed
 * letter by letter parses the document once. Concurrent first reads of one id share one parse.
 */

export interface ComponentQuery {
  /** Case-insensitive substring of name, version, purl or a licence. */
  q?: string;
  offset?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface ComponentReader {
  /** INPUT_NOT_FOUND for an SBOM the index does not hold; INPUT_USAGE for a bad offset or limit. */
  page(sbomId: string, query?: ComponentQuery): Promise<ComponentPage>;
}

export interface ComponentReaderOptions {
  index: Pick<IndexStore, "readDocument">;
  /** Parsed documents kept (default 8: a large SBOM's rows are tens of megabytes). */
  cacheSize?: number;
}

export const DEFAULT_COMPONENT_PAGE = 100;
export const MAX_COMPONENT_PAGE = 1000;

/** A row with its search text, lower-cased once. */
interface Indexed {
  row: ComponentRow;
  haystack: string;
}

/**
 * @example
 *   const reader = createComponentReader({ index: store });
 *   const { total, components } = await reader.page(sbomId, { q: "log4j", limit: 20 });
 */
export function createComponentReader(options: ComponentReaderOptions): ComponentReader {
  const cacheSize = Math.max(1, options.cacheSize ?? 8);
  const cache = new Map<string, Promise<Indexed[]>>();

  function rowsOf(id: string): Promise<Indexed[]> {
    const hit = cache.get(id);
    if (hit !== undefined) {
      // Least recently used goes first: re-inserting moves this one to the end.
      cache.delete(id);
      cache.set(id, hit);
      return hit;
    }
    const parsing = (async () => {
      const bytes = await options.index.readDocument(id);
      if (bytes === undefined) throw new VouchError("INPUT_NOT_FOUND", `no SBOM ${id} in the index`);
      return readSbom(new TextDecoder().decode(bytes), id).sbom.components.map((c): Indexed => {
        const row: ComponentRow = {
          name: c.name,
          ...(c.version === "" ? {} : { version: c.version }),
          ...(c.purl === undefined ? {} : { purl: c.purl }),
          type: c.type,
          licenses: c.licenses.map((l) => ("expression" in l ? l.expression : l.name)),
        };
        const sha256 = c.hashes.find((h) => h.alg === "SHA-256")?.content;
        if (sha256 !== undefined) row.sha256 = sha256;
        return { row, haystack: [row.name, row.version ?? "", row.purl ?? "", ...row.licenses].join("\u0000").toLowerCase() };
      }).sort((a, b) => byCodeUnits(a.row.name, b.row.name) || byCodeUnits(a.row.version ?? "", b.row.version ?? "") || byCodeUnits(a.row.purl ?? "", b.row.purl ?? ""));
    })();
    cache.set(id, parsing);
    // A failed read is not cached: the next request tries again.
    parsing.catch(() => cache.get(id) === parsing && cache.delete(id));
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return parsing;
  }

  return {
    async page(sbomId: string, query: ComponentQuery = {}): Promise<ComponentPage> {
      const offset = query.offset ?? 0;
      const limit = query.limit ?? DEFAULT_COMPONENT_PAGE;
      if (!Number.isInteger(offset) || offset < 0) throw new VouchError("INPUT_USAGE", `offset is a whole number, not ${String(offset)}`);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COMPONENT_PAGE) throw new VouchError("INPUT_USAGE", `limit is a whole number from 1 to ${MAX_COMPONENT_PAGE}, not ${String(limit)}`);
      const rows = await rowsOf(sbomId);
      const needle = (query.q ?? "").trim().toLowerCase();
      // NUL joins the fields: a needle never matches across two of them.
      const matching = needle === "" ? rows : rows.filter((r) => r.haystack.includes(needle));
      return { sbomId, total: matching.length, offset, components: matching.slice(offset, offset + limit).map((r) => r.row) };
    },
  };
}
