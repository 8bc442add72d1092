import type { LogStoreTestHooks } from "../../src/store/log-common.js";
import { openPostgresLogStore } from "../../src/store/postgres/log-store.js";

/**
 * The PostgreSQL log store in schema "ct", as the conformance suite's child processes open it: they call an export
 * as `(location, { testHooks })`, so the schema is bound here.
 */
export function openPostgresLogStoreInCtSchema(url: string, options: { testHooks?: LogStoreTestHooks } = {}) {
  return openPostgresLogStore(url, { ...options, schema: "ct" });
}
