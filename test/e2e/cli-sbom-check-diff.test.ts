import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

const WILD = join(import.meta.dirname, "..", "fixtures", "sboms-in-the-wild");
const LOCKFILES = join(import.meta.dirname, "..", "fixtures", "lockfiles");
const DIFF_FIXTURES = join(import.meta.dirname, "..", "..", "src", "sbom", "diff", "fixtures");
const work = mkdtempSync(join(tmpdir(), "vouch-check-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("vouch sbom check (the CLI, end to end)", () => {
  it("reports on every real SBOM, or refuses it with one line and exit 2; never a crash", () => {
    const outcomes = readdirSync(WILD)
      .filter((f) => f.endsWith(".json"))
      .map((f) => {
        const r = vouch(["sbom", "check", join(WILD, f), "-o", "json"]);
        return { f, code: r.code, score: r.code === 0 ? JSON.parse(r.stdout).report.score : undefined, stderr: r.stderr };
      });
    expect(outcomes).toHaveLength(25);
    for (const o of outcomes) {
      if (o.f.startsWith("broken_")) {
        expect(o.code).toBe(2);
        expect(o.stderr.trim()).toMatch(/^vouch: .*broken_spdx22_sbom-tool_psreadline-2\.2\.6\.json:2765: /);
        expect(o.stderr.trim().split("\n")).toHaveLength(1);
      } else {
        expect({ f: o.f, code: o.code }).toEqual({ f: o.f, code: 0 });
        expect(o.score).toBeGreaterThanOrEqual(0);
        expect(o.score).toBeLessThanOrEqual(10);
      }
    }
  });

  it("is a gate: --require and --min-score exit 1 with the failures listed", () => {
    const poor = join(WILD, "cdx14_custom_ghidra-10.2.2.json");
    const r = vouch(["sbom", "check", poor, "--require", "versions,purls", "--min-score", "5"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("GATE FAILED");
    expect(vouch(["sbom", "check", poor, "--require", "bogus"]).code).toBe(2);
    expect(vouch(["sbom", "check", poor, "--min-score", "11"]).code).toBe(2);
  });

  it("vouch's own SBOMs pass the strictest gate", () => {
    const dir = join(LOCKFILES, "npm", "package-lock-v2-d2-admin");
    for (const format of ["cyclonedx-json", "spdx-json"]) {
      const file = join(work, `own.${format}.json`);
      expect(vouch(["sbom", dir, "-o", `${format}=${file}`, "--author", "Example Corp"]).code).toBe(0);
      const r = vouch(["sbom", "check", file, "--require", "versions,purls,checksums", "--min-score", "8", "-o", "json"]);
      expect({ format, code: r.code, failures: JSON.parse(r.stdout).gate.failures }).toEqual({ format, code: 0, failures: [] });
      // Every NTIA minimum element but the supplier, which npm lockfiles do not record.
      const failed = JSON.parse(r.stdout).report.ntia.elements.filter((e: { passed: boolean }) => !e.passed).map((e: { element: string }) => e.element);
      expect(failed).toEqual(["supplier-name"]);
    }
  });
});

describe("vouch sbom diff (the CLI, end to end)", () => {
  const oldFile = join(DIFF_FIXTURES, "old.spdx.json");
  const newFile = join(DIFF_FIXTURES, "new.cdx.json");

  it("flags a substitution loudly and exits 1 on --fail-on hash-mismatch", () => {
    const r = vouch(["sbom", "diff", oldFile, newFile, "--fail-on", "hash-mismatch"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/HASH MISMATCH/);
    expect(r.stdout).toMatch(/minimist@1\.2\.8/);
  });

  it("exits 0 without --fail-on, and -o json lists each kind", () => {
    const r = vouch(["sbom", "diff", oldFile, newFile, "-o", "json"]);
    expect(r.code).toBe(0);
    const { diff } = JSON.parse(r.stdout);
    expect(diff.summary).toMatchObject({ added: 1, removed: 1, upgraded: 3, downgraded: 1, license: 1, "hash-mismatch": 1 });
  });

  it("input errors exit 2 with one line", () => {
    const notJson = join(work, "x.json");
    writeFileSync(notJson, "{ nope");
    for (const args of [["sbom", "diff", oldFile, notJson], ["sbom", "diff", oldFile, join(work, "absent.json")], ["sbom", "diff", oldFile, newFile, "--fail-on", "weird"]]) {
      const r = vouch(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
