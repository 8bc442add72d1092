import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import { affects, matchRecord, packageMatches, redHatMajor } from "./match.js";
import { parseOsvJson, parseOsvRecord, type OsvAffected, type OsvRecord } from "./osv/parse.js";
import { mapPurl } from "./osv/purl.js";
import { rubygems } from "./versions/rubygems.js";
import type { VersionScheme } from "./versions/types.js";

const RECORDS = join(import.meta.dirname, "osv", "fixtures", "records");
const record = (id: string): OsvRecord => parseOsvJson(readFileSync(join(RECORDS, `${id}.json`), "utf8"));

/** A tiny dotted-numeric scheme ("1.2" < "1.10"), to test the range walk apart from any real ecosystem. */
const numeric: VersionScheme = {
  name: "numeric",
  isValid: (v) => /^\d+(\.\d+)*$/.test(v),
  compare(a, b) {
    if (!this.isValid(a) || !this.isValid(b)) throw new VouchError("INPUT_MALFORMED", `not a numeric version: ${this.isValid(a) ? b : a}`);
    const x = a.split(".").map(Number);
    const y = b.split(".").map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return Math.sign(d);
    }
    return 0;
  },
};

type Ev = Record<string, string>;
function entry(ranges: { type?: string; events: Ev[]; repo?: string }[], versions: string[] = []): OsvAffected {
  const r = parseOsvRecord({
    id: "TEST-1",
    modified: "2024-01-01T00:00:00Z",
    affected: [{ package: { ecosystem: "npm", name: "p" }, ranges: ranges.map((x) => ({ type: "ECOSYSTEM", ...x })), versions }],
  });
  return r.affected[0]!;
}
const hit = (a: OsvAffected, v: string, scheme: VersionScheme = numeric) => affects(a, v, { ecosystem: scheme }).affected;
const affectedAt = (a: OsvAffected, versions: string[], scheme: VersionScheme = numeric) => versions.filter((v) => hit(a, v, scheme));

describe("affects: the schema's range evaluation", () => {
  it("introduced is inclusive, fixed exclusive, introduced 0 is before everything", () => {
    const a = entry([{ events: [{ introduced: "0" }, { fixed: "1.2" }] }]);
    expect(affectedAt(a, ["0", "0.1", "1.1.9", "1.2", "1.2.1", "5"])).toEqual(["0", "0.1", "1.1.9"]);
    expect(affects(a, "1.1", { ecosystem: numeric })).toEqual({
      affected: true,
      reason: "introduced 0, fixed 1.2 (ECOSYSTEM)",
      fixed: "1.2",
      notes: [],
    });
    expect(affects(a, "1.2", { ecosystem: numeric })).toEqual({ affected: false, reason: "no range contains 1.2", notes: [] });
  });

  it("last_affected is inclusive, and reported instead of a fix", () => {
    const a = entry([{ events: [{ introduced: "1.0" }, { last_affected: "2.1" }] }]);
    expect(affectedAt(a, ["0.9", "1.0", "2.0", "2.1", "2.1.1", "3"])).toEqual(["1.0", "2.0", "2.1"]);
    expect(affects(a, "2.1", { ecosystem: numeric })).toMatchObject({ affected: true, lastAffected: "2.1" });
  });

  it("no closing event: every version from introduced on", () => {
    const a = entry([{ events: [{ introduced: "3.0" }] }]);
    expect(affectedAt(a, ["2.9", "3.0", "99"])).toEqual(["3.0", "99"]);
    expect(affects(a, "99", { ecosystem: numeric }).fixed).toBeUndefined();
  });

  it("several introduced/fixed pairs in one range, and the fix of the stretch a version is in", () => {
    const a = entry([{ events: [{ introduced: "1.0" }, { fixed: "1.0.2" }, { introduced: "3.0" }, { fixed: "3.2.5" }] }]);
    expect(affectedAt(a, ["0.9", "1.0", "1.0.1", "1.0.2", "2", "3.0", "3.2.4", "3.2.5", "4"])).toEqual(["1.0", "1.0.1", "3.0", "3.2.4"]);
    expect(affects(a, "3.1", { ecosystem: numeric }).fixed).toBe("3.2.5");
    expect(affects(a, "1.0.1", { ecosystem: numeric }).fixed).toBe("1.0.2");
  });

  it("unsorted events are sorted by the scheme first (GHSA-9qj7-jvg4-qr2x's shape), whatever their order", () => {
    const events: Ev[] = [{ introduced: "0" }, { introduced: "4.0.1" }, { fixed: "4.0.5" }, { fixed: "3.0.21" }];
    const expected = ["3.0.20", "4.0.1", "4.0.4"];
    const versions = ["3.0.20", "3.0.21", "3.0.22", "4.0.0", "4.0.1", "4.0.4", "4.0.5", "4.0.6"];
    for (const order of [events, [...events].reverse(), [events[2]!, events[0]!, events[3]!, events[1]!]]) {
      expect(affectedAt(entry([{ events: order }]), versions)).toEqual(expected);
    }
    // "1.10" sorts after "1.9" by the scheme, not as text
    expect(affectedAt(entry([{ events: [{ fixed: "1.10" }, { introduced: "1.9" }] }]), ["1.8", "1.9", "1.10"])).toEqual(["1.9"]);
  });

  it("events at one version, in either order: fixed then introduced (adjacent stretches join), last_affected last", () => {
    for (const events of <Ev[][]>[
      [{ introduced: "1" }, { fixed: "2.0" }, { introduced: "2" }, { fixed: "3" }], // equal by the scheme, written differently
      [{ introduced: "2" }, { fixed: "3" }, { introduced: "1" }, { fixed: "2" }],
    ]) {
      expect(affectedAt(entry([{ events }]), ["0", "1", "2", "2.5", "3"])).toEqual(["1", "2", "2.5"]);
    }
    // an empty stretch reads as introduced: a false positive, never a missed vulnerability
    expect(affectedAt(entry([{ events: [{ introduced: "2" }, { fixed: "2" }] }]), ["1", "2", "3"])).toEqual(["2", "3"]);
    expect(affectedAt(entry([{ events: [{ last_affected: "2" }, { introduced: "2" }] }]), ["1", "2", "3"])).toEqual(["2"]);
  });

  it("limit: only versions below some limit; '*' is infinity", () => {
    const a = entry([{ events: [{ introduced: "1.0" }, { limit: "2.0" }] }]);
    expect(affectedAt(a, ["0.5", "1.0", "1.9", "2.0", "3"])).toEqual(["1.0", "1.9"]);
    const two = entry([{ events: [{ introduced: "1.0" }, { limit: "2.0" }, { limit: "5.0" }] }]);
    expect(affectedAt(two, ["1.9", "2.0", "4.9", "5.0"])).toEqual(["1.9", "2.0", "4.9"]);
    const star = entry([{ events: [{ introduced: "1.0" }, { limit: "*" }] }]);
    expect(affectedAt(star, ["0.9", "1.0", "1000"])).toEqual(["1.0", "1000"]);
  });

  it("several ranges are a union", () => {
    const a = entry([{ events: [{ introduced: "1" }, { fixed: "2" }] }, { events: [{ introduced: "5" }, { fixed: "6" }] }]);
    expect(affectedAt(a, ["0", "1", "2", "5", "6"])).toEqual(["1", "5"]);
  });

  it("versions list: string equality, also without ranges and beside ranges", () => {
    const a = entry([], ["1.0", "2.0-beta"]);
    expect(affects(a, "1.0", { ecosystem: numeric })).toEqual({ affected: true, reason: "listed in versions", notes: [] });
    expect(hit(a, "1.0.0")).toBe(false);
    expect(hit(a, "2.0-beta")).toBe(true);
    expect(affects(a, "3", { ecosystem: numeric }).reason).toBe("not listed in versions");
    const both = entry([{ events: [{ introduced: "5" }] }], ["1.0"]);
    expect(affectedAt(both, ["1.0", "2", "5"])).toEqual(["1.0", "5"]);
  });

  it("GIT ranges are ignored with a note; the versions list still applies", () => {
    const sha = (c: string) => c.repeat(40);
    const a = entry([{ type: "GIT", repo: "https://example.com/r.git", events: [{ introduced: sha("a") }, { fixed: sha("b") }] }], ["1.66.0"]);
    expect(affects(a, "1.66.0", { ecosystem: numeric })).toMatchObject({ affected: true, reason: "listed in versions" });
    const r = affects(a, "1.67.0", { ecosystem: numeric });
    expect(r.affected).toBe(false);
    expect(r.notes).toEqual(["ranges[0]: GIT range (https://example.com/r.git) ignored: commit ranges need the repository's history"]);
    expect(r.reason).toBe("no range could be evaluated for 1.67.0 and it is not listed in versions");
  });

  it("SEMVER ranges use SemVer 2.0 whatever the ecosystem scheme; ECOSYSTEM ranges without a scheme are not guessed", () => {
    const a = entry([{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.0.0" }] }]);
    expect(hit(a, "1.0.0-rc.1")).toBe(true); // a pre-release precedes its release (numeric would say 1.0.0-rc.1 is malformed)
    expect(affects(entry([{ events: [{ introduced: "0" }] }]), "1.0", {})).toEqual({
      affected: false,
      reason: "no range could be evaluated for 1.0",
      notes: ["ranges[0]: ECOSYSTEM range not evaluated: no version scheme for this ecosystem"],
    });
  });

  it("a version or event the scheme cannot read leaves that range unevaluated, with a note", () => {
    const a = entry([{ events: [{ introduced: "0" }, { fixed: "2" }] }]);
    const r = affects(a, "latest", { ecosystem: numeric });
    expect(r.affected).toBe(false);
    expect(r.notes[0]).toContain("ranges[0]: ECOSYSTEM range not evaluated: not a numeric version: latest");
    const bad = entry([{ events: [{ introduced: "1" }, { fixed: "x" }] }, { events: [{ introduced: "0" }] }]);
    expect(affects(bad, "3", { ecosystem: numeric })).toMatchObject({ affected: true, reason: "introduced 0 (ECOSYSTEM)" });
  });
});

describe("packageMatches", () => {
  const pkg = (ecosystem: string, name: string) =>
    parseOsvRecord({ id: "T-1", modified: "2024-01-01T00:00:00Z", affected: [{ package: { ecosystem, name }, versions: ["1"] }] }).affected[0]!.package!;
  const key = (purl: string) => {
    const m = mapPurl(purl);
    if (!m.ok) throw new Error(m.reason);
    return m.key;
  };

  it("same ecosystem and release; a release-less advisory covers every release", () => {
    expect(packageMatches(pkg("Debian:12", "openssl"), key("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"))).toBe(true);
    expect(packageMatches(pkg("Debian:11", "openssl"), key("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"))).toBe(false);
    expect(packageMatches(pkg("Debian", "openssl"), key("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"))).toBe(true);
    expect(packageMatches(pkg("Debian:12", "libssl3"), key("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"))).toBe(false);
    expect(packageMatches(pkg("Ubuntu:12", "openssl"), key("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"))).toBe(false);
  });

  it("Red Hat: a RHEL package matches the mainline streams of its major release only (not EUS, not other products)", () => {
    const rhel9 = key("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3");
    expect(packageMatches(pkg("Red Hat:enterprise_linux:9::appstream", "openssl"), rhel9)).toBe(true);
    expect(packageMatches(pkg("Red Hat:enterprise_linux:9::baseos", "openssl"), rhel9)).toBe(true);
    expect(packageMatches(pkg("Red Hat:enterprise_linux:8::baseos", "openssl"), rhel9)).toBe(false);
    expect(packageMatches(pkg("Red Hat:rhel_eus:9.2::baseos", "openssl"), rhel9)).toBe(false);
    expect(packageMatches(pkg("Red Hat:openshift:4.14::el9", "openssl"), rhel9)).toBe(false);
    expect(redHatMajor("enterprise_linux:10")).toBe("10");
    // And the whole path: the epoch is compared, the el9 release ordered by rpmvercmp.
    const rhsa = parseOsvRecord({
      id: "RHSA-2024:0001",
      modified: "2024-01-01T00:00:00Z",
      affected: [
        { package: { ecosystem: "Red Hat:enterprise_linux:9::baseos", name: "openssl" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:3.0.7-27.el9" }] }] },
        { package: { ecosystem: "Red Hat:rhel_eus:9.2::baseos", name: "openssl" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:3.0.7-20.el9_2" }] }] },
      ],
    });
    const at = (v: string) => matchRecord(rhsa, { ...rhel9, version: v }).map((m) => m.result.fixed);
    expect([at("1:3.0.7-24.el9"), at("1:3.0.7-27.el9"), at("1:3.0.8-1.el9")]).toEqual([["1:3.0.7-27.el9"], [], []]);
  });

  it("names compared normalised; repositories when both sides name one", () => {
    expect(packageMatches(pkg("PyPI", "Flask_Cors"), key("pkg:pypi/flask-cors@3.0.8"))).toBe(true);
    expect(packageMatches(pkg("NuGet", "newtonsoft.json"), key("pkg:nuget/Newtonsoft.Json@12.0.3"))).toBe(true);
    expect(packageMatches(pkg("Maven:https://maven.google.com", "androidx.core:core"), key("pkg:maven/androidx.core/core@1.0.0"))).toBe(true);
    expect(packageMatches(pkg("Maven:https://maven.google.com", "androidx.core:core"), key("pkg:maven/androidx.core/core@1.0.0?repository_url=https://maven.google.com/"))).toBe(true);
    expect(packageMatches(pkg("Maven", "androidx.core:core"), key("pkg:maven/androidx.core/core@1.0.0?repository_url=https://maven.google.com"))).toBe(false);
    expect(packageMatches(pkg("Maven", "junit:junit"), key("pkg:maven/junit/junit@4.12?repository_url=https://repo1.maven.org/maven2"))).toBe(true);
  });
});

/**
 * The whole path for a component: purl → OSV key → every matching affected entry of the record → its fix.
 * "fixed X" / "last_affected X" / "listed" per matching entry; [] when the record does not affect the component.
 */
function scan(rec: OsvRecord, purl: string): string[] {
  const m = mapPurl(purl);
  if (!m.ok) throw new Error(`${purl}: ${m.reason}`);
  const { key } = m;
  if (key.version === undefined) throw new Error(`${purl}: no version`);
  return matchRecord(rec, { ...key, version: key.version }).map(({ result }) =>
    result.fixed !== undefined ? `fixed ${result.fixed}` : result.lastAffected !== undefined ? `last_affected ${result.lastAffected}` : result.reason,
  );
}

/** [version, expected] rows for one package purl prefix: expected is the fix, or "" for not affected. */
function table(rec: OsvRecord, purl: (v: string) => string, rows: [string, string][]) {
  const got = rows.map(([v]) => [v, scan(rec, purl(v)).join(" | ")]);
  expect(got).toEqual(rows);
}

describe("Log4Shell (GHSA-jfh8-c2jp-5v3q): three ranges of log4j-core, Maven order", () => {
  const rec = record("GHSA-jfh8-c2jp-5v3q");
  const purl = (v: string) => `pkg:maven/org.apache.logging.log4j/log4j-core@${v}`;

  it("the issue's table", () => {
    table(rec, purl, [
      ["2.14.1", "fixed 2.15.0"],
      ["2.15.0", ""],
      ["2.12.1", "fixed 2.12.2"],
      ["2.12.2", ""],
      ["2.3.0", "fixed 2.3.1"],
      ["2.3.1", ""],
    ]);
  });

  it("just below, at and just above every boundary", () => {
    table(rec, purl, [
      ["2.0-beta9", "fixed 2.3.1"],
      ["2.3", "fixed 2.3.1"],
      ["2.3.1-rc1", "fixed 2.3.1"],
      ["2.3.2", ""],
      ["2.4-beta1", ""],
      ["2.4", "fixed 2.12.2"],
      ["2.4.1", "fixed 2.12.2"],
      ["2.12.2-rc1", "fixed 2.12.2"],
      ["2.12.3", ""],
      ["2.13.0-rc1", ""],
      ["2.13.0", "fixed 2.15.0"],
      ["2.13.1", "fixed 2.15.0"],
      ["2.15.0-rc1", "fixed 2.15.0"],
      ["2.15.1", ""],
      ["2.16.0", ""],
    ]);
  });

  it("affects() on its own picks the entry's ecosystem schemes (Maven)", () => {
    expect(rec.affected.map((a) => affects(a, "2.14.1").affected)).toEqual([true, false, false]);
    expect(affects(rec.affected[0]!, "2.14.1")).toEqual({ affected: true, reason: "introduced 2.13.0, fixed 2.15.0 (ECOSYSTEM)", fixed: "2.15.0", notes: [] });
  });

  it("another artifact of the group is not matched", () => {
    expect(scan(rec, "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1")).toEqual([]);
  });
});

describe("real records: components just below, at and just above each boundary", () => {
  it("ALPINE-CVE-2025-26519: musl per Alpine release branch, through the origin of a subpackage", () => {
    const rec = record("ALPINE-CVE-2025-26519");
    table(rec, (v) => `pkg:apk/alpine/musl-utils@${v}?arch=x86_64&distro=alpine-3.19.1&upstream=musl`, [
      ["0.9.12-r0", ""],
      ["0.9.13", "fixed 1.2.4_git20230717-r5"],
      ["0.9.14-r0", "fixed 1.2.4_git20230717-r5"],
      ["1.2.4_git20230717-r4", "fixed 1.2.4_git20230717-r5"],
      ["1.2.4_git20230717-r5", ""],
      ["1.2.4_git20230717-r6", ""],
    ]);
    table(rec, (v) => `pkg:apk/alpine/musl@${v}?arch=x86_64&distro=3.16.9`, [
      ["1.2.3-r3", "fixed 1.2.3-r4"],
      ["1.2.3-r4", ""],
      ["1.2.3-r5", ""],
    ]);
    expect(scan(rec, "pkg:apk/alpine/musl@1.2.3-r3?distro=alpine-3.15.0")).toEqual([]); // no entry for v3.15
  });

  it("DLA-3008-1, DLA-3012-1, DSA-3029-1: Debian source packages and dpkg order", () => {
    table(record("DLA-3008-1"), (v) => `pkg:deb/debian/libssl1.1@${v}?arch=amd64&distro=debian-9&upstream=openssl`, [
      ["0.9.8", "fixed 1.1.0l-1~deb9u6"],
      ["1.1.0l-1~deb9u5", "fixed 1.1.0l-1~deb9u6"],
      ["1.1.0l-1~deb9u6", ""],
      ["1.1.0l-1~deb9u7", ""],
      ["1.1.0l-1", ""],
    ]);
    expect(scan(record("DLA-3008-1"), "pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?distro=debian-10&upstream=openssl")).toEqual([]);
    table(record("DLA-3012-1"), (v) => `pkg:deb/debian/libxml2@${v}?arch=amd64&distro=debian-9.13`, [
      ["2.9.4+dfsg1-2.2+deb9u6", "fixed 2.9.4+dfsg1-2.2+deb9u7"],
      ["2.9.4+dfsg1-2.2+deb9u7", ""],
      ["2.9.4+dfsg1-2.2+deb9u8", ""],
    ]);
    // a binNMU of the binary: the source version (from upstream=nginx@…) is what the advisory speaks of
    table(record("DSA-3029-1"), (v) => `pkg:deb/debian/nginx-common@${v}+b1?arch=all&distro=debian-7&upstream=nginx%40${encodeURIComponent(v)}`, [
      ["1.2.1-2.2+wheezy2", "fixed 1.2.1-2.2+wheezy3"],
      ["1.2.1-2.2+wheezy3", ""],
      ["1.2.1-2.2+wheezy4", ""],
    ]);
  });

  it("GHSA-269g-pwp5-87pp: junit 4.7 to 4.13.1", () => {
    table(record("GHSA-269g-pwp5-87pp"), (v) => `pkg:maven/junit/junit@${v}`, [
      ["4.6", ""],
      ["4.7-beta-1", ""],
      ["4.7", "fixed 4.13.1"],
      ["4.8", "fixed 4.13.1"],
      ["4.13", "fixed 4.13.1"],
      ["4.13.1", ""],
      ["4.13.2", ""],
    ]);
  });

  it("GHSA-35c4-f3rq-f9g3: withdrawn, matches nothing", () => {
    expect(scan(record("GHSA-35c4-f3rq-f9g3"), "pkg:gem/activesupport@3.2.0")).toEqual([]);
    expect(affects(record("GHSA-35c4-f3rq-f9g3").affected[0]!, "3.2.0", { ecosystem: rubygems }).affected).toBe(true);
  });

  it("GHSA-86g5-2wh3-gc9j: actionview in four affected entries", () => {
    table(record("GHSA-86g5-2wh3-gc9j"), (v) => `pkg:gem/actionview@${v}`, [
      ["3.2.22.5", ""],
      ["4.0.0.rc1", ""],
      ["4.0.0", "fixed 4.2.11.1"],
      ["4.0.1", "fixed 4.2.11.1"],
      ["4.2.11", "fixed 4.2.11.1"],
      ["4.2.11.1", ""],
      ["4.2.11.2", ""],
      ["5.0.0", "fixed 5.0.7.2"],
      ["5.0.7.1", "fixed 5.0.7.2"],
      ["5.0.7.2", ""],
      ["5.0.7.3", ""],
      ["5.1.0", "fixed 5.1.6.2"],
      ["5.1.6.1", "fixed 5.1.6.2"],
      ["5.1.6.2", ""],
      ["5.2.0.beta1", ""],
      ["5.2.0", "fixed 5.2.2.1"],
      ["5.2.2", "fixed 5.2.2.1"],
      ["5.2.2.1", ""],
      ["5.2.3", ""],
    ]);
  });

  it("GHSA-9qj7-jvg4-qr2x: passenger, events unsorted in the record", () => {
    table(record("GHSA-9qj7-jvg4-qr2x"), (v) => `pkg:gem/passenger@${v}`, [
      ["1.0.0", "fixed 3.0.21"],
      ["3.0.20", "fixed 3.0.21"],
      ["3.0.21", ""],
      ["3.0.22", ""],
      ["4.0.0", ""],
      ["4.0.1", "fixed 4.0.5"],
      ["4.0.2", "fixed 4.0.5"],
      ["4.0.4", "fixed 4.0.5"],
      ["4.0.5", ""],
      ["4.0.6", ""],
    ]);
  });

  it("GHSA-p6mc-m468-83gw: lodash and lodash-es, each its own entry", () => {
    const rec = record("GHSA-p6mc-m468-83gw");
    for (const name of ["lodash", "lodash-es"]) {
      table(rec, (v) => `pkg:npm/${name}@${v}`, [
        ["0.1.0", "fixed 4.17.20"],
        ["4.17.19", "fixed 4.17.20"],
        ["4.17.20-0", "fixed 4.17.20"],
        ["4.17.20", ""],
        ["4.17.21", ""],
      ]);
    }
    expect(scan(rec, "pkg:npm/lodash.merge@4.6.1")).toEqual([]);
  });

  it("GHSA-whgm-jr23-g3j9: ansi-html, SEMVER", () => {
    table(record("GHSA-whgm-jr23-g3j9"), (v) => `pkg:npm/ansi-html@${v}`, [
      ["0.0.1", "fixed 0.0.8"],
      ["0.0.7", "fixed 0.0.8"],
      ["0.0.8-0", "fixed 0.0.8"],
      ["0.0.8", ""],
      ["0.0.9", ""],
    ]);
  });

  it("GO-2021-0113, GO-2022-0274: Go modules, v-prefixed versions in the purl, pseudo-versions", () => {
    table(record("GO-2021-0113"), (v) => `pkg:golang/golang.org/x/text@${v}`, [
      ["v0.3.6", "fixed 0.3.7"],
      ["v0.3.7-0.20210503195748-5c7c50ebbd4f", "fixed 0.3.7"],
      ["v0.3.7", ""],
      ["v0.3.8", ""],
    ]);
    table(record("GO-2022-0274"), (v) => `pkg:golang/github.com/opencontainers/runc@${v}`, [
      ["v1.0.0", ""],
      ["v1.0.1-0.20211012131344-000000000000", ""],
      ["v1.0.1-0.20211012131345-9c444070ec7b", "fixed 1.1.0"],
      ["v1.0.1-0.20211012131346-000000000000", "fixed 1.1.0"],
      ["v1.0.1", "fixed 1.1.0"],
      ["v1.1.0-rc.1", "fixed 1.1.0"],
      ["v1.1.0", ""],
      ["v1.1.1", ""],
    ]);
  });

  it("GO-2022-0969, GO-2023-2102: stdlib (two branches) and golang.org/x/net", () => {
    table(record("GO-2022-0969"), (v) => `pkg:golang/stdlib@${v}`, [
      ["go1.18.5", "fixed 1.18.6"],
      ["go1.18.6", ""],
      ["go1.18.7", ""],
      ["1.19.0-0", "fixed 1.19.1"],
      ["1.19.0-rc.1", "fixed 1.19.1"],
      ["go1.19.0", "fixed 1.19.1"],
      ["go1.19.1", ""],
      ["go1.19.2", ""],
    ]);
    table(record("GO-2022-0969"), (v) => `pkg:golang/golang.org/x/net@${v}`, [
      ["v0.0.0-20220906165145-000000000000", "fixed 0.0.0-20220906165146-f3363e06e74c"],
      ["v0.0.0-20220906165146-f3363e06e74c", ""],
      ["v0.0.0-20220906165147-000000000000", ""],
      ["v0.1.0", ""],
    ]);
    table(record("GO-2023-2102"), (v) => `pkg:golang/stdlib@${v}`, [
      ["1.20.9", "fixed 1.20.10"],
      ["1.20.10", ""],
      ["1.20.11", ""],
      ["1.21.0-0", "fixed 1.21.3"],
      ["1.21.0", "fixed 1.21.3"],
      ["1.21.2", "fixed 1.21.3"],
      ["1.21.3", ""],
      ["1.21.4", ""],
    ]);
    // Go release names as syft and vouch record the toolchain (go1.21rc2 is 1.21.0-rc.2 in the vulndb's SEMVER)
    table(record("GO-2023-2102"), (v) => `pkg:golang/stdlib@${v}`, [
      ["go1.20.9", "fixed 1.20.10"],
      ["go1.21rc2", "fixed 1.21.3"],
      ["go1.21.3", ""],
    ]);
    table(record("GO-2023-2102"), (v) => `pkg:golang/golang.org/x/net@${v}`, [
      ["v0.16.0", "fixed 0.17.0"],
      ["v0.17.0", ""],
      ["v0.17.1", ""],
    ]);
  });

  it("MAL-2024-10238: a versions list only, compared as strings", () => {
    table(record("MAL-2024-10238"), (v) => `pkg:pypi/123bla@${v}`, [
      ["0.0.0", ""],
      ["0.0.1", "listed in versions"],
      ["0.0.2", ""],
    ]);
  });

  it("OSV-2018-389: GIT ranges ignored with a note, the versions list applies", () => {
    const a = record("OSV-2018-389").affected[0]!;
    expect(affects(a, "boost-1.67.0", {})).toMatchObject({ affected: true, reason: "listed in versions" });
    const r = affects(a, "boost-1.65.0", {});
    expect(r.affected).toBe(false);
    expect(r.notes).toEqual([expect.stringMatching(/^ranges\[0\]: GIT range \(https:\/\/github\.com\/boostorg\/boost\.git\) ignored/) as unknown]);
  });

  it("PYSEC-2020-43, PYSEC-2021-98, PYSEC-2023-74: PEP 440 order, several ranges, GIT beside ECOSYSTEM", () => {
    table(record("PYSEC-2020-43"), (v) => `pkg:pypi/Flask-Cors@${v}`, [
      ["1.0", "fixed 3.0.9"],
      ["3.0.8", "fixed 3.0.9"],
      ["3.0.9rc1", "fixed 3.0.9"],
      ["3.0.9", ""],
      ["3.0.10", ""],
    ]);
    table(record("PYSEC-2021-98"), (v) => `pkg:pypi/django@${v}`, [
      ["2.2.23", "fixed 2.2.24"],
      ["2.2.24", ""],
      ["2.2.25", ""],
      ["3.0a1", ""],
      ["3.0", "fixed 3.1.12"],
      ["3.0.1", "fixed 3.1.12"],
      ["3.1.11", "fixed 3.1.12"],
      ["3.1.12", ""],
      ["3.1.13", ""],
      ["3.2rc1", ""],
      ["3.2", "fixed 3.2.4"],
      ["3.2.3", "fixed 3.2.4"],
      ["3.2.4", ""],
      ["3.2.5", ""],
    ]);
    table(record("PYSEC-2023-74"), (v) => `pkg:pypi/requests@${v}`, [
      ["2.2.1", ""],
      ["2.3.0", "fixed 2.31.0"],
      ["2.3.1", "fixed 2.31.0"],
      ["2.30.0", "fixed 2.31.0"],
      ["2.31.0", ""],
      ["2.32.0", ""],
    ]);
  });

  it("RUSTSEC-*: SEMVER ranges with 0.0.0-0 lower bounds and many small ranges", () => {
    table(record("RUSTSEC-2018-0010"), (v) => `pkg:cargo/openssl@${v}`, [
      ["0.10.7", ""],
      ["0.10.8", "fixed 0.10.9"],
      ["0.10.9", ""],
      ["0.10.10", ""],
    ]);
    table(record("RUSTSEC-2020-0071"), (v) => `pkg:cargo/time@${v}`, [
      ["0.0.0", "fixed 0.2.0"],
      ["0.1.45", "fixed 0.2.0"],
      ["0.2.0", ""],
      ["0.2.1-0", "fixed 0.2.1"],
      ["0.2.1", ""],
      ["0.2.6", ""],
      ["0.2.7-0", "fixed 0.2.23"],
      ["0.2.7", "fixed 0.2.23"],
      ["0.2.22", "fixed 0.2.23"],
      ["0.2.23", ""],
      ["0.3.0", ""],
    ]);
    table(record("RUSTSEC-2021-0078"), (v) => `pkg:cargo/hyper@${v}`, [
      ["0.0.0", "fixed 0.14.10"],
      ["0.14.9", "fixed 0.14.10"],
      ["0.14.10", ""],
      ["0.14.11", ""],
    ]);
    table(record("RUSTSEC-2023-0044"), (v) => `pkg:cargo/openssl@${v}`, [
      ["0.10.54", "fixed 0.10.55"],
      ["0.10.55", ""],
      ["0.10.56", ""],
    ]);
  });
});
