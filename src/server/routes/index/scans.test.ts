import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken } from "../../../api/tokens.js";
import { createScanService } from "../../../sbom-index/scans.js";
import { createIndexService } from "../../../sbom-index/service.js";
import type { IndexStore, ScanStore, TokenStore } from "../../../store/ports.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteScanStore } from "../../../store/sqlite/scan-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * The scan routes over the real service and SQLite stores (index, scans and tokens in one file, as `vouch serve`
 * keeps them): auth scopes, malformed input refused with nothing stored, idempotency, the vulnerabilities of what runs.
 */
const APP = `sha256:${"a".repeat(64)}`;
const OLD = `sha256:${"b".repeat(64)}`;

/** The shape `vouch scan -o json` writes (src/api/scan.ts toScanJson), trimmed to what the index reads and a little more. */
function report(findings: unknown[], target = "sbom.cdx.json"): string {
  return JSON.stringify({ target: { kind: "sbom", name: target }, findings, summary: { total: findings.length }, scan: {}, gate: { failed: false, failures: [] } });
}
const log4shell = (version: string, vex?: string) => ({
  vulnerability: {
    id: "GHSA-jfh8-c2jp-5v3q",
    aliases: ["CVE-2021-44228"],
    severity: { type: "CVSS_V3", score: 10, bucket: "critical" },
    severities: [],
    fixedIn: ["2.15.0"],
    references: [],
    kev: { dateAdded: "2021-12-10" },
  },
  component: { purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${version}`, name: "log4j-core", version, ecosystem: "Maven" },
  match: { ecosystem: "Maven", package: "org.apache.logging.log4j:log4j-core", range: "introduced 2.0-beta9, fixed 2.15.0", via: "package" },
  ...(vex !== undefined ? { vex: { status: vex, source: { format: "openvex", document: "x" } } } : {}),
  suppressed: vex === "not_affected",
});
const lowOne = {
  vulnerability: { id: "CVE-2020-0001", aliases: [], severity: { type: "CVSS_V3", score: 3.1, bucket: "low" }, severities: [], fixedIn: [], references: [] },
  component: { purl: "pkg:npm/left-pad@1.0.0", name: "left-pad", version: "1.0.0", ecosystem: "npm" },
  match: { ecosystem: "npm", package: "left-pad", range: "", via: "package" },
  suppressed: false,
};

let dir: string;
let app: FastifyInstance;
let stores: { index: IndexStore; scans: ScanStore; tokens: TokenStore };
let t: { ingest: string; read: string; ingestId: string };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vouch-scan-routes-"));
  const file = join(dir, "index.sqlite");
  const [index, scans, tokens] = await Promise.all([openSqliteIndexStore(file), openSqliteScanStore(file), openSqliteTokenStore(file)]);
  stores = { index, scans, tokens };
  const ingest = await createToken(tokens, { scopes: ["ingest"] });
  t = { ingest: ingest.token, ingestId: ingest.record.id, read: (await createToken(tokens, { scopes: ["read"] })).token };
  app = await buildApp({ index: { service: createIndexService({ store: index }), tokens, scans: createScanService({ scans, index }) } });
});
afterEach(async () => {
  await app.close();
  await stores.scans.close();
  await stores.tokens.close();
  rmSync(dir, { recursive: true, force: true });
});

const push = (body: string, query: string, token = t.ingest, contentType = "application/json") =>
  app.inject({ method: "POST", url: `/api/v1/scans?${query}`, payload: body, headers: { authorization: `Bearer ${token}`, "content-type": contentType } });
const vulns = (query = "", token = t.read) => app.inject({ url: `/api/v1/vulnerabilities${query}`, headers: { authorization: `Bearer ${token}` } });
const deploy = (service: string, environment: string, digest: string) =>
  app.inject({ method: "POST", url: "/api/v1/deployments", payload: { service, environment, digest }, headers: { authorization: `Bearer ${t.ingest}` } });

describe("POST /api/v1/scans", () => {
  it("stores a report as findings rows, attributed to the token, idempotently", async () => {
    const body = report([log4shell("2.14.1"), lowOne]);
    const first = await push(body, `service=checkout&digest=${APP}`);
    expect(first.statusCode, first.body).toBe(201);
    const { scan } = first.json();
    expect(scan).toMatchObject({ digest: APP, service: "checkout", format: "vouch-json", findingCount: 2, ingestedBy: t.ingestId });
    const again = await push(body, `service=other&digest=${APP}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ created: false, scan });
    expect(await stores.scans.findings(scan.id)).toEqual([
      { vulnerabilityId: "GHSA-jfh8-c2jp-5v3q", aliases: ["CVE-2021-44228"], purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", name: "log4j-core", version: "2.14.1", severity: "critical", score: 10, fixedIn: ["2.15.0"], kev: true },
      { vulnerabilityId: "CVE-2020-0001", aliases: [], purl: "pkg:npm/left-pad@1.0.0", name: "left-pad", version: "1.0.0", severity: "low", score: 3.1, fixedIn: [], kev: false },
    ]);
    // The same report for another artifact is another scan.
    expect((await push(body, `service=checkout&digest=${OLD}`)).statusCode).toBe(201);
  });

  it("takes the digest from the report's target when it names one", async () => {
    const res = await push(report([], `registry:ghcr.io/acme/app@${APP}`), "service=checkout");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().scan.digest).toBe(APP);
  });

  it("ingests a CycloneDX VEX/VDR document: affects refs resolved to purls, analysis states as VEX statuses", async () => {
    const bom = {
      bomFormat: "CycloneDX",
      specVersion: "1.6",
      metadata: { component: { name: "app", hashes: [{ alg: "SHA-256", content: "a".repeat(64) }] } },
      components: [{ "bom-ref": "log4j", name: "log4j-core", version: "2.14.1", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" }],
      vulnerabilities: [
        { id: "CVE-2021-44228", ratings: [{ score: 10, severity: "critical" }], affects: [{ ref: "log4j" }] },
        { id: "CVE-2021-45046", ratings: [{ severity: "critical" }], analysis: { state: "not_affected" }, affects: [{ ref: "log4j" }] },
      ],
    };
    const res = await push(JSON.stringify(bom), "service=checkout", t.ingest, "application/vnd.cyclonedx+json");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().scan).toMatchObject({ digest: APP, format: "cyclonedx", findingCount: 2 });
    expect((await stores.scans.findings(res.json().scan.id)).map((f) => [f.vulnerabilityId, f.version, f.severity, f.vexStatus])).toEqual([
      ["CVE-2021-44228", "2.14.1", "critical", undefined],
      ["CVE-2021-45046", "2.14.1", "critical", "not_affected"],
    ]);
  });

  it.each([
    ["not JSON", "{not json", /not JSON/],
    ["not an object", "[1]", /not a JSON object/],
    ["no findings", JSON.stringify({ target: { name: "x" } }), /no findings array/],
    ["a finding without an id", report([{ ...lowOne, vulnerability: { ...lowOne.vulnerability, id: 7 } }]), /findings\[0\]\.vulnerability\.id/],
    ["a bad severity bucket", report([{ ...lowOne, vulnerability: { ...lowOne.vulnerability, severity: { bucket: "apocalyptic" } } }]), /severity\.bucket/],
    ["a bad VEX status", report([{ ...lowOne, vex: { status: "maybe" } }]), /vex\.status/],
    ["a CycloneDX SBOM without vulnerabilities", JSON.stringify({ bomFormat: "CycloneDX", components: [] }), /vulnerabilities/],
    ["an affects ref naming nothing", JSON.stringify({ bomFormat: "CycloneDX", vulnerabilities: [{ id: "CVE-1", affects: [{ ref: "nope" }] }] }), /affects\[0\]\.ref/],
  ])("refuses %s with 400 and the reason, storing nothing", async (_why, body, reason) => {
    const res = await push(body, `service=checkout&digest=${APP}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().message).toMatch(reason);
    expect(await stores.scans.latestForDigests([APP])).toEqual([]);
  });

  it("refuses a report without a digest, a bad digest, a bad service name and an empty body", async () => {
    expect((await push(report([]), "service=checkout")).json().message).toMatch(/digest/);
    expect((await push(report([]), "service=checkout&digest=sha256:abc")).statusCode).toBe(400);
    expect((await push(report([]), `service=../etc&digest=${APP}`)).statusCode).toBe(400);
    expect((await push("", `service=checkout&digest=${APP}`)).statusCode).toBe(400);
    expect(await stores.scans.latestForDigests([APP])).toEqual([]);
  });

  it("needs the ingest scope", async () => {
    expect((await push(report([]), `service=checkout&digest=${APP}`, t.read)).statusCode).toBe(403);
    expect((await app.inject({ method: "POST", url: `/api/v1/scans?service=x&digest=${APP}`, payload: report([]), headers: { "content-type": "application/json" } })).statusCode).toBe(401);
  });
});

describe("GET /api/v1/vulnerabilities", () => {
  it("answers the latest scan of each current deployment, grouped by vulnerability, with where it runs", async () => {
    // OLD had Log4Shell; the latest scan of APP still has it (2.14.1) and a low one; payments runs OLD in prod.
    await push(report([log4shell("2.14.1")]), `service=checkout&digest=${APP}`);
    await push(report([log4shell("2.14.1"), lowOne], "rescan.json"), `service=checkout&digest=${APP}`);
    await push(report([log4shell("2.16.0")]), `service=payments&digest=${OLD}`);
    await deploy("checkout", "prod", APP);
    await deploy("checkout", "staging", APP);
    await deploy("payments", "prod", OLD);
    await deploy("search", "prod", `sha256:${"c".repeat(64)}`);

    const res = await vulns();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ deployments: 4, unscanned: 1 });
    expect(body.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(["GHSA-jfh8-c2jp-5v3q", "CVE-2020-0001"]);
    const log4j = body.vulnerabilities[0];
    expect(log4j).toMatchObject({ aliases: ["CVE-2021-44228"], severity: "critical", score: 10, kev: true, fixedIn: ["2.15.0"] });
    expect(log4j.components.map((c: { version: string }) => c.version)).toEqual(["2.14.1", "2.16.0"]);
    expect(log4j.deployments.map((d: { service: string; environment: string }) => `${d.service}/${d.environment}`)).toEqual(["checkout/prod", "checkout/staging", "payments/prod"]);

    expect((await vulns("?severity=high")).json().vulnerabilities.map((v: { id: string }) => v.id)).toEqual(["GHSA-jfh8-c2jp-5v3q"]);
    expect((await vulns("?kev=true&service=payments")).json().vulnerabilities[0].deployments).toHaveLength(1);
    expect((await vulns("?environment=staging")).json().vulnerabilities.map((v: { id: string }) => v.id)).toEqual(["GHSA-jfh8-c2jp-5v3q", "CVE-2020-0001"]);
    expect((await vulns("?service=nobody")).json()).toEqual({ vulnerabilities: [], deployments: 0, unscanned: 0 });
  });

  it("leaves out findings VEX marks not_affected", async () => {
    await push(report([log4shell("2.14.1", "not_affected")]), `service=checkout&digest=${APP}`);
    await deploy("checkout", "prod", APP);
    expect((await vulns()).json().vulnerabilities).toEqual([]);
  });

  it("needs the read scope and refuses bad parameters", async () => {
    expect((await vulns("", t.ingest)).statusCode).toBe(403);
    expect((await vulns("?severity=apocalyptic")).statusCode).toBe(400);
    expect((await vulns("?service=x'%3B--%20")).statusCode).toBe(400);
  });
});
