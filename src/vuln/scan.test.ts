import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OsvRecord } from "./osv/parse.js";
import { parseOsvJson, parseOsvRecord } from "./osv/parse.js";
import { cveIds, findingsFrom, matchedIds, matchPlan, planScan, scanCounts, sourceHint, unscoredCveIds, UNMATCHED, type ScanComponent } from "./scan.js";

const RECORDS = join(import.meta.dirname, "osv", "fixtures", "records");
const record = (id: string): OsvRecord => parseOsvJson(readFileSync(join(RECORDS, `${id}.json`), "utf8"));
const rawRecord = (id: string): Record<string, unknown> => JSON.parse(readFileSync(join(RECORDS, `${id}.json`), "utf8")) as Record<string, unknown>;

/** A lookup that serves records as the store would: every record with an affected package of the key's ecosystem and name. */
function lookup(records: readonly OsvRecord[], keys: readonly { ecosystem: string; name: string }[]): OsvRecord[][] {
  return keys.map((k) =>
    records
      .filter((r) => r.withdrawn === undefined && r.affected.some((a) => a.package?.parsedEcosystem.ecosystem === k.ecosystem && a.package.normalizedName === k.name))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
  );
}

/** The pure pipeline with alias groups computed from the records (what AdvisoryStore.aliasGroups does). */
function scan(
  components: ScanComponent[],
  records: OsvRecord[],
  extra: { epss?: { cve: string; epss: number; percentile: number }[]; kev?: string[]; upstream?: OsvRecord[] } = {},
) {
  const plan = planScan(components);
  const raw = matchPlan(plan, lookup(records, plan.keys));
  const groups = aliasGroups(records, matchedIds(raw));
  const findings = findingsFrom(raw, {
    aliasGroups: groups,
    epss: extra.epss,
    epssDate: "2025-03-14T00:00:00+0000",
    upstream: extra.upstream,
    kev: (extra.kev ?? []).map((cveID) => ({
      cveID,
      vendorProject: "v",
      product: "p",
      vulnerabilityName: "n",
      dateAdded: "2021-12-10",
      shortDescription: "",
      requiredAction: "patch",
      dueDate: "2021-12-24",
      knownRansomwareCampaignUse: "Known",
      notes: "",
      cwes: [],
    })),
  });
  return { plan, raw, findings, counts: scanCounts(plan, findings) };
}

function aliasGroups(records: readonly OsvRecord[], ids: readonly string[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  for (const r of records) for (const a of r.aliases) parent.set(find(a), find(r.id));
  const groups = new Map<string, Set<string>>();
  for (const id of new Set([...ids, ...records.flatMap((r) => [r.id, ...r.aliases])])) {
    const root = find(id);
    const g = groups.get(root) ?? new Set<string>();
    g.add(id);
    groups.set(root, g);
  }
  return [...new Set(ids.map((id) => find(id)))].map((root) => [...groups.get(root)!].sort());
}

const log4j = (version: string): ScanComponent => ({
  bomRef: `log4j-core@${version}`,
  name: "org.apache.logging.log4j:log4j-core",
  version,
  purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${version}`,
});

describe("planScan", () => {
  it("counts every component it cannot look up, with its reason, and looks up each package once", () => {
    const plan = planScan([
      log4j("2.14.1"),
      log4j("2.3.0"),
      { name: "nameless", version: "1.0" },
      { name: "broken", version: "1.0", invalidPurl: "pkg:" },
      { name: "tool", version: "1.0", purl: "pkg:generic/tool@1.0" },
      { name: "unpinned", version: "", purl: "pkg:npm/left-pad" },
      { name: "fedora", version: "1", purl: "pkg:rpm/fedora/curl@7.50.3-1.fc25?distro=fedora-25" },
      { name: "rhel", version: "1", purl: "pkg:rpm/redhat/openssl@3.0.7-24.el9?distro=rhel-9.3" },
    ]);
    expect(plan.components).toBe(8);
    expect(plan.planned).toHaveLength(3);
    expect(plan.keys).toEqual([
      { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" },
      { ecosystem: "Red Hat", name: "openssl" },
    ]);
    expect(plan.unmatched.map((u) => [u.component.name, u.reason])).toEqual([
      ["nameless", UNMATCHED.noPurl],
      ["broken", UNMATCHED.invalidPurl],
      ["tool", 'no OSV ecosystem for purl type "generic"'],
      ["unpinned", UNMATCHED.noVersion],
      ["fedora", 'no OSV ecosystem for rpm distribution "fedora"'],
    ]);
    expect(scanCounts(plan, []).unmatched).toEqual([
      { reason: 'no OSV ecosystem for purl type "generic"', count: 1 },
      { reason: 'no OSV ecosystem for rpm distribution "fedora"', count: 1 },
      { reason: UNMATCHED.noPurl, count: 1 },
      { reason: UNMATCHED.noVersion, count: 1 },
      { reason: UNMATCHED.invalidPurl, count: 1 },
    ]);
  });

  it("takes the version from the component when the purl has none", () => {
    const plan = planScan([{ name: "lodash", version: "4.17.15", purl: "pkg:npm/lodash" }]);
    expect(plan.planned[0]!.key.version).toBe("4.17.15");
  });

  it("reads source packages from vouch's and trivy's properties (trivy's version put back together)", () => {
    expect(sourceHint("deb", [{ name: "vouch:deb:source", value: "openssl" }, { name: "vouch:deb:sourceVersion", value: "1.1.0l-1~deb9u5" }])).toEqual({ name: "openssl", version: "1.1.0l-1~deb9u5" });
    expect(
      sourceHint("deb", [
        { name: "aquasecurity:trivy:SrcName", value: "glibc" },
        { name: "aquasecurity:trivy:SrcVersion", value: "2.36" },
        { name: "aquasecurity:trivy:SrcRelease", value: "9+deb12u4" },
        { name: "aquasecurity:trivy:SrcEpoch", value: "1" },
      ]),
    ).toEqual({ name: "glibc", version: "1:2.36-9+deb12u4" });
    expect(sourceHint("rpm", [{ name: "aquasecurity:trivy:SrcName", value: "openssl" }, { name: "aquasecurity:trivy:SrcVersion", value: "3.0.7" }])).toEqual({ name: "openssl" });
    expect(sourceHint("deb", [{ name: "vouch:apk:origin", value: "x" }])).toBeUndefined();
  });
});

describe("the scan pipeline over real advisories", () => {
  const log4shell = record("GHSA-jfh8-c2jp-5v3q");

  it("Log4Shell (three ranges) as the issue's table says", () => {
    const table: [string, boolean, string?][] = [
      ["2.14.1", true, "2.15.0"],
      ["2.15.0", false],
      ["2.12.1", true, "2.12.2"],
      ["2.12.2", false],
      ["2.3.0", true, "2.3.1"],
      ["2.3.1", false],
    ];
    const { findings, counts } = scan(
      table.map(([v]) => log4j(v)),
      [log4shell],
    );
    for (const [version, affected, fixed] of table) {
      const hits = findings.filter((f) => f.component.version === version);
      expect(hits.length, version).toBe(affected ? 1 : 0);
      if (fixed) expect(hits[0]!.vulnerability.fixedIn).toEqual([fixed]);
    }
    expect(counts).toMatchObject({ components: 6, matched: 6, vulnerable: 3, unmatched: [] });
    const f = findings.find((x) => x.component.version === "2.14.1")!;
    expect(f.vulnerability).toMatchObject({ id: "GHSA-jfh8-c2jp-5v3q", aliases: ["CVE-2021-44228"], severity: { bucket: "critical", score: 10 } });
    expect(f.match).toMatchObject({ ecosystem: "Maven", package: "org.apache.logging.log4j:log4j-core", via: "package", range: expect.stringContaining("fixed 2.15.0") });
  });

  it("merges records of one alias group into one finding per component, named by the advisory's own id", () => {
    // An NVD-style copy of the same vulnerability under its CVE id, listing the GHSA: one group, one finding.
    const cve = parseOsvRecord({ ...rawRecord("GHSA-jfh8-c2jp-5v3q"), id: "CVE-2021-44228", aliases: ["GHSA-jfh8-c2jp-5v3q"], references: [{ type: "WEB", url: "https://nvd.example/CVE-2021-44228" }] });
    const { findings } = scan([log4j("2.14.1"), log4j("2.12.1")], [cve, log4shell]);
    expect(findings).toHaveLength(2);
    for (const f of findings) {
      expect(f.vulnerability.id).toBe("GHSA-jfh8-c2jp-5v3q");
      expect(f.vulnerability.aliases).toEqual(["CVE-2021-44228"]);
      expect(f.vulnerability.references).toContain("https://nvd.example/CVE-2021-44228");
    }
  });

  it("enriches with EPSS and KEV by the CVE aliases", () => {
    const { findings } = scan([log4j("2.14.1")], [log4shell], { epss: [{ cve: "CVE-2021-44228", epss: 0.94358, percentile: 0.99957 }], kev: ["CVE-2021-44228"] });
    expect(findings[0]!.vulnerability.epss).toEqual({ score: 0.94358, percentile: 0.99957, date: "2025-03-14" });
    expect(findings[0]!.vulnerability.kev).toMatchObject({ dateAdded: "2021-12-10", knownRansomwareCampaignUse: "Known" });
  });

  it("matches a Debian binary package through its source package, in its release only; enriched by the DLA's upstream CVE", () => {
    const dla = record("DLA-3008-1");
    const libssl = (version: string, distro = "debian-9"): ScanComponent => ({
      name: "libssl1.1",
      version,
      purl: `pkg:deb/debian/libssl1.1@${encodeURIComponent(version)}?arch=amd64&distro=${distro}&upstream=openssl`,
    });
    const { findings, raw } = scan([libssl("1.1.0l-1~deb9u5"), libssl("1.1.0l-1~deb9u6"), libssl("1.1.0l-1~deb9u5", "debian-12")], [dla], {
      epss: [{ cve: "CVE-2022-1292", epss: 0.5, percentile: 0.9 }],
    });
    expect(cveIds(raw)).toEqual(["CVE-2022-1292"]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      vulnerability: { id: "DLA-3008-1", fixedIn: ["1.1.0l-1~deb9u6"], epss: { score: 0.5 } },
      component: { name: "libssl1.1", version: "1.1.0l-1~deb9u5", ecosystem: "Debian", release: "9" },
      match: { ecosystem: "Debian:9", package: "openssl", via: "source package" },
    });
    expect(findings[0]!.vulnerability.severity).toBeUndefined();
  });

  it("scores a distro advisory without a vector by its upstream CVE record, naming where the score came from", () => {
    const dla = record("DLA-3008-1");
    const libssl = { name: "libssl1.1", version: "1.1.0l-1~deb9u5", purl: "pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?distro=debian-9&upstream=openssl" };
    const vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    const cve = parseOsvRecord({ id: "CVE-2022-1292", modified: "2024-01-01T00:00:00Z", severity: [{ type: "CVSS_V3", score: vector }] });
    const { raw, findings } = scan([libssl], [dla], { upstream: [cve] });
    expect(unscoredCveIds(raw)).toEqual(["CVE-2022-1292"]);
    expect(findings[0]!.vulnerability.severity).toEqual({ type: "CVSS_V3", vector, version: "3.1", score: 9.8, bucket: "critical", from: "CVE-2022-1292" });
    expect(findings[0]!.vulnerability.severities).toEqual([{ type: "CVSS_V3", vector, version: "3.1", score: 9.8, bucket: "critical", from: "CVE-2022-1292" }]);
    // A record with its own vector is scored by it alone, and asks for no upstream record.
    const log4shellRaw = scan([log4j("2.14.1")], [log4shell]).raw;
    expect(unscoredCveIds(log4shellRaw)).toEqual([]);
  });

  it("takes the source package from trivy's properties when the purl has no upstream", () => {
    const { findings } = scan(
      [
        {
          name: "libxml2",
          version: "2.9.4+dfsg1-2.2+deb9u6",
          purl: "pkg:deb/debian/libxml2@2.9.4%2Bdfsg1-2.2%2Bdeb9u6?arch=amd64&distro=debian-9.13",
          properties: [{ name: "aquasecurity:trivy:SrcName", value: "libxml2" }],
        },
      ],
      [record("DLA-3012-1")],
    );
    expect(findings.map((f) => f.vulnerability.id)).toEqual(["DLA-3012-1"]);
  });

  it("a withdrawn record matches nothing; GitHub's stated severity is used when there is no vector", () => {
    const withdrawn = record("GHSA-35c4-f3rq-f9g3");
    const plan = planScan([{ name: "activesupport", version: "5.0.0", purl: "pkg:gem/activesupport@5.0.0" }]);
    expect(matchPlan(plan, [[withdrawn]])).toEqual([]);
    const noVector = parseOsvRecord({ ...rawRecord("GHSA-jfh8-c2jp-5v3q"), severity: [] });
    const { findings } = scan([log4j("2.14.1")], [noVector]);
    expect(findings[0]!.vulnerability.severity).toEqual({ type: "GHSA", bucket: "critical" });
  });
});
