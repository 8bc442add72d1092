import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScanFinding, ScanRecord, ScanStore, ScanWrite } from "./ports.js";

/**
 * The ScanStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's test
 * file calls `describeScanStoreContract` with a fixture that opens its store at a fresh, empty location.
 */

export interface ScanStoreFixture {
  open(): Promise<ScanStore>;
  dispose?(): Promise<void>;
}

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

const LOG4SHELL: ScanFinding = {
  vulnerabilityId: "GHSA-jfh8-c2jp-5v3q",
  aliases: ["CVE-2021-44228"],
  purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
  name: "log4j-core",
  version: "2.14.1",
  severity: "critical",
  score: 10,
  fixedIn: ["2.15.0"],
  kev: true,
};

function record(seed: string, change: Partial<ScanRecord> = {}): ScanRecord {
  return { id: sha(`scan ${seed}`), digest: sha(`image ${seed}`), service: "checkout", format: "vouch-json", findingCount: 0, ingestedAt: "2025-01-03T00:00:00Z", ingestedBy: "token-a", ...change };
}

function write(rec: ScanRecord, findings: readonly ScanFinding[] = [LOG4SHELL]): ScanWrite {
  return { record: { ...rec, findingCount: findings.length }, findings, document: new TextEncoder().encode(`{"scan":"${rec.id}"}`) };
}

export function describeScanStoreContract(driver: string, fixture: () => Promise<ScanStoreFixture>): void {
  describe(`ScanStore contract: ${driver}`, () => {
    let fx: ScanStoreFixture;
    let store: ScanStore;
    beforeEach(async () => {
      fx = await fixture();
      store = await fx.open();
    });
    afterEach(async () => {
      await store.close();
      await fx.dispose?.();
    });

    it("stores a scan, its findings in order and its document exactly as given", async () => {
      const other: ScanFinding = { vulnerabilityId: "CVE-2022-0001", aliases: [], purl: "pkg:npm/a@1.0.0", name: "a", version: "1.0.0", severity: "unknown", fixedIn: [], kev: false, vexStatus: "not_affected" };
      const w = write(record("a"), [LOG4SHELL, other, { ...LOG4SHELL, score: 9.8, severity: "high" }]);
      const { record: stored, created } = await store.ingest(w);
      expect(created).toBe(true);
      expect(stored).toEqual(w.record);
      expect(await store.find(w.record.id)).toEqual(w.record);
      expect(await store.findings(w.record.id)).toEqual(w.findings);
      expect(await store.readDocument(w.record.id)).toEqual(w.document);
      expect(await store.find(sha("nothing"))).toBeUndefined();
      expect(await store.findings(sha("nothing"))).toEqual([]);
      expect(await store.readDocument(sha("nothing"))).toBeUndefined();
    });

    it("is idempotent by id: the first record stands, whatever the second caller says", async () => {
      const first = write(record("a"));
      await store.ingest(first);
      const again = await store.ingest(write(record("a", { service: "other", ingestedBy: "token-b", ingestedAt: "2026-01-01T00:00:00Z" }), []));
      expect(again).toEqual({ record: first.record, created: false });
      expect(await store.findings(first.record.id)).toEqual(first.findings);
    });

    it("answers concurrent identical ingests with one scan and one copy of its findings", async () => {
      const w = write(record("c"), [LOG4SHELL, { ...LOG4SHELL, purl: "pkg:maven/x/y@1", name: "y", version: "1" }]);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.ingest(w)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r.record).toEqual(w.record);
      expect(await store.findings(w.record.id)).toEqual(w.findings);
    });

    it("keeps a large scan whole (findings inserted in batches)", async () => {
      const many = Array.from({ length: 2500 }, (_, i) => ({ ...LOG4SHELL, purl: `pkg:npm/p${i}@1.0.0`, name: `p${i}`, version: "1.0.0" }));
      const w = write(record("big"), many);
      await store.ingest(w);
      expect(await store.findings(w.record.id)).toEqual(many);
    });

    it("refuses a timestamp that is not RFC 3339 and stores nothing", async () => {
      const w = write(record("bad", { ingestedAt: "yesterday" }));
      await expect(store.ingest(w)).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      expect(await store.find(w.record.id)).toBeUndefined();
    });

    it("answers the latest scan per digest: instants compared, ties by the greater id, digests without scans left out", async () => {
      const digest = sha("image shared");
      // 2025-01-03T01:00:00+01:00 is before 2025-01-03T00:30:00Z though it sorts after it as a string.
      const older = record("older", { digest, ingestedAt: "2025-01-03T01:00:00+01:00" });
      const newer = record("newer", { digest, ingestedAt: "2025-01-03T00:30:00Z" });
      const tieA = record("tie-a", { digest: sha("image tie"), ingestedAt: "2025-02-01T00:00:00Z" });
      const tieB = record("tie-b", { digest: sha("image tie"), ingestedAt: "2025-02-01T00:00:00.000Z" });
      for (const r of [newer, older, tieA, tieB]) await store.ingest(write(r));
      const latest = await store.latestForDigests([digest, sha("image tie"), sha("image none"), digest]);
      const tieWinner = tieA.id > tieB.id ? tieA : tieB;
      expect(latest.map((r) => [r.digest, r.id])).toEqual(
        [
          [digest, newer.id],
          [tieWinner.digest, tieWinner.id],
        ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
      );
      expect(await store.latestForDigests([])).toEqual([]);
    });

    it("treats SQL-significant characters as data", async () => {
      const odd = "x'%_\\;--";
      const w = write(record("odd", { service: odd, ingestedBy: odd, digest: odd }), [{ ...LOG4SHELL, vulnerabilityId: odd, aliases: [odd], purl: odd, name: odd, version: odd, fixedIn: [odd] }]);
      await store.ingest(w);
      expect(await store.find(w.record.id)).toEqual(w.record);
      expect(await store.findings(w.record.id)).toEqual(w.findings);
      expect((await store.latestForDigests([odd])).map((r) => r.id)).toEqual([w.record.id]);
      expect(await store.latestForDigests(["x'%__\\;--", "%"])).toEqual([]);
    });

    it("answers ping and refuses work once closed", async () => {
      await store.ping();
      await store.close();
      await expect(store.find(sha("x"))).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      store = await fx.open();
    });
  });
}
