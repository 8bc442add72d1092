import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";
import { createTestDatabase, postgresUnavailable } from "../support/postgres.js";

const REPO = join(import.meta.dirname, "..", "..");
const RECORDS = join(REPO, "src", "vuln", "osv", "fixtures", "records");
const CORRUPT = join(REPO, "src", "vuln", "osv", "fixtures", "corrupt");
const FIXTURES = join(REPO, "src", "vuln", "import", "fixtures");
const work = mkdtempSync(join(tmpdir(), "vouch-cli-db-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function dataDir(): string {
  return join(work, `data-${n++}`);
}

const unavailable = await postgresUnavailable();

describe("vouch db (the CLI, end to end)", () => {
  it("imports the real OSV records from a directory, reports them, and re-importing changes nothing", () => {
    const env = { VOUCH_DATA_DIR: dataDir() };
    const first = vouch(["db", "import", RECORDS, "-o", "json"], { env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ read: 24, inserted: 24, updated: 0, unchanged: 0, skipped: 0, database: expect.stringContaining("advisories.sqlite") });
    const again = vouch(["db", "import", join(FIXTURES, "all.zip")], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("OSV records: 24 read, 0 inserted, 0 updated, 24 unchanged, 0 skipped\n");

    const status = vouch(["db", "status", "-o", "json"], { env });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ records: 24, withdrawn: 1, newestModified: expect.stringMatching(/Z$/), feeds: { osv: { importedAt: expect.any(String) } } });
    expect(Object.fromEntries(s.ecosystems.map((e: { ecosystem: string; records: number }) => [e.ecosystem, e.records]))).toMatchObject({ Maven: 2, Go: 4, Debian: 3 });
    const table = vouch(["db", "status"], { env });
    expect(table.stdout).toMatch(/^ECOSYSTEM +RECORDS$/m);
    expect(table.stdout).toMatch(/^crates\.io +4$/m);
    expect(table.stdout).toContain("records: 24 (1 withdrawn)");
    expect(table.stdout).toContain("EPSS: never imported");
  });

  it("skips malformed records with a warning naming file and id, and imports EPSS and KEV beside them", () => {
    const env = { VOUCH_DATA_DIR: dataDir() };
    const r = vouch(["db", "import", join(FIXTURES, "with-malformed.zip"), "--epss", join(FIXTURES, "epss.csv.gz"), "--kev", join(FIXTURES, "kev.json")], { env });
    expect(r.code).toBe(0);
    const warnings = r.stderr.trim().split("\n");
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: .*with-malformed\.zip!GHSA-whgm-jr23-g3j9\.json: GHSA-whgm-jr23-g3j9: skipped: OSV record GHSA-whgm-jr23-g3j9: affected\[0\]\.ranges\[0\]\.events must contain an introduced event$/),
      expect.stringMatching(/^warning: .*with-malformed\.zip!broken\.json: skipped: not JSON/),
    ]);
    expect(r.stdout).toBe("OSV records: 4 read, 2 inserted, 0 updated, 0 unchanged, 2 skipped\nEPSS: 6 scores (replaced)\nKEV: 2 entries (replaced)\n");
    const status = JSON.parse(vouch(["db", "status", "-o", "json"], { env }).stdout);
    expect(status.feeds.epss).toMatchObject({ count: 6, version: "v2025.03.14", date: "2025-06-01T12:55:00+0000" });
    expect(status.feeds.kev).toMatchObject({ count: 2, version: "2025.06.01" });
  });

  it("a directory of nothing but corrupt records imports nothing and warns for each (exit 0: skipped records are not a failure)", () => {
    const env = { VOUCH_DATA_DIR: dataDir() };
    const r = vouch(["db", "import", CORRUPT, "-o", "json"], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 25, skipped: 25, inserted: 0 });
    expect(r.stderr.trim().split("\n")).toHaveLength(25);
    expect(r.stderr).toMatch(/warning: .*ecosystem-empty-suffix\.json: DLA-3008-1: skipped: OSV record DLA-3008-1: affected\[0\]\.package\.ecosystem/);
  });

  it("a corrupt zip or a truncated EPSS CSV fails with one line, exit 2, and leaves the previous state", () => {
    const env = { VOUCH_DATA_DIR: dataDir() };
    expect(vouch(["db", "import", join(RECORDS, "GHSA-jfh8-c2jp-5v3q.json"), "--epss", join(FIXTURES, "epss.csv")], { env }).code).toBe(0);
    const before = vouch(["db", "status", "-o", "json"], { env }).stdout;

    const zip = vouch(["db", "import", join(FIXTURES, "corrupt-entry.zip")], { env });
    expect(zip.code).toBe(2);
    expect(zip.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^vouch: .*corrupt-entry\.zip: not a readable zip \(RUSTSEC-2023-0044\.json: /)]);
    expect(vouch(["db", "status", "-o", "json"], { env }).stdout).toBe(before);

    const truncated = vouch(["db", "import", join(FIXTURES, "all.zip"), "--epss", join(FIXTURES, "epss-truncated.csv")], { env });
    expect(truncated.code).toBe(2);
    expect(truncated.stderr.trim()).toMatch(/^vouch: .*epss-truncated\.csv:8: EPSS CSV line 8: the file ends inside this line/);
    expect(vouch(["db", "status", "-o", "json"], { env }).stdout).toBe(before);

    expect(vouch(["db", "import"], { env }).code).toBe(2);
    expect(vouch(["db", "status", "-o", "yaml"], { env }).code).toBe(2);
  });

  it.skipIf(unavailable !== undefined)("stores in PostgreSQL with DATABASE_URL", async () => {
    const database = await createTestDatabase();
    try {
      const env = { VOUCH_DATA_DIR: dataDir(), DATABASE_URL: database.url };
      const dir = join(work, "pg-records");
      cpSync(RECORDS, dir, { recursive: true });
      const r = vouch(["db", "import", dir, "--kev", join(FIXTURES, "kev.json"), "-o", "json"], { env });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ inserted: 24, kevEntries: 2, database: expect.stringMatching(/^PostgreSQL/) });
      expect(JSON.parse(vouch(["db", "status", "-o", "json"], { env }).stdout)).toMatchObject({ records: 24, feeds: { kev: { count: 2 } } });
    } finally {
      await database.drop();
    }
  });
});
