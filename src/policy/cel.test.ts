import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CelCompiler, compileCondition, type StatementInput } from "./cel.js";

const fixture = (name: string): string => new URL(`./fixtures/slsa/${name}`, import.meta.url).pathname;
const statement = (id: string): StatementInput => JSON.parse(readFileSync(fixture(`${id}.statement.json`), "utf8")) as StatementInput;

interface SlsaCheck {
  sourceUri?: string;
  builderId?: string;
  expect: string;
  [field: string]: unknown;
}
const cases = JSON.parse(readFileSync(fixture("cases.json"), "utf8")) as Record<string, { predicateType: string; checks: SlsaCheck[] }>;

const ISSUE_CONDITION = 'predicate.runDetails.builder.id.startsWith("https://github.com/")';

describe("CEL conditions", () => {
  it("runs the issue's condition on real SLSA v1 provenance", () => {
    const c = compileCondition(ISSUE_CONDITION);
    for (const id of ["gha_delegator-v2.1.0-workflow_dispatch", "gha_container-based-v2.1.0-workflow_dispatch", "bcr-MODULE.bazel"]) {
      expect(c.evaluate(statement(id)), id).toEqual({ ok: true });
    }
  });

  it("fails, with a reason and no throw, on SLSA v0.2 (no runDetails) and a VSA", () => {
    const c = compileCondition(ISSUE_CONDITION);
    for (const id of ["gha_generic-v2.1.0-workflow_dispatch", "vsa-gke-gce-pre"]) {
      const r = c.evaluate(statement(id));
      expect(r.ok, id).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/evaluation failed/);
    }
  });

  it("sees predicateType and subject", () => {
    const s = statement("bcr-MODULE.bazel");
    expect(compileCondition('predicateType == "https://slsa.dev/provenance/v1"').evaluate(s)).toEqual({ ok: true });
    expect(compileCondition('size(subject) == 1 && subject[0].name == "MODULE.bazel"').evaluate(s)).toEqual({ ok: true });
    expect(compileCondition('subject.exists(x, x.digest.sha256.startsWith("06ce3309"))').evaluate(s)).toEqual({ ok: true });
  });

  it("checks provenance completeness: a resolved dependency with a git commit", () => {
    const c = compileCondition('predicate.buildDefinition.resolvedDependencies.exists(d, has(d.digest.gitCommit) && size(d.digest.gitCommit) == 40)');
    expect(c.evaluate(statement("gha_delegator-v2.1.0-workflow_dispatch"))).toEqual({ ok: true });
  });

  it("reads JSON integers as int and fractions as double", () => {
    const s = { predicateType: "t", subject: [], predicate: { n: 3, f: 1.5 } };
    expect(compileCondition("predicate.n == 3 && predicate.n > 2 && predicate.f < 2.0 && predicate.n + 1 == 4").evaluate(s)).toEqual({ ok: true });
  });

  it("treats a non-boolean result and a false result as failures with a reason", () => {
    const s = statement("bcr-MODULE.bazel");
    expect(compileCondition("predicate.runDetails.builder.id").evaluate(s)).toEqual({ ok: false, reason: expect.stringMatching(/not a boolean.*string/) as string });
    expect(compileCondition("size(subject)").evaluate(s)).toEqual({ ok: false, reason: expect.stringMatching(/not a boolean.*int 1/) as string });
    expect(compileCondition("1 == 2").evaluate(s)).toEqual({ ok: false, reason: "the condition is false" });
    expect(compileCondition("1 / 0 == 1").evaluate(s).ok).toBe(false);
  });

  it("gives a statement without a predicate an empty map", () => {
    expect(compileCondition("size(predicate) == 0").evaluate({ predicateType: "t", subject: [] })).toEqual({ ok: true });
  });

  it("refuses syntax errors, unknown variables and empty text at compile time", () => {
    for (const bad of ["predicate.(", "predicat.runDetails == 1", "", "   ", "x"]) {
      expect(() => compileCondition(bad), bad).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }) as Error);
    }
    expect(() => compileCondition("a".repeat(5000))).toThrow(/longer than/);
  });

  it("allows comprehension variables and type names", () => {
    const s = statement("bcr-MODULE.bazel");
    expect(compileCondition("subject.all(s, type(s.name) == string)").evaluate(s)).toEqual({ ok: true });
    expect(compileCondition("[1, 2].map(x, x * 2) == [2, 4]").evaluate(s)).toEqual({ ok: true });
  });

  it("compiles each expression once per compiler", () => {
    const cel = new CelCompiler();
    const a = cel.compile(ISSUE_CONDITION);
    expect(cel.compile(ISSUE_CONDITION)).toBe(a);
    cel.compile("true");
    expect(cel.size).toBe(2);
  });

  /**
   * slsa-verifier's builder-id and source checks as CEL over SLSA v1 (its checks with branch, tag or input flags
   * are not expressed here). Without --builder-id slsa-verifier trusts only slsa-github-generator's builders; a
   * builder id without a version matches any version (`<id>@…`).
   */
  describe("slsa-verifier's checks on SLSA v1, as conditions", () => {
    const TRANSLATED = new Set(["pass", "ErrorUntrustedReusableWorkflow", "ErrorMismatchBuilderID", "ErrorMismatchSource"]);
    const builderCondition = (builderId: string | undefined): string => {
      if (builderId === undefined) return 'predicate.runDetails.builder.id.startsWith("https://github.com/slsa-framework/slsa-github-generator/")';
      const at = builderId.indexOf("@");
      if (at === -1) return `predicate.runDetails.builder.id.startsWith(${JSON.stringify(`${builderId}@`)})`;
      const ref = builderId.slice(at + 1);
      const base = builderId.slice(0, at);
      const full = ref.startsWith("refs/") ? builderId : `${base}@refs/tags/${ref}`;
      return `predicate.runDetails.builder.id == ${JSON.stringify(full)}`;
    };
    const sourceCondition = (sourceUri: string): string =>
      `predicate.buildDefinition.resolvedDependencies.exists(d, d.uri.startsWith(${JSON.stringify(`git+https://${sourceUri}@`)}))`;

    for (const [id, c] of Object.entries(cases)) {
      if (c.predicateType !== "https://slsa.dev/provenance/v1") continue;
      c.checks.forEach((check, i) => {
        const extra = Object.keys(check).filter((k) => !["sourceUri", "builderId", "expect"].includes(k));
        if (extra.length > 0 || !TRANSLATED.has(check.expect)) return;
        it(`${id} check ${i}: ${check.expect}`, () => {
          const cel = new CelCompiler();
          const conditions = [builderCondition(check.builderId), ...(check.sourceUri === undefined ? [] : [sourceCondition(check.sourceUri)])];
          const ok = conditions.every((e) => cel.compile(e).evaluate(statement(id)).ok);
          expect(ok).toBe(check.expect === "pass");
        });
      });
    }
  });
});
