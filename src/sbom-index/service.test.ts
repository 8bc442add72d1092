import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../test/support/errors.js";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../../test/support/postgres.js";
import { openIndexStore } from "../runtime.js";
import { readSbom } from "../sbom/read/index.js";
import { openPostgresIndexStore } from "../store/postgres/index-store.js";
import type { AdvisoryStore, IndexStore } from "../store/ports.js";
import { openSqliteAdvisoryStore } from "../store/sqlite/advisory-store.js";
import { openSqliteIndexStore } from "../store/sqlite/index-store.js";
import { parseOsvJson } from "../vuln/osv/parse.js";
import { createIndexService } from "./service.js";
import type { IndexService } from "./types.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const WILD = join(import.meta.dirname, "..", "..", "test", "fixtures", "sboms-in-the-wild");
const RECORDS = join(import.meta.dirname, "..", "vuln", "osv", "fixtures", "records");

const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const CHECKOUT_14 = "checkout-1.4.0-log4j-2.14.1.cdx.json";
const CHECKOUT_15 = "checkout-1.5.0-log4j-2.16.0.cdx.json";
const BILLING = "billing-3.2.0-log4j-2.17.1.cdx.json";
const SEARCH = "search-2.0.0-log4j-2.0-beta9.spdx.json";
const digestOf = (c: string) => `sha256:${c.repeat(64)}` as const;
const sha = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core";
const CLOCK = () => new Date("2025-06-01T00:00:00Z");

const pgUnavailable = await postgresUnavailable();

interface Driver {
  name: string;
  skip?: string;
  open(): Promise<{ store: IndexStore; dispose(): Promise<void> }>;
}

const temps: string[] = [];
const DRIVERS: Driver[] = [
  {
    name: "SQLite",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "vouch-index-service-"));
      temps.push(dir);
      return { store: await openSqliteIndexStore(join(dir, "index.sqlite")), dispose: async () => undefined };
    },
  },
  {
    name: "PostgreSQL",
    ...(pgUnavailable === undefined ? {} : { skip: pgUnavailable }),
    open: async () => {
      const database: TestDatabase = await createTestDatabase();
      return { store: await openPostgresIndexStore(database.url), dispose: () => database.drop() };
    },
  },
];

afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The advisory database holding the real OSV fixture records (Log4Shell's GHSA among them). */
async function advisoryStore(): Promise<AdvisoryStore> {
  const dir = mkdtempSync(join(tmpdir(), "vouch-index-advisories-"));
  temps.push(dir);
  const store = await openSqliteAdvisoryStore(join(dir, "advisories.sqlite"));
  const records = readdirSync(RECORDS).filter((f) => f.endsWith(".json")).map((f) => parseOsvJson(readFileSync(join(RECORDS, f), "utf8")));
  await store.import({ importedAt: "2025-01-01T00:00:00Z", records });
  return store;
}

/** The log4j portfolio: four artifacts, deployed (and re-deployed) to prod and staging. */
async function seed(service: IndexService): Promise<void> {
  for (const [file, name, version] of [
    [CHECKOUT_14, "checkout", "1.4.0"],
    [CHECKOUT_15, "checkout", "1.5.0"],
    [BILLING, "billing", "3.2.0"],
    [SEARCH, "search", "2.0.0"],
  ] as const) {
    await service.ingestSbom({ bytes: fixture(file), service: name, version, by: "token-ci" });
  }
  // checkout: 1.4.0 went to prod, then 1.5.0 replaced it there; staging still runs 1.4.0.
  await service.ingestDeployment({ service: "checkout", environment: "prod", digest: digestOf("a"), at: "2025-01-10T00:00:00Z", by: "token-ci" });
  await service.ingestDeployment({ service: "checkout", environment: "prod", digest: digestOf("b"), at: "2025-02-10T00:00:00Z", by: "token-ci" });
  await service.ingestDeployment({ service: "checkout", environment: "staging", digest: digestOf("a"), at: "2025-01-09T00:00:00Z", by: "token-ci" });
  await service.ingestDeployment({ service: "billing", environment: "prod", digest: digestOf("c"), at: "2025-02-01T00:00:00Z", source: "admission", by: "webhook" });
  // search is indexed but deployed nowhere.
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.skip !== undefined)(`IndexService over ${driver.name}`, () => {
    if (driver.skip !== undefined) console.warn(`[index service] ${driver.name} SKIPPED: ${driver.skip}`);
    let service: IndexService;
    let store: IndexStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      const opened = await driver.open();
      store = opened.store;
      dispose = opened.dispose;
      service = createIndexService({ store, advisories: await advisoryStore(), clock: CLOCK });
    });

    afterEach(async () => {
      await service.close();
      await dispose();
    });

    it("answers the log4j question: <2.17.1 finds 2.14.1, 2.16.0 and 2.0-beta9, never 2.17.1, with current deployments", async () => {
      await seed(service);
      const result = await service.affected({ purl: LOG4J, range: "<2.17.1" });
      expect(result.artifacts.map((a) => [a.service, a.version, a.digest, a.components.map((c) => c.version)])).toEqual([
        ["checkout", "1.4.0", digestOf("a"), ["2.14.1"]],
        ["checkout", "1.5.0", digestOf("b"), ["2.16.0"]],
        ["search", "2.0.0", digestOf("d"), ["2.0-beta9"]],
      ]);
      const byVersion = Object.fromEntries(result.artifacts.map((a) => [a.version, a.deployments]));
      expect(byVersion["1.4.0"]).toEqual([{ service: "checkout", environment: "staging", deployedAt: "2025-01-09T00:00:00Z" }]);
      expect(byVersion["1.5.0"]).toEqual([{ service: "checkout", environment: "prod", deployedAt: "2025-02-10T00:00:00Z" }]);
      expect(byVersion["2.0.0"]).toEqual([]);
      expect(result.services).toEqual(["checkout"]);
      expect(result.environments).toEqual(["prod", "staging"]);
      expect(result.artifacts[0]!.components).toEqual([{ purl: `${LOG4J}@2.14.1`, name: "log4j-core", version: "2.14.1" }]);
      expect(result.artifacts[0]!.sbom).toBe(sha(fixture(CHECKOUT_14)));
      expect(result.tookMs).toBeGreaterThanOrEqual(0);

      // The form with a lower bound, and only what runs.
      const ranged = await service.affected({ purl: LOG4J, range: ">=2.0-beta9, <2.17.1", deployedOnly: true });
      expect(ranged.artifacts.map((a) => a.version)).toEqual(["1.4.0", "1.5.0"]);
      const all = await service.affected({ purl: LOG4J });
      expect(all.artifacts.map((a) => a.version)).toEqual(["3.2.0", "1.4.0", "1.5.0", "2.0.0"]);
      expect(all.services).toEqual(["billing", "checkout"]);
    });

    it("pages an impact answer: limit + cursor walk every artifact once, in order; services and environments are the whole answer's", async () => {
      await seed(service);
      const whole = await service.affected({ purl: LOG4J });
      expect(whole.total).toBe(4);
      expect(whole.next).toBeUndefined();
      expect(whole.artifacts.some((a) => a.deployments.length > 0)).toBe(true);
      // Pages smaller than the answer's digests: where the answer runs comes from the store without the rows, and
      // each page's artifacts carry their own deployments, exactly as in the whole answer.
      for (const [limit, deployedOnly, expectedPages] of [[3, false, 2], [1, false, 4], [1, true, whole.artifacts.filter((a) => a.deployments.length > 0).length]] as const) {
        const asked = deployedOnly ? await service.affected({ purl: LOG4J, deployedOnly }) : whole;
        const seen: typeof whole.artifacts = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await service.affected({ purl: LOG4J, limit, deployedOnly, ...(cursor === undefined ? {} : { cursor }) });
          expect(page.total).toBe(asked.total);
          expect(page.services).toEqual(asked.services);
          expect(page.environments).toEqual(asked.environments);
          expect(page.artifacts.length).toBeLessThanOrEqual(limit);
          seen.push(...page.artifacts);
          cursor = page.next;
          pages++;
        } while (cursor !== undefined);
        expect(pages).toBe(expectedPages);
        expect(seen).toEqual(asked.artifacts);
      }
      // Exactly a page's worth: no next.
      expect((await service.affected({ purl: LOG4J, limit: 4 })).next).toBeUndefined();
      const refused = async (query: Parameters<IndexService["affected"]>[0]) => (await rejectedVouchError(() => service.affected(query))).code;
      expect(await refused({ purl: LOG4J, limit: 0 })).toBe("INPUT_USAGE");
      expect(await refused({ purl: LOG4J, limit: 10_001 })).toBe("INPUT_USAGE");
      expect(await refused({ purl: LOG4J, cursor: "not-a-cursor" })).toBe("INPUT_USAGE");
      expect(await refused({ purl: LOG4J, cursor: Buffer.from('{"a":1}').toString("base64url") })).toBe("INPUT_USAGE");
    });

    it("finds one version from the purl, a name case-insensitively, and normalised pypi names", async () => {
      await seed(service);
      expect((await service.affected({ purl: `${LOG4J}@2.16.0` })).artifacts.map((a) => a.version)).toEqual(["1.5.0"]);
      // Maven order: 2.16 is 2.16.0.
      expect((await service.affected({ purl: `${LOG4J}@2.16` })).artifacts.map((a) => a.version)).toEqual(["1.5.0"]);
      const byName = await service.affected({ name: "LOG4J-Core" });
      expect(byName.artifacts).toHaveLength(4);
      expect((await service.affected({ name: "log4j-core", range: "<2.1" })).artifacts.map((a) => a.service)).toEqual(["search"]);
      // The SBOM wrote pkg:pypi/Flask_Cors; PEP 503 makes flask.cors the same project.
      expect((await service.affected({ purl: "pkg:pypi/flask.cors" })).artifacts.map((a) => a.version)).toEqual(["1.4.0"]);
      // A component without a purl is found by name only, and a range cannot order it.
      expect((await service.affected({ name: "vendored-zlib" })).artifacts.map((a) => a.version)).toEqual(["1.5.0"]);
      const unordered = await service.affected({ name: "vendored-zlib", range: "<2" });
      expect(unordered.artifacts).toEqual([]);
      expect(unordered.notes).toEqual([expect.stringContaining("no purl type with a version order")]);
    });

    it("answers 'which running services are affected by CVE-2021-44228?' from the advisory database", async () => {
      await seed(service);
      const result = await service.affected({ advisory: "CVE-2021-44228" });
      // GHSA-jfh8-c2jp-5v3q: 2.0-beta9 up to 2.15.0 (and 2.13.0 branches); 2.16.0 and 2.17.1 are fixed.
      expect(result.artifacts.map((a) => [a.service, a.version])).toEqual([
        ["checkout", "1.4.0"],
        ["search", "2.0.0"],
      ]);
      expect(result.services).toEqual(["checkout"]);
      expect(result.environments).toEqual(["staging"]);
      expect((await service.affected({ advisory: "GHSA-jfh8-c2jp-5v3q", deployedOnly: true })).artifacts.map((a) => a.version)).toEqual(["1.4.0"]);
      // DLA-3008-1 is Debian 9's openssl: the Debian 12 libssl3 (source openssl) is another release.
      expect((await service.affected({ advisory: "DLA-3008-1" })).artifacts).toEqual([]);
      // PYSEC-2020-43: flask-cors before 3.0.9; the SBOM has 3.0.9.
      expect((await service.affected({ advisory: "PYSEC-2020-43" })).artifacts).toEqual([]);
      expect((await rejectedVouchError(() => service.affected({ advisory: "CVE-1999-0000" }))).code).toBe("INPUT_NOT_FOUND");
    });

    it("is idempotent by content: the same bytes answer the first ingest, whoever pushes them", async () => {
      const first = await service.ingestSbom({ bytes: fixture(CHECKOUT_14), service: "checkout", version: "1.4.0", by: "token-ci" });
      expect(first).toEqual({
        id: sha(fixture(CHECKOUT_14)),
        created: true,
        service: "checkout",
        version: "1.4.0",
        digest: digestOf("a"),
        format: "cyclonedx",
        specVersion: "1.6",
        components: 3,
        withoutPurl: 0,
      });
      const again = await service.ingestSbom({ bytes: fixture(CHECKOUT_14), service: "other", by: "token-b" });
      expect(again).toEqual({ ...first, created: false });
      expect((await service.affected({ purl: LOG4J })).artifacts).toHaveLength(1);
      const d1 = await service.ingestDeployment({ service: "checkout", environment: "prod", digest: digestOf("a"), at: "2025-01-10T01:00:00+01:00", by: "token-ci" });
      const d2 = await service.ingestDeployment({ service: "checkout", environment: "prod", digest: digestOf("a"), at: "2025-01-10T00:00:00Z", by: "token-ci" });
      expect(d1.created).toBe(true);
      expect(d2).toEqual({ id: d1.id, created: false });
      // Without `at`, the server's clock.
      await service.ingestDeployment({ service: "checkout", environment: "dev", digest: digestOf("a"), by: "token-ci" });
      expect((await service.affected({ purl: LOG4J })).artifacts[0]!.deployments).toEqual([
        { service: "checkout", environment: "dev", deployedAt: "2025-06-01T00:00:00Z" },
        { service: "checkout", environment: "prod", deployedAt: "2025-01-10T00:00:00Z" },
      ]);
    });

    it("takes the subject's digest from the SBOM unless the push names one", async () => {
      const pushed = await service.ingestSbom({ bytes: fixture(SEARCH), service: "search", digest: digestOf("e"), by: "t" });
      expect(pushed.digest).toBe(digestOf("e"));
      expect(pushed.withoutPurl).toBe(0);
      expect(pushed.format).toBe("spdx");
      const fromDoc = await service.ingestSbom({ bytes: fixture(CHECKOUT_15), service: "checkout", by: "t" });
      expect(fromDoc.digest).toBe(digestOf("b"));
      expect(fromDoc.withoutPurl).toBe(1);
      expect("version" in fromDoc).toBe(false);
    });

    it("stores nothing when the write fails part-way or the SBOM is over the component limit", async () => {
      const failing: IndexStore = {
        ...store,
        ingestSbom: (write) =>
          store.ingestSbom({
            ...write,
            components: (async function* () {
              let n = 0;
              for await (const c of write.components) {
                if (++n === 3) throw new Error("disk on fire");
                yield c;
              }
            })(),
          }),
      };
      const broken = createIndexService({ store: failing, clock: CLOCK });
      await expect(broken.ingestSbom({ bytes: fixture(CHECKOUT_14), service: "checkout", by: "t" })).rejects.toThrow(/disk on fire/);
      expect((await service.affected({ name: "log4j-api" })).artifacts).toEqual([]);
      const small = createIndexService({ store, clock: CLOCK, maxComponents: 2 });
      const err = await rejectedVouchError(() => small.ingestSbom({ bytes: fixture(CHECKOUT_14), service: "checkout", by: "t" }));
      expect(err.code).toBe("INPUT_TOO_LARGE");
      expect(err.message).toContain("3 components");
      expect((await service.affected({ name: "log4j-api" })).artifacts).toEqual([]);
      // Then the same bytes ingest whole.
      expect((await service.ingestSbom({ bytes: fixture(CHECKOUT_14), service: "checkout", by: "t" })).created).toBe(true);
      expect((await service.affected({ name: "log4j-api" })).artifacts).toHaveLength(1);
    });

    it("8 concurrent ingests (4 SBOMs twice) while impact queries run: no lost or duplicated rows, no errors", async () => {
      const files = [CHECKOUT_14, CHECKOUT_15, BILLING, SEARCH];
      let stop = false;
      let queries = 0;
      const querying = (async () => {
        while (!stop) {
          const r = await service.affected({ purl: LOG4J, range: "<2.17.1" });
          // Each artifact appears whole: one log4j-core per SBOM, never two.
          for (const a of r.artifacts) expect(a.components).toHaveLength(1);
          queries++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const results = await Promise.all([...files, ...files].map((f, i) => service.ingestSbom({ bytes: fixture(f), service: `svc-${f}`, by: `client-${i}` })));
      stop = true;
      await querying;
      expect(queries).toBeGreaterThan(0);
      for (const [i, f] of files.entries()) {
        expect([results[i]!.created, results[i + 4]!.created].sort()).toEqual([false, true]);
        expect(results[i]!.id).toBe(sha(fixture(f)));
        expect(results[i + 4]!.id).toBe(results[i]!.id);
      }
      const all = await service.affected({ purl: LOG4J });
      expect(all.artifacts.map((a) => a.components.length)).toEqual([1, 1, 1, 1]);
      expect((await service.affected({ name: "log4j-api" })).artifacts).toHaveLength(3);
    });

    it("treats SQL-significant characters in every query value and label as data", async () => {
      await seed(service);
      const nasty = ["'; drop table sboms; --", "%", "_", "\\", "' or '1'='1", "log4j-core%"];
      for (const text of nasty) {
        expect((await service.affected({ name: text })).artifacts).toEqual([]);
        expect((await service.affected({ purl: `pkg:maven/${encodeURIComponent(text)}/${encodeURIComponent(text)}` })).artifacts).toEqual([]);
        expect((await rejectedVouchError(() => service.affected({ advisory: text }))).code).toBe("INPUT_NOT_FOUND");
      }
      const label = "o'brien; --%_\\";
      await service.ingestSbom({ bytes: new TextEncoder().encode(readFileSync(join(FIXTURES, BILLING), "utf8").replace('"billing"', '"b2"')), service: label, version: label, by: label });
      await service.ingestDeployment({ service: label, environment: label, digest: digestOf("c"), by: label });
      const r = await service.affected({ purl: `${LOG4J}@2.17.1` });
      expect(r.artifacts.map((a) => a.service).sort()).toEqual(["billing", label]);
      expect(r.environments).toEqual([label, "prod"].sort());
      // Everything seeded is still there.
      expect((await service.affected({ purl: LOG4J })).artifacts).toHaveLength(5);
    });
  });
}

describe("IndexService input", () => {
  let service: IndexService;
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-index-input-"));
    temps.push(dir);
    service = createIndexService({ store: await openSqliteIndexStore(join(dir, "index.sqlite")), clock: CLOCK });
  });
  afterEach(async () => {
    await service.close();
  });

  it("ingests every real SBOM the reader reads, and refuses the others with the reader's one-line reason", async () => {
    const refused: string[] = [];
    for (const file of readdirSync(WILD).filter((f) => f.endsWith(".json")).sort()) {
      const bytes = new Uint8Array(readFileSync(join(WILD, file)));
      let expected: number;
      try {
        expected = readSbom(new TextDecoder().decode(bytes), file).sbom.components.length;
      } catch {
        const err = await rejectedVouchError(() => service.ingestSbom({ bytes, service: file, by: "t" }));
        expect(err.code).toMatch(/^INPUT_/);
        expect(err.message.split("\n")).toHaveLength(1);
        refused.push(file);
        continue;
      }
      const result = await service.ingestSbom({ bytes, service: file, by: "t" });
      expect(result.components).toBe(expected);
      // Some component of each SBOM with a purl is found by it.
      const withPurl = readSbom(new TextDecoder().decode(bytes), file).sbom.components.find((c) => c.purl !== undefined);
      if (withPurl !== undefined) {
        const found = await service.affected({ purl: withPurl.purl! });
        expect(found.artifacts.map((a) => a.service)).toContain(file);
      }
    }
    // The corpus's deliberately broken files (SOURCE.md) are the ones refused.
    expect(refused.every((f) => f.startsWith("broken_") || f.startsWith("invalid_"))).toBe(true);
  });

  it.each([
    ["not JSON", "{ nope", "INPUT_MALFORMED"],
    ["truncated JSON", '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[', "INPUT_MALFORMED"],
    ["XML", '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>', "INPUT_UNSUPPORTED_FORMAT"],
    ["a JSON array", "[]", "INPUT_UNSUPPORTED_FORMAT"],
    ["empty", "", "INPUT_MALFORMED"],
  ])("refuses %s, storing nothing", async (_what, text, code) => {
    const err = await rejectedVouchError(() => service.ingestSbom({ bytes: new TextEncoder().encode(text), service: "x", by: "t" }));
    expect(err.code).toBe(code);
    expect(err.message.split("\n")).toHaveLength(1);
    expect((await service.affected({ name: "x" })).artifacts).toEqual([]);
  });

  it("refuses bytes that are not UTF-8", async () => {
    const err = await rejectedVouchError(() => service.ingestSbom({ bytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), service: "x", by: "t" }));
    expect(err.code).toBe("INPUT_MALFORMED");
  });

  it.each([
    [{ service: "", digest: digestOf("a") }, "service is required"],
    [{ service: "a\nb", digest: digestOf("a") }, "control character"],
    [{ service: "x".repeat(257), digest: digestOf("a") }, "at most 256"],
    [{ service: "s", digest: "sha256:ABC" }, "sha256:<64 lower-case hex digits>"],
    [{ service: "s", digest: `sha512:${"a".repeat(128)}` }, "sha256:<64"],
    [{ service: "s", environment: "", digest: digestOf("a") }, "environment is required"],
    [{ service: "s", digest: digestOf("a"), at: "last tuesday" }, "RFC 3339"],
  ])("refuses a deployment %j", async (change, why) => {
    const err = await rejectedVouchError(() => service.ingestDeployment({ environment: "prod", by: "t", ...change } as never));
    expect(err.code).toMatch(/^INPUT_/);
    expect(err.message).toContain(why);
  });

  it.each([
    [{}, "INPUT_USAGE", "exactly one of purl, name or advisory"],
    [{ purl: LOG4J, name: "x" }, "INPUT_USAGE", "exactly one"],
    [{ purl: "log4j-core" }, "INPUT_MALFORMED", "not a package URL"],
    [{ purl: `${LOG4J}@2.14.1`, range: "<3" }, "INPUT_USAGE", "not both"],
    [{ purl: LOG4J, range: ">=" }, "INPUT_MALFORMED", "operator without a version"],
    [{ purl: "pkg:npm/lodash", range: "<abc" }, "INPUT_MALFORMED", "is not a semver version"],
    [{ purl: "pkg:generic/openssl", range: "<3" }, "INPUT_USAGE", 'purl type "generic"'],
    [{ advisory: "CVE-2021-44228" }, "INPUT_USAGE", "advisory database"],
    [{ advisory: "CVE-2021-44228", range: "<1" }, "INPUT_USAGE", "give no range"],
  ])("refuses the query %j", async (query, code, why) => {
    const err = await rejectedVouchError(() => service.affected(query));
    expect(err.code).toBe(code);
    expect(err.message).toContain(why);
    expect(err.message.split("\n")).toHaveLength(1);
  });

  it("refuses a store answer out of SBOM id order (STORE_CORRUPT) instead of splitting an artifact in two", async () => {
    const hit = (id: string) => ({ sbom: { id: `sha256:${id.repeat(64)}`, service: "s", digest: digestOf("d") }, component: { name: "log4j-core", version: "2.14.1" } });
    const store = { findComponents: async () => [hit("a"), hit("b"), hit("a")], currentDeployments: async () => [] } as unknown as IndexStore;
    expect((await rejectedVouchError(() => createIndexService({ store }).affected({ purl: LOG4J }))).code).toBe("STORE_CORRUPT");
  });

  it("reports readiness from the store", async () => {
    expect(await service.ready()).toBe(true);
    await service.close();
    expect(await service.ready()).toBe(false);
  });
});

describe("openIndexStore (runtime.ts)", () => {
  it("opens <data dir>/index.sqlite without DATABASE_URL, beside the token store's tables", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-index-runtime-"));
    temps.push(dir);
    const { store, description } = await openIndexStore({}, dir, {});
    try {
      expect(description).toBe(`SQLite (${join(dir, "index.sqlite")})`);
      expect(existsSync(join(dir, "index.sqlite"))).toBe(true);
      const service = createIndexService({ store, clock: CLOCK });
      expect((await service.ingestSbom({ bytes: fixture(BILLING), service: "billing", by: "t" })).created).toBe(true);
    } finally {
      await store.close();
    }
  });
});
