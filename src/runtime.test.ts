import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isVouchError } from "./core/errors.js";
import { keylessServiceDefaults, loadConfig, resolveDataDir } from "./runtime.js";
import { VOUCH_VERSION } from "./version.js";

const dir = mkdtempSync(join(tmpdir(), "vouch-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("data directory", () => {
  it("--data-dir wins over VOUCH_DATA_DIR, which wins over the platform default", () => {
    expect(resolveDataDir("flag-dir", { VOUCH_DATA_DIR: "/env-dir" })).toBe(resolve("flag-dir"));
    expect(resolveDataDir(undefined, { VOUCH_DATA_DIR: "/env-dir" })).toBe("/env-dir");
    expect(resolveDataDir(undefined, {})).toMatch(/vouch$/);
  });
});

describe("config", () => {
  it("reads vouch.yaml from --config, else VOUCH_CONFIG", () => {
    const file = join(dir, "vouch.yaml");
    writeFileSync(file, "sbom:\n  exclude: ['**/fixtures/**']\n  maxFileBytes: 1000\n");
    expect(loadConfig(file, {})).toEqual({ sbom: { exclude: ["**/fixtures/**"], maxFileBytes: 1000 } });
    expect(loadConfig(undefined, { VOUCH_CONFIG: file })).toEqual(loadConfig(file, {}));
    expect(loadConfig(undefined, {})).toEqual({});
  });

  it("rejects invalid YAML with the line, and unknown keys with the path", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "sbom:\n  exclude: [unclosed\n");
    const e1 = catchError(() => loadConfig(bad, {}));
    expect(e1.code).toBe("INPUT_MALFORMED");
    expect(e1.location.line).toBeGreaterThan(1);
    writeFileSync(bad, "sbom:\n  exclude: 3\n");
    expect(catchError(() => loadConfig(bad, {})).message).toMatch(/\/sbom\/exclude/);
    expect(catchError(() => loadConfig(join(dir, "absent.yaml"), {})).code).toBe("INPUT_NOT_FOUND");
  });
});

describe("index.slo and index.keys (the dashboard's SLO lines and key health)", () => {
  it("accepts ratios in [0, 1] and whole days; refuses anything else naming the field", () => {
    const file = join(dir, "slo.yaml");
    writeFileSync(file, "index:\n  slo:\n    signedDeploymentRatio: 0.99\n    denyRate: 0\n  keys:\n    rotateAfterDays: 30\n    warnBeforeDays: 7\n");
    expect(loadConfig(file, {}).index).toEqual({ slo: { signedDeploymentRatio: 0.99, denyRate: 0 }, keys: { rotateAfterDays: 30, warnBeforeDays: 7 } });
    for (const [yaml, path] of [
      ["index:\n  slo:\n    sbomCoverage: 1.5\n", "/index/slo/sbomCoverage"],
      ["index:\n  slo:\n    denyRate: -0.1\n", "/index/slo/denyRate"],
      ["index:\n  slo:\n    provenanceCompleteness: high\n", "/index/slo/provenanceCompleteness"],
      ["index:\n  slo:\n    uptime: 0.9\n", "/index/slo"],
      ["index:\n  keys:\n    rotateAfterDays: 0\n", "/index/keys/rotateAfterDays"],
      ["index:\n  keys:\n    warnBeforeDays: 1.5\n", "/index/keys/warnBeforeDays"],
    ] as const) {
      writeFileSync(file, yaml);
      const e = catchError(() => loadConfig(file, {}));
      expect(e.code, yaml).toBe("INPUT_MALFORMED");
      expect(e.message, yaml).toContain(path);
    }
  });
});

describe("keyless config", () => {
  it("accepts issue 5's ca.issuers example as written", () => {
    const file = join(dir, "ca.yaml");
    writeFileSync(
      file,
      [
        "ca:",
        "  issuers:",
        "    - url: https://token.actions.githubusercontent.com   # discovery at <url>/.well-known/openid-configuration",
        "      type: github-workflow                               # SAN = https://github.com/ + job_workflow_ref (server URL configurable)",
        "    - url: http://127.0.0.1:9000",
        "      type: github-workflow",
        "",
      ].join("\n"),
    );
    expect(loadConfig(file, {}).ca?.issuers?.map((i) => i.url)).toEqual(["https://token.actions.githubusercontent.com", "http://127.0.0.1:9000"]);
    writeFileSync(file, "ca:\n  issuers:\n    - url: https://x.example\n      type: no-such-type\n");
    expect(catchError(() => loadConfig(file, {})).message).toMatch(/\/ca\/issuers\/0/);
  });

  it("derives the CA, log and TSA URLs from the deployment url", () => {
    expect(keylessServiceDefaults({ url: "https://vouch.example.com/" })).toEqual({
      caUrl: "https://vouch.example.com",
      tlog: [{ url: "https://vouch.example.com", majorApiVersion: 1 }],
      tsaUrls: ["https://vouch.example.com/api/v1/timestamp"],
    });
    expect(keylessServiceDefaults({})).toEqual({});
  });
});

describe("version", () => {
  it("VOUCH_VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8"));
    expect(VOUCH_VERSION).toBe(pkg.version);
  });
});

function catchError(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (isVouchError(e)) return e;
    throw e;
  }
  throw new Error("expected a VouchError");
}
