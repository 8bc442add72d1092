import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../test/support/errors.js";
import type { IndexStore } from "../store/ports.js";
import { openSqliteIndexStore } from "../store/sqlite/index-store.js";
import { createReleaseDiffer } from "./diff.js";
import { createIndexService } from "./service.js";
import type { IndexService } from "./types.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
/** The foundation's cross-format pair (an SPDX 2.3 release, then a CycloneDX 1.6 one): src/sbom/diff/fixtures. */
const DIFF_FIXTURES = join(import.meta.dirname, "..", "sbom", "diff", "fixtures");
const bytes = (dir: string, name: string) => new Uint8Array(readFileSync(join(dir, name)));
const digestOf = (c: string) => `sha256:${c.repeat(64)}` as const;


describe("SBOM diff between two releases of a service (over the index's documents)", () => {
  let dir: string;
  let store: IndexStore;
  let service: IndexService;
  let now = Date.parse("2025-06-01T00:00:00Z");
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-release-diff-"));
    store = await openSqliteIndexStore(join(dir, "index.sqlite"));
    // A clock that moves, so "the newest ingested" is well defined.
    service = createIndexService({ store, clock: () => new Date((now += 1000)) });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds log4j upgraded between checkout 1.4.0 and 1.5.0, and what was added and removed", async () => {
    await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
    await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.5.0-log4j-2.16.0.cdx.json"), service: "checkout", version: "1.5.0", by: "t" });
    const result = await createReleaseDiffer(store).diff({ service: "checkout", from: "1.4.0", to: "1.5.0" });
    expect(result.from).toMatchObject({ release: "1.4.0", version: "1.4.0", digest: digestOf("a"), format: "cyclonedx", specVersion: "1.6", components: 3 });
    expect(result.to).toMatchObject({ release: "1.5.0", digest: digestOf("b") });
    expect(result.diff.upgraded.map((c) => `${c.name} ${c.from} -> ${c.to}`)).toEqual([
      "org.apache.logging.log4j:log4j-api 2.14.1 -> 2.16.0",
      "org.apache.logging.log4j:log4j-core 2.14.1 -> 2.16.0",
    ]);
    expect(result.diff.removed.map((c) => c.name)).toEqual(["Flask_Cors"]);
    expect(result.diff.added.map((c) => c.name)).toEqual(["Vendored-Zlib"]);
    expect(result.notes).toBeUndefined();
  });

  it("diffs an SPDX release against a CycloneDX one, by version, artifact digest or SBOM id", async () => {
    await service.ingestSbom({ bytes: bytes(DIFF_FIXTURES, "old.spdx.json"), service: "shop", version: "1.0.0", digest: digestOf("1"), by: "t" });
    const newer = await service.ingestSbom({ bytes: bytes(DIFF_FIXTURES, "new.cdx.json"), service: "shop", version: "1.1.0", digest: digestOf("2"), by: "t" });
    const differ = createReleaseDiffer(store);
    const byVersion = await differ.diff({ service: "shop", from: "1.0.0", to: "1.1.0" });
    // The foundation's own expectation for this pair (src/sbom/diff/diff.test.ts).
    expect(byVersion.diff.summary).toEqual({ added: 1, removed: 1, upgraded: 3, downgraded: 1, license: 1, "hash-mismatch": 1, unchanged: 4 });
    expect(byVersion.from.format).toBe("spdx");
    expect(byVersion.to.format).toBe("cyclonedx");
    const byDigest = await differ.diff({ service: "shop", from: digestOf("1"), to: newer.id });
    expect(byDigest.diff).toEqual(byVersion.diff);
    expect(byDigest.to.release).toBe(newer.id);
    // Backwards: the same changes turned around.
    expect((await differ.diff({ service: "shop", from: "1.1.0", to: "1.0.0" })).diff.summary).toMatchObject({ upgraded: 1, downgraded: 3 });
  });

  it("compares the newest SBOM of a release pushed twice, and says so", async () => {
    await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
    // 1.5.0 pushed as the 1.4.0 release again (a rebuild): the newer document wins.
    await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.5.0-log4j-2.16.0.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
    const result = await createReleaseDiffer(store).diff({ service: "checkout", from: "1.4.0", to: "1.4.0" });
    expect(result.diff.summary.unchanged).toBe(3);
    expect(result.from.digest).toBe(digestOf("b"));
    expect(result.notes?.[0]).toMatch(/^release 1\.4\.0 has 2 SBOMs; the newest ingested \(sha256:[0-9a-f]{64}, 2025-06-01T00:00:0\dZ\) is compared$/);
  });

  it("refuses an unknown release or another service's SBOM (INPUT_NOT_FOUND), SQL-significant characters as data", async () => {
    const pushed = await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
    const differ = createReleaseDiffer(store);
    const missing = await rejectedVouchError(() => differ.diff({ service: "checkout", from: "1.4.0", to: "9.9.9" }));
    expect(missing.code).toBe("INPUT_NOT_FOUND");
    expect(missing.message).toContain('no SBOM for release "9.9.9"');
    expect((await rejectedVouchError(() => differ.diff({ service: "billing", from: pushed.id, to: pushed.id }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => differ.diff({ service: "checkout' or '1'='1", from: "1.4.0", to: "1.4.0" }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => differ.diff({ service: "checkout", from: "1.4.0%", to: "1.4._" }))).code).toBe("INPUT_NOT_FOUND");
  });

  it("reports a stored document that no longer reads as damage (STORE_CORRUPT), not as the caller's error", async () => {
    await service.ingestSbom({ bytes: bytes(FIXTURES, "checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
    const damaged = createReleaseDiffer({ ...store, listSboms: (f) => store.listSboms(f), findSbom: (id) => store.findSbom(id), readDocument: async () => new TextEncoder().encode('{"bomFormat": "CycloneDX", "specVersion": ') });
    const err = await rejectedVouchError(() => damaged.diff({ service: "checkout", from: "1.4.0", to: "1.4.0" }));
    expect(err.code).toBe("STORE_CORRUPT");
    const gone = createReleaseDiffer({ listSboms: (f) => store.listSboms(f), findSbom: (id) => store.findSbom(id), readDocument: async () => undefined });
    expect((await rejectedVouchError(() => gone.diff({ service: "checkout", from: "1.4.0", to: "1.4.0" }))).code).toBe("STORE_CORRUPT");
  });
});
