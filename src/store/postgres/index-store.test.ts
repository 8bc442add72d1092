import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeIndexStoreContract } from "../index-store.contract.js";
import { ADVISORY_MIGRATION_NAMES } from "../sql-advisory-store.js";
import { INDEX_MIGRATION_NAMES, migrateIndexUpTo } from "../sql-index-store.js";
import { openPostgresAdvisoryStore } from "./advisory-store.js";
import { openPostgresIndexStore } from "./index-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeIndexStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresIndexStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL index store", () => {
  it("shares a database with the advisory store, each with its own migration list", async () => {
    const database = await createTestDatabase();
    try {
      await (await openPostgresIndexStore(database.url)).close();
      await (await openPostgresAdvisoryStore(database.url)).close();
      await (await openPostgresIndexStore(database.url)).close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query<{ name: string }>("select name from vouch_index_migration")).rows.map((r) => r.name)).toEqual([...INDEX_MIGRATION_NAMES]);
        expect((await client.query<{ name: string }>("select name from vouch_advisory_migration")).rows.map((r) => r.name)).toEqual([...ADVISORY_MIGRATION_NAMES]);
        // 0003: the SLI facts' indexes; 0004: the component table is vacuumed after 1% new rows (the visibility map
        // the covering purl index's index-only scans need), not the default 20%.
        const sbomIndexes = (await client.query<{ indexname: string }>("select indexname from pg_indexes where tablename = 'sboms'")).rows.map((r) => r.indexname);
        expect(sbomIndexes).toEqual(expect.arrayContaining(["sboms_digest_ingested", "sboms_service_ingested"]));
        expect(sbomIndexes).not.toContain("sboms_digest");
        const options = (await client.query<{ reloptions: string[] | null }>("select reloptions from pg_class where relname = 'sbom_components'")).rows[0]!.reloptions;
        expect(options).toEqual(expect.arrayContaining(["autovacuum_vacuum_insert_scale_factor=0.01", "autovacuum_vacuum_insert_threshold=10000"]));
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it("upgrades a database made at 0001 with SBOMs in it: 0002 builds the covering index, read index-only", async () => {
    const database = await createTestDatabase();
    try {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const old = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      await migrateIndexUpTo(old, "postgres", "0001_sbom_index");
      await old.destroy();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const sbom = { id: `sha256:${"a".repeat(64)}`, service: "checkout", version: "1.0.0", digest: `sha256:${"b".repeat(64)}` };
        const { rows } = await client.query<{ seq: number }>(
          "insert into sboms (id, service, version, digest, format, spec_version, component_count, without_purl, ingested_at, ingested_by) values ($1, $2, $3, $4, 'cyclonedx', '1.5', 2, 0, '2025-01-01T00:00:00.000000000Z', 'token-a') returning seq",
          [sbom.id, sbom.service, sbom.version, sbom.digest],
        );
        const seq = rows[0]!.seq;
        const insert =
          "insert into sbom_components (sbom_seq, position, name, name_lower, version, purl, purl_version, purl_type, purl_namespace, purl_name, osv_ecosystem, osv_name, osv_release, osv_version, license) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
        await client.query(insert, [seq, 0, "left-pad", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", "1.3.0", "npm", "", "left-pad", "npm", "left-pad", null, "1.3.0", "MIT"]);
        await client.query(insert, [seq, 1, "log4j-core", "log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1", "maven", "org.apache.logging.log4j", "log4j-core", "Maven", "org.apache.logging.log4j:log4j-core", null, "2.14.1", "Apache-2.0"]);

        const store = await openPostgresIndexStore(database.url);
        try {
          const key = { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core" };
          const log4j = { name: "log4j-core", version: "2.14.1", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", purlVersion: "2.14.1", purlKey: key };
          expect(await store.findComponents({ purl: key })).toEqual([{ sbom, component: { ...log4j, osvKey: { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core", version: "2.14.1" }, license: "Apache-2.0" } }]);
          expect(await store.findComponents({ purl: key }, { fields: "impact" })).toEqual([{ sbom, component: log4j }]);
          expect((await store.findComponents({ nameLower: "left-pad" })).map((h) => h.component.license)).toEqual(["MIT"]);
        } finally {
          await store.close();
        }
        expect((await client.query<{ name: string }>("select name from vouch_index_migration order by name")).rows.map((r) => r.name)).toEqual([...INDEX_MIGRATION_NAMES]);
        const indexes = (await client.query<{ indexname: string }>("select indexname from pg_indexes where tablename = 'sbom_components'")).rows.map((r) => r.indexname);
        expect(indexes).toContain("sbom_components_purl_cover");
        expect(indexes).not.toContain("sbom_components_purl");
        // The impact lookup's columns are all in the index: once vacuumed (the visibility map set), an index-only scan.
        await client.query("vacuum analyze sbom_components");
        await client.query("set enable_seqscan = off");
        const plan = await client.query<{ "QUERY PLAN": string }>(
          `explain select c.sbom_seq, c.position, c.name, c.version, c.purl, c.purl_version, c.purl_type, c.purl_namespace, c.purl_name
           from sbom_components c where c.purl_type = 'maven' and c.purl_name = 'log4j-core' and c.purl_namespace = 'org.apache.logging.log4j'`,
        );
        expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Index Only Scan using sbom_components_purl_cover/);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it("upgrades a database made at 0004 with deployments in it: 0005 fills their SBOM facts from the stored SBOMs", async () => {
    const database = await createTestDatabase();
    try {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const old = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      await migrateIndexUpTo(old, "postgres", "0004_components_vacuum_after_inserts");
      await old.destroy();
      const [a, b] = [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`];
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const sbom = "insert into sboms (id, service, version, digest, format, spec_version, component_count, without_purl, ingested_at, ingested_by) values ($1, $2, '1', $3, 'cyclonedx', '1.5', 0, 0, $4, 'token-a')";
        await client.query(sbom, [`sha256:${"1".repeat(64)}`, "checkout", a, "2025-01-01T00:00:00.000000000Z"]);
        await client.query(sbom, [`sha256:${"2".repeat(64)}`, "checkout", a, "2025-03-01T00:00:00.000000000Z"]);
        await client.query(sbom, [`sha256:${"3".repeat(64)}`, "checkout", null, "2024-12-01T00:00:00.000000000Z"]);
        const event = "insert into deployments (id, service, environment, digest, deployed_at, source, by, recorded_at) values ($1, $2, 'prod', $3, $4, 'push', 'token-a', $4)";
        await client.query(event, ["d-a", "checkout", a, "2025-02-01T00:00:00.000000000Z"]);
        await client.query(event, ["d-b", "billing", b, "2025-02-01T00:00:00.000000000Z"]);
        const current = "insert into current_deployments (service, environment, deployment_id, digest, deployed_at) values ($1, 'prod', $2, $3, $4)";
        await client.query(current, ["checkout", "d-a", a, "2025-02-01T00:00:00.000000000Z"]);
        await client.query(current, ["billing", "d-b", b, "2025-02-01T00:00:00.000000000Z"]);
      } finally {
        await client.end();
      }
      const store = await openPostgresIndexStore(database.url);
      try {
        const expected = [
          { service: "checkout", environment: "prod", digest: a, deployedAt: "2025-02-01T00:00:00Z", deploymentId: "d-a", digestFirstSbomAt: "2025-01-01T00:00:00Z", digestSbomAtDeploy: "2025-01-01T00:00:00Z", serviceFirstSbomAt: "2024-12-01T00:00:00Z" },
          { service: "billing", environment: "prod", digest: b, deployedAt: "2025-02-01T00:00:00Z", deploymentId: "d-b" },
        ];
        expect(await store.deploymentSbomFacts()).toEqual([expected[1], expected[0]]);
        expect(await store.deploymentSbomFacts({ history: {} })).toEqual(expected);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });

  it("runs its migrations once when two stores open a new database at the same time", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresIndexStore(database.url), openPostgresIndexStore(database.url)]);
      for (const store of stores) await store.ping();
      for (const store of stores) await store.close();
    } finally {
      await database.drop();
    }
  });
});
