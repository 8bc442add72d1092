import { promisify } from "node:util";
import { gunzip as gunzipCb, gzip as gzipCb } from "node:zlib";
import { sql, type RawBuilder } from "kysely";
import { VouchError } from "../core/errors.js";
import { storeFailure } from "./log-common.js";

/** What the SQL stores (advisories, index, tokens, attestations, scans) share beside their drivers. */

export interface StoreLifecycle {
  /**
   * Runs one operation of the store: refused (STORE_UNAVAILABLE) once the store is closing, and a driver failure
   * becomes STORE_UNAVAILABLE naming what was being done (coded errors pass through).
   */
  guard<T>(doing: string, work: () => Promise<T>): Promise<T>;
  /** Closes once: later calls answer the first close. */
  close(): Promise<void>;
}

/** The guard and close of a store named `what` ("the index store"), closed by `closeParts`. */
export function storeLifecycle(what: string, closeParts: () => Promise<void>): StoreLifecycle {
  let closing: Promise<void> | undefined;
  return {
    guard: async (doing, work) => {
      if (closing !== undefined) throw new VouchError("STORE_UNAVAILABLE", `cannot ${doing}: ${what} is closed`);
      try {
        return await work();
      } catch (err) {
        throw storeFailure(err, `cannot ${doing}`);
      }
    },
    close: () => (closing ??= closeParts()),
  };
}

/**
 * PostgreSQL: the right side of `column in …` for many text values, as one array parameter unnested in a subquery.
 * `column = any($1::text[])` looked the same and ran in 3 ms, but the planner estimates its selectivity element by
 * element: 34 ms of planning for the 9,218 digests of a popular package's impact answer. The semi-join on `unnest` is
 * planned once, whatever the array's length (0.2 ms), and executes as a hash join.
 */
export function amongTexts(values: readonly string[]): RawBuilder<string> {
  // Values that are neither empty nor hold a comma (digests, `sha256:<hex>`, always) go as one comma-joined text that
  // the server splits: pg builds an array parameter by escaping and quoting every element in JavaScript, 7 ms of
  // CPU for those 9,218 digests, where a join is one copy. Any other list goes as an array, exactly.
  if (values.every((v) => v !== "" && !v.includes(","))) return sql<string>`(select unnest(string_to_array(${values.join(",")}::text, ',')))`;
  return sql<string>`(select unnest(${[...values]}::text[]))`;
}

/**
 * The right sides of `column in …` for a long list of text values, one per query to run. PostgreSQL: the whole list
 * in one query (amongTexts; a repeated value costs nothing, the semi-join takes it once), where IN lists of 500 made a
 * popular package's 8,905 digests 18 queries, each with its parameters bound and planned. SQLite: IN lists of at most
 * `perQuery` distinct values (its parameter limit). An empty list needs no query.
 */
export function textsIn(values: readonly string[], postgres: boolean, perQuery: number): (readonly string[] | RawBuilder<string>)[] {
  if (values.length === 0) return [];
  return postgres ? [amongTexts(values)] : chunks([...new Set(values)], perQuery);
}

/** Consecutive slices of at most `size` items: IN lists and multi-row INSERTs stay under the parameter limits. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** String order by UTF-16 code units, the same in every locale (and as both databases' binary collation sorts ASCII). */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stored documents are gzip'd: SBOMs and bundles are repetitive JSON. */
export const gzipBytes: (data: Uint8Array) => Promise<Buffer> = promisify(gzipCb);
const gunzipBytes: (data: Uint8Array) => Promise<Buffer> = promisify(gunzipCb);

/**
 * A stored document's bytes. Stored bytes that do not decompress are damage (STORE_CORRUPT naming `what`, e.g.
 * `SBOM sha256:…`), never handed out as a document.
 */
export async function storedDocument(gzip: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await gunzipBytes(gzip));
  } catch (err) {
    throw new VouchError("STORE_CORRUPT", `the stored document of ${what} does not decompress`, { cause: err });
  }
}
