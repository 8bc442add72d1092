import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../../test/support/postgres.js";
import type { IndexDeployment, IndexSbom, IndexStore } from "./ports.js";
import { openPostgresIndexStore } from "./postgres/index-store.js";
import { openSqliteIndexStore } from "./sqlite/index-store.js";

/**
 * The IndexStore's list reads (listSboms, listDeployments, listCurrentDeployments: what the SLIs and the SBOM diff
 * between releases read), on SQLite and PostgreSQL.
 */

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

function sbom(seed: string, change: Partial<IndexSbom>): IndexSbom {
  return {
    id: sha(`sbom ${seed}`),
    service: "checkout",
    digest: sha(`image ${seed}`),
    format: "cyclonedx",
    specVersion: "1.6",
    components: 0,
    withoutPurl: 0,
    ingestedAt: "2025-01-02T03:04:05Z",
    ingestedBy: "token-a",
    ...change,
  };
}

function deployment(id: string, change: Partial<IndexDeployment>): IndexDeployment {
  return {
    id,
    service: "checkout",
    environment: "prod",
    digest: sha("image a"),
    deployedAt: "2025-01-01T00:00:00Z",
    source: "push",
    by: "token-a",
    recordedAt: "2025-01-05T00:00:00Z",
    ...change,
  };
}

async function seed(store: IndexStore): Promise<void> {
  const none = new Uint8Array();
  // Ingested out of time order: the list is sorted by instant, not by arrival.
  await store.ingestSbom({ sbom: sbom("b", { version: "1.1.0", ingestedAt: "2025-01-03T00:00:00+02:00" }), document: none, components: [] });
  await store.ingestSbom({ sbom: sbom("a", { version: "1.0.0", ingestedAt: "2025-01-02T00:00:00Z" }), document: none, components: [] });
  await store.ingestSbom({ sbom: sbom("c", { service: "search'; drop table sboms;--", version: "1.0.0", ingestedAt: "2025-01-04T00:00:00Z" }), document: none, components: [] });
  await store.ingestSbom({ sbom: sbom("d", { service: "search%", ingestedAt: "2025-01-05T00:00:00Z" }), document: none, components: [] });
  await store.ingestDeployment(deployment("d1", { deployedAt: "2025-01-01T00:00:00Z", digest: sha("image a") }));
  await store.ingestDeployment(deployment("d3", { deployedAt: "2025-01-03T00:00:00Z", digest: sha("image b") }));
  // Earlier in time than d3 though later in arrival: d3 stays current.
  await store.ingestDeployment(deployment("d2", { deployedAt: "2025-01-02T12:00:00+01:00", digest: sha("image a") }));
  await store.ingestDeployment(deployment("d4", { environment: "staging", deployedAt: "2025-01-02T00:00:00Z", digest: sha("image b") }));
  await store.ingestDeployment(deployment("d5", { service: "search%", environment: "prod", deployedAt: "2025-01-02T00:00:00Z", digest: sha("image d") }));
}

function describeLists(name: string, open: () => Promise<{ store: IndexStore; dispose(): Promise<void> }>): void {
  describe(`${name}: IndexStore list reads`, () => {
    it("lists SBOMs by service, release and digest, sorted by ingest instant, SQL-significant characters as data", async () => {
      const { store, dispose } = await open();
      try {
        await seed(store);
        const all = await store.listSboms();
        expect(all.map((s) => s.id)).toEqual([sha("sbom a"), sha("sbom b"), sha("sbom c"), sha("sbom d")]);
        expect((await store.listSboms({ services: ["checkout"] })).map((s) => s.version)).toEqual(["1.0.0", "1.1.0"]);
        expect((await store.listSboms({ services: ["checkout"], version: "1.1.0" })).map((s) => s.id)).toEqual([sha("sbom b")]);
        expect((await store.listSboms({ version: "1.0.0" })).map((s) => s.id)).toEqual([sha("sbom a"), sha("sbom c")]);
        expect((await store.listSboms({ digests: [sha("image c"), sha("image d"), sha("image z")] })).map((s) => s.service)).toEqual([
          "search'; drop table sboms;--",
          "search%",
        ]);
        expect(await store.listSboms({ services: ["search"] })).toEqual([]);
        expect(await store.listSboms({ services: ["search_"] })).toEqual([]);
        expect(await store.listSboms({ services: [] })).toEqual([]);
        expect(await store.listSboms({ digests: [] })).toEqual([]);
        expect((await store.listSboms({ ids: [sha("sbom d"), sha("sbom a"), sha("sbom z"), "x'; drop table sboms;--"] })).map((s) => s.id)).toEqual([sha("sbom a"), sha("sbom d")]);
        expect((await store.listSboms({ ids: [sha("sbom a"), sha("sbom b")], version: "1.1.0" })).map((s) => s.id)).toEqual([sha("sbom b")]);
        expect(await store.listSboms({ ids: [sha("sbom a")], digests: [sha("image b")] })).toEqual([]);
        expect(await store.listSboms({ ids: [] })).toEqual([]);
        // Many keys: chunked below the databases' parameter limits.
        const many = Array.from({ length: 1200 }, (_, i) => sha(`image ${i}`));
        expect((await store.listSboms({ digests: [...many, sha("image a")] })).map((s) => s.id)).toEqual([sha("sbom a")]);
        expect((await store.listSboms({ services: [...many, "checkout"], digests: [sha("image b")] })).map((s) => s.id)).toEqual([sha("sbom b")]);
      } finally {
        await store.close();
        await dispose();
      }
    });

    it("lists deployment history in instant order, up to a time, and the current deployment per service and environment", async () => {
      const { store, dispose } = await open();
      try {
        await seed(store);
        const history = await store.listDeployments({ service: "checkout", environment: "prod" });
        expect(history.map((d) => d.id)).toEqual(["d1", "d2", "d3"]);
        expect(history[1]).toEqual(deployment("d2", { deployedAt: "2025-01-02T11:00:00Z", digest: sha("image a") }));
        expect((await store.listDeployments({ until: "2025-01-02T11:00:00Z" })).map((d) => d.id)).toEqual(["d1", "d4", "d5", "d2"]);
        expect((await store.listDeployments({ service: "search%" })).map((d) => d.id)).toEqual(["d5"]);
        expect(await store.listDeployments({ service: "search_" })).toEqual([]);
        expect((await store.listDeployments({ digests: [sha("image b"), sha("image d")] })).map((d) => d.id)).toEqual(["d4", "d5", "d3"]);
        expect((await store.listDeployments({ service: "checkout", digests: [...Array.from({ length: 900 }, (_, i) => sha(`x ${i}`)), sha("image a")] })).map((d) => d.id)).toEqual(["d1", "d2"]);
        expect(await store.listDeployments({ digests: [] })).toEqual([]);
        await expect(store.listDeployments({ until: "yesterday" })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
        const current = await store.listCurrentDeployments();
        expect(current.map((d) => [d.service, d.environment, d.deploymentId])).toEqual([
          ["checkout", "prod", "d3"],
          ["checkout", "staging", "d4"],
          ["search%", "prod", "d5"],
        ]);
        expect((await store.listCurrentDeployments({ environment: "prod" })).map((d) => d.deploymentId)).toEqual(["d3", "d5"]);
        expect((await store.listCurrentDeployments({ service: "checkout", environment: "staging" }))[0]).toEqual({
          service: "checkout",
          environment: "staging",
          digest: sha("image b"),
          deployedAt: "2025-01-02T00:00:00Z",
          deploymentId: "d4",
        });
        expect(await store.listCurrentDeployments({ service: "checkout'--" })).toEqual([]);
      } finally {
        await store.close();
        await dispose();
      }
    });
  });
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeLists("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vouch-index-lists-"));
  temps.push(dir);
  return { store: await openSqliteIndexStore(join(dir, "index.sqlite")), dispose: async () => {} };
});

const unavailable = await postgresUnavailable();
if (unavailable === undefined) {
  describeLists("PostgreSQL", async () => {
    const database: TestDatabase = await createTestDatabase();
    return { store: await openPostgresIndexStore(database.url), dispose: () => database.drop() };
  });
}
// Without a server, postgresUnavailable() has printed why the PostgreSQL half is not run.
