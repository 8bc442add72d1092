import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { describeIndexStoreContract } from "../index-store.contract.js";
import { INDEX_MIGRATION_NAMES, migrateIndexUpTo } from "../sql-index-store.js";
import { openSqliteIndexStore } from "./index-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-index-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeIndexStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return { open: () => openSqliteIndexStore(file) };
});

describe("SQLite index store", () => {
  it("runs in WAL mode, records its own migrations, and indexes every lookup key", async () => {
    const file = join(tempDir(), "index.sqlite");
    const store = await openSqliteIndexStore(file);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_index_migration").pluck().all()).toEqual([...INDEX_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining(["sbom_components_purl_cover", "sbom_components_name", "sbom_components_osv", "current_deployments_digest", "sboms_digest_ingested", "sboms_service_ingested"]),
    );
    // 0002 replaced the purl index with the covering one; 0003 the digest index with (digest, ingested_at).
    expect(indexes).not.toContain("sbom_components_purl");
    expect(indexes).not.toContain("sboms_digest");
    // The SLI facts (deploymentSbomFacts' aggregates) are read from those indexes, never from the SBOM rows.
    const facts = db
      .prepare("explain query plan select (select max(s.ingested_at) from sboms s where s.digest = ? and substr(s.ingested_at, 1, 23) <= ?), (select min(s.ingested_at) from sboms s where s.service = ?)")
      .all("sha256:x", "2025", "checkout") as { detail: string }[];
    expect(facts.map((p) => p.detail)).toEqual(expect.arrayContaining([expect.stringContaining("COVERING INDEX sboms_digest_ingested"), expect.stringContaining("COVERING INDEX sboms_service_ingested")]));
    // The impact lookup (fields "impact") reads the covering index only, never the table rows.
    const plan = db
      .prepare(
        `explain query plan select s.id, s.service, s.version, s.digest, c.sbom_seq, c.position, c.name, c.version, c.purl, c.purl_version, c.purl_type, c.purl_namespace, c.purl_name
         from sbom_components c join sboms s on s.seq = c.sbom_seq where c.purl_type = ? and c.purl_name = ? and c.purl_namespace = ?`,
      )
      .all("maven", "log4j-core", "org.apache.logging.log4j") as { detail: string }[];
    expect(plan.map((p) => p.detail).join("; ")).toMatch(/USING COVERING INDEX sbom_components_purl_cover/);
    db.close();
    await store.close();
    await (await openSqliteIndexStore(file)).close();
  });

  it("upgrades a database made at 0001 with SBOMs in it: 0002 builds the covering index from the stored rows", async () => {
    const file = join(tempDir(), "index.sqlite");
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await migrateIndexUpTo(old, "sqlite", "0001_sbom_index");
    const raw = new Database(file);
    raw.prepare("insert into sboms (seq, id, service, version, digest, format, spec_version, component_count, without_purl, ingested_at, ingested_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(1, `sha256:${"a".repeat(64)}`, "checkout", "1.0.0", `sha256:${"b".repeat(64)}`, "cyclonedx", "1.5", 2, 0, "2025-01-01T00:00:00.000000000Z", "token-a");
    const row = raw.prepare(
      "insert into sbom_components (sbom_seq, position, name, name_lower, version, purl, purl_version, purl_type, purl_namespace, purl_name, osv_ecosystem, osv_name, osv_release, osv_version, license) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    row.run(1, 0, "left-pad", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", "1.3.0", "npm", "", "left-pad", "npm", "left-pad", null, "1.3.0", "MIT");
    row.run(1, 1, "log4j-core", "log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1", "maven", "org.apache.logging.log4j", "log4j-core", "Maven", "org.apache.logging.log4j:log4j-core", null, "2.14.1", "Apache-2.0");
    raw.close();
    await old.destroy();

    const store = await openSqliteIndexStore(file);
    const key = { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core" };
    const sbom = { id: `sha256:${"a".repeat(64)}`, service: "checkout", version: "1.0.0", digest: `sha256:${"b".repeat(64)}` };
    const log4j = { name: "log4j-core", version: "2.14.1", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", purlVersion: "2.14.1", purlKey: key };
    expect(await store.findComponents({ purl: key })).toEqual([{ sbom, component: { ...log4j, osvKey: { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core", version: "2.14.1" }, license: "Apache-2.0" } }]);
    expect(await store.findComponents({ purl: key }, { fields: "impact" })).toEqual([{ sbom, component: log4j }]);
    expect((await store.findComponents({ nameLower: "left-pad" })).map((h) => h.component.license)).toEqual(["MIT"]);
    expect((await store.findSbom(sbom.id))?.components).toBe(2);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("select name from vouch_index_migration order by name").pluck().all()).toEqual([...INDEX_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index'").pluck().all();
    expect(indexes).toContain("sbom_components_purl_cover");
    expect(indexes).not.toContain("sbom_components_purl");
    expect(db.prepare("pragma integrity_check").pluck().get()).toBe("ok");
    db.close();
  });

  it("upgrades a database made at 0004 with deployments in it: 0005 fills their SBOM facts from the stored SBOMs", async () => {
    const file = join(tempDir(), "index.sqlite");
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    await migrateIndexUpTo(old, "sqlite", "0004_components_vacuum_after_inserts");
    await old.destroy();
    const raw = new Database(file);
    const [a, b] = [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`];
    const sbom = raw.prepare("insert into sboms (id, service, version, digest, format, spec_version, component_count, without_purl, ingested_at, ingested_by) values (?, ?, '1', ?, 'cyclonedx', '1.5', 0, 0, ?, 'token-a')");
    sbom.run(`sha256:${"1".repeat(64)}`, "checkout", a, "2025-01-01T00:00:00.000000000Z");
    sbom.run(`sha256:${"2".repeat(64)}`, "checkout", a, "2025-03-01T00:00:00.000000000Z");
    sbom.run(`sha256:${"3".repeat(64)}`, "checkout", null, "2024-12-01T00:00:00.000000000Z");
    const event = raw.prepare("insert into deployments (id, service, environment, digest, deployed_at, source, by, recorded_at) values (?, ?, 'prod', ?, ?, 'push', 'token-a', ?)");
    event.run("d-a", "checkout", a, "2025-02-01T00:00:00.000000000Z", "2025-02-01T00:00:00.000000000Z");
    event.run("d-b", "billing", b, "2025-02-01T00:00:00.000000000Z", "2025-02-01T00:00:00.000000000Z");
    const current = raw.prepare("insert into current_deployments (service, environment, deployment_id, digest, deployed_at) values (?, 'prod', ?, ?, ?)");
    current.run("checkout", "d-a", a, "2025-02-01T00:00:00.000000000Z");
    current.run("billing", "d-b", b, "2025-02-01T00:00:00.000000000Z");
    raw.close();

    const store = await openSqliteIndexStore(file);
    const expected = [
      { service: "checkout", environment: "prod", digest: a, deployedAt: "2025-02-01T00:00:00Z", deploymentId: "d-a", digestFirstSbomAt: "2025-01-01T00:00:00Z", digestSbomAtDeploy: "2025-01-01T00:00:00Z", serviceFirstSbomAt: "2024-12-01T00:00:00Z" },
      { service: "billing", environment: "prod", digest: b, deployedAt: "2025-02-01T00:00:00Z", deploymentId: "d-b" },
    ];
    expect(await store.deploymentSbomFacts()).toEqual([expected[1], expected[0]]);
    expect(await store.deploymentSbomFacts({ history: {} })).toEqual(expected);
    await store.close();
  });

  it("opens one new file from two stores at once", async () => {
    const file = join(tempDir(), "index.sqlite");
    const [a, b] = await Promise.all([openSqliteIndexStore(file), openSqliteIndexStore(file)]);
    await a.ping();
    await b.ping();
    await a.close();
    await b.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteIndexStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
