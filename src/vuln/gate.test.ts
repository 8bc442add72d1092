import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import type { Finding } from "./findings.js";
import { log4shell, opensslDebian, unscored } from "./findings.test-helper.js";
import { evaluateGate, parseFailOn } from "./gate.js";

const vex = (status: "not_affected" | "fixed" | "under_investigation" | "affected"): Finding["vex"] => ({
  status,
  source: { format: "openvex", document: "https://example.com/vex" },
  ...(status === "not_affected" ? { justification: "vulnerable_code_not_in_execute_path" } : {}),
});

describe("--fail-on", () => {
  it.each([
    ["low", true],
    ["medium", true],
    ["high", false],
    ["critical", false],
  ] as const)("a medium finding fails --fail-on %s: %s", (threshold, fails) => {
    expect(evaluateGate([opensslDebian()], { failOn: threshold }).failed).toBe(fails);
  });

  it("a critical finding fails every threshold", () => {
    for (const t of ["low", "medium", "high", "critical"] as const) expect(evaluateGate([log4shell()], { failOn: t }).failed).toBe(true);
  });

  it("an unknown severity never fails (grype's Unknown)", () => {
    expect(evaluateGate([unscored()], { failOn: "low" }).failed).toBe(false);
  });

  it("no gate, no failure", () => {
    expect(evaluateGate([log4shell()]).failed).toBe(false);
  });

  it("parses values case-insensitively and refuses others with INPUT_USAGE", () => {
    expect(parseFailOn("High")).toBe("high");
    for (const bad of ["none", "negligible", "", "severe"]) {
      expect(() => parseFailOn(bad)).toThrow(VouchError);
      try {
        parseFailOn(bad);
      } catch (e) {
        expect((e as VouchError).code).toBe("INPUT_USAGE");
      }
    }
  });
});

describe("--fail-on-kev", () => {
  it("fails on a KEV finding whatever its severity, names the reason", () => {
    const r = evaluateGate([log4shell(), opensslDebian()], { failOnKev: true });
    expect(r.failed).toBe(true);
    expect(r.failures.map((f) => [f.finding.vulnerability.id, f.reason])).toEqual([["GHSA-jfh8-c2jp-5v3q", "kev"]]);
  });
  it("passes when nothing is in KEV", () => {
    expect(evaluateGate([opensslDebian()], { failOnKev: true }).failed).toBe(false);
  });
});

describe("VEX and the gates", () => {
  it("not_affected and VEX-fixed findings do not count; under_investigation and affected do", () => {
    const gate = { failOn: "low", failOnKev: true } as const;
    expect(evaluateGate([log4shell({ vex: vex("not_affected") })], gate).failed).toBe(false);
    expect(evaluateGate([log4shell({ vex: vex("fixed") })], gate).failed).toBe(false);
    expect(evaluateGate([log4shell({ vex: vex("under_investigation") })], gate).failed).toBe(true);
    expect(evaluateGate([log4shell({ vex: vex("affected") })], gate).failed).toBe(true);
  });
  it("suppressed findings stay in `reported` (JSON keeps them)", () => {
    expect(evaluateGate([log4shell({ vex: vex("not_affected") })]).reported).toHaveLength(1);
  });
});

describe("--only-fixed", () => {
  it("drops findings without a fix from the report and from the gates", () => {
    const noFix = log4shell({ vulnerability: { ...log4shell().vulnerability, fixedIn: [] } });
    const r = evaluateGate([noFix, opensslDebian()], { onlyFixed: true, failOn: "critical", failOnKev: true });
    expect(r.reported.map((f) => f.vulnerability.id)).toEqual(["DSA-5532-1"]);
    expect(r.failed).toBe(false);
  });
});
