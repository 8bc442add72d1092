import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createComponentReader } from "./components.js";

const doc = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", name)));
const DOCS: Record<string, Uint8Array> = {
  a: doc("checkout-1.4.0-log4j-2.14.1.cdx.json"),
  b: doc("checkout-1.5.0-log4j-2.16.0.cdx.json"),
  c: doc("billing-3.2.0-log4j-2.17.1.cdx.json"),
};

/** A store that counts document reads, so the cache's behaviour is observable. */
function countingStore(docs: Record<string, Uint8Array | "fail">) {
  const reads: string[] = [];
  return {
    reads,
    readDocument: async (id: string) => {
      reads.push(id);
      const d = docs[id];
      if (d === "fail") throw new Error("the database went away");
      return d;
    },
  };
}

describe("createComponentReader", () => {
  it("parses a document once for many searches, and concurrent first reads share one parse", async () => {
    const store = countingStore(DOCS);
    const reader = createComponentReader({ index: store });
    const [x, y] = await Promise.all([reader.page("b", { q: "log4j" }), reader.page("b", { q: "zlib" })]);
    expect(x.components.map((c) => c.name)).toEqual(["log4j-api", "log4j-core"]);
    expect(y.components.map((c) => c.name)).toEqual(["Vendored-Zlib"]);
    expect((await reader.page("b")).total).toBe(3);
    expect(store.reads).toEqual(["b"]);
  });

  it("keeps at most cacheSize documents, evicting the least recently used", async () => {
    const store = countingStore(DOCS);
    const reader = createComponentReader({ index: store, cacheSize: 2 });
    await reader.page("a");
    await reader.page("b");
    await reader.page("a"); // a is now the most recent
    await reader.page("c"); // evicts b
    await reader.page("a");
    await reader.page("b");
    expect(store.reads).toEqual(["a", "b", "c", "b"]);
  });

  it("does not cache a failed read or an unknown id; refuses bad paging (INPUT_USAGE)", async () => {
    const docs: Record<string, Uint8Array | "fail"> = { f: "fail" };
    const store = countingStore(docs);
    const reader = createComponentReader({ index: store });
    await expect(reader.page("f")).rejects.toThrow("went away");
    docs.f = DOCS.a!;
    expect((await reader.page("f")).total).toBeGreaterThan(0);
    await expect(reader.page("missing")).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
    await expect(reader.page("missing")).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
    expect(store.reads).toEqual(["f", "f", "missing", "missing"]);
    await expect(reader.page("f", { offset: -1 })).rejects.toMatchObject({ code: "INPUT_USAGE" });
    await expect(reader.page("f", { limit: 1001 })).rejects.toMatchObject({ code: "INPUT_USAGE" });
    await expect(reader.page("f", { limit: 1.5 })).rejects.toMatchObject({ code: "INPUT_USAGE" });
  });
});
