import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { osvRecordId, parseOsvJson, parseOsvRecord } from "./parse.js";
import { thrownVouchError } from "../../../test/support/errors.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const text = (dir: string, file: string) => readFileSync(join(FIXTURES, dir, file), "utf8");
const record = (id: string) => parseOsvJson(text("records", `${id}.json`));
const RECORDS = readdirSync(join(FIXTURES, "records")).filter((f) => f.endsWith(".json"));

describe("parseOsvRecord: real records", () => {
  it.each(RECORDS)("%s parses, its id is its file name", (file) => {
    const r = parseOsvJson(text("records", file));
    expect(r.id).toBe(file.replace(/\.json$/, ""));
    expect(r.affected.length).toBeGreaterThan(0);
    for (const a of r.affected) expect(a.ranges.length + a.versions.length).toBeGreaterThan(0);
  });

  it("Log4Shell: one package in three affected entries, each with its own range", () => {
    const r = record("GHSA-jfh8-c2jp-5v3q");
    expect(r.aliases).toEqual(["CVE-2021-44228"]);
    expect(r.affected.map((a) => a.package?.name)).toEqual(Array(3).fill("org.apache.logging.log4j:log4j-core"));
    expect(r.affected.map((a) => a.ranges.map((x) => x.events))).toEqual([
      [[{ kind: "introduced", version: "2.13.0" }, { kind: "fixed", version: "2.15.0" }]],
      [[{ kind: "introduced", version: "0" }, { kind: "fixed", version: "2.3.1" }]],
      [[{ kind: "introduced", version: "2.4" }, { kind: "fixed", version: "2.12.2" }]],
    ]);
    expect(r.severity[0]).toEqual({ type: "CVSS_V3", score: expect.stringMatching(/^CVSS:3\.1\//) as unknown });
    expect(r.affected[0]!.package!.parsedEcosystem).toEqual({ ecosystem: "Maven", known: true });
  });

  it("keeps events in record order (GHSA-9qj7-jvg4-qr2x is unsorted): the matcher sorts", () => {
    expect(record("GHSA-9qj7-jvg4-qr2x").affected[0]!.ranges[0]!.events.map((e) => `${e.kind} ${e.version}`)).toEqual([
      "introduced 0",
      "introduced 4.0.1",
      "fixed 4.0.5",
      "fixed 3.0.21",
    ]);
  });

  it("withdrawn, upstream, release-suffixed ecosystems, GIT ranges with repo, opaque specifics", () => {
    expect(record("GHSA-35c4-f3rq-f9g3").withdrawn).toBe("2018-10-11T17:29:49Z");
    const dla = record("DLA-3008-1");
    expect(dla.upstream.length).toBeGreaterThan(0);
    expect(dla.affected[0]!.package).toMatchObject({ ecosystem: "Debian:9", name: "openssl", purl: "pkg:deb/debian/openssl?arch=source" });
    expect(dla.affected[0]!.package!.parsedEcosystem).toEqual({ ecosystem: "Debian", known: true, release: "9" });
    const fuzz = record("OSV-2018-389");
    expect(fuzz.affected[0]!.ranges[0]).toMatchObject({ type: "GIT", repo: expect.any(String) as unknown });
    const lodash = record("GHSA-p6mc-m468-83gw");
    expect(lodash.affected[0]!.ecosystemSpecific).toBeTypeOf("object");
    expect(record("PYSEC-2023-74").affected[0]!.ranges.map((x) => x.type)).toEqual(["GIT", "ECOSYSTEM"]);
    expect(record("MAL-2024-10238").affected[0]).toMatchObject({ ranges: [], versions: ["0.0.1"] });
  });

  it("normalises package names per ecosystem (PyPI PEP 503)", () => {
    const raw = JSON.parse(text("records", "PYSEC-2020-43.json")) as { affected: { package: { name: string } }[] };
    raw.affected[0]!.package.name = "Flask_CORS";
    expect(parseOsvRecord(raw).affected[0]!.package).toMatchObject({ name: "Flask_CORS", normalizedName: "flask-cors" });
  });

  it("schema defaults: no schema_version is 1.0.0; null aliases and affected read as empty", () => {
    const r = parseOsvRecord({ id: "OSV-2020-1", modified: "2020-01-01T00:00:00.123456789Z", aliases: null, affected: null });
    expect(r).toMatchObject({ schemaVersion: "1.0.0", aliases: [], affected: [] });
  });

  it("osvRecordId names the record of a value that fails to parse", () => {
    expect(osvRecordId(JSON.parse(text("corrupt", "range-type-unknown.json")))).toBe("GHSA-whgm-jr23-g3j9");
    expect(osvRecordId(JSON.parse(text("corrupt", "id-missing.json")))).toBeUndefined();
    expect(osvRecordId([])).toBeUndefined();
  });
});

describe("parseOsvRecord: one corrupt record per failure class", () => {
  const cases: [file: string, code: string, message: string][] = [
    ["not-json", "INPUT_MALFORMED", "OSV record: not JSON"],
    ["not-object", "INPUT_MALFORMED", "OSV record: not a JSON object"],
    ["id-missing", "INPUT_MALFORMED", "OSV record: id is missing"],
    ["modified-missing", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: modified is missing"],
    ["modified-not-timestamp", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: modified must be an RFC 3339 timestamp"],
    ["schema-version-2", "INPUT_UNSUPPORTED_FORMAT", "GHSA-whgm-jr23-g3j9: schema_version 2.0.0 is not 1.x"],
    ["aliases-not-array", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: aliases must be an array"],
    ["affected-not-array", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected must be an array"],
    ["package-ecosystem-missing", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].package.ecosystem is missing"],
    ["package-name-empty", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].package.name must not be empty"],
    ["package-purl-invalid", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].package.purl is not a package URL"],
    ["ecosystem-empty-suffix", "INPUT_MALFORMED", "DLA-3008-1: affected[0].package.ecosystem is not an ecosystem string"],
    ["range-type-unknown", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].type must be SEMVER, ECOSYSTEM or GIT"],
    ["range-events-empty", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events must not be empty"],
    ["event-two-kinds", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events[0] names more than one event (introduced, fixed)"],
    ["event-no-kind", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events[1] names none of"],
    ["event-version-not-string", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events[1].fixed must be a string"],
    ["events-no-introduced", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events must contain an introduced event"],
    ["events-fixed-and-last-affected", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].ranges[0].events must not contain both fixed and last_affected"],
    ["git-range-without-repo", "INPUT_MALFORMED", "OSV-2018-389: affected[0].ranges[0].repo is required for a GIT range"],
    ["git-event-not-hash", "INPUT_MALFORMED", "OSV-2018-389: affected[0].ranges[0].events[0].introduced must be a full-length commit hash"],
    ["severity-both-levels", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].severity must not be set when the top-level severity is"],
    ["severity-missing-score", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: severity[0].score is missing"],
    ["versions-not-strings", "INPUT_MALFORMED", "DLA-3008-1: affected[0].versions[0] must be a non-empty string"],
    ["database-specific-not-object", "INPUT_MALFORMED", "GHSA-whgm-jr23-g3j9: affected[0].database_specific must be an object"],
  ];

  it("covers every file in fixtures/corrupt", () => {
    expect(cases.map(([f]) => `${f}.json`).sort()).toEqual(readdirSync(join(FIXTURES, "corrupt")).sort());
  });

  it.each(cases)("%s: %s naming the field", (file, code, message) => {
    const e = thrownVouchError(() => parseOsvJson(text("corrupt", `${file}.json`)));
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });
});
