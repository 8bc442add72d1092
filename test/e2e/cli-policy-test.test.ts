import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

const REPO = join(import.meta.dirname, "..", "..");
const FIXTURES = join(REPO, "test", "fixtures", "policy-test");
const HOLDOUT = join(FIXTURES, "holdout");
const work = mkdtempSync(join(tmpdir(), "vouch-policy-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of holdout/ (its relative paths to test/fixtures/sigstore kept working) with vouch-test.yaml edited. */
function variant(name: string, edit: (text: string) => string): string {
  const dir = join(work, "policy-test", name);
  cpSync(HOLDOUT, dir, { recursive: true });
  const text = readFileSync(join(dir, "vouch-test.yaml"), "utf8").replaceAll("../../sigstore/", `${join(REPO, "test", "fixtures", "sigstore")}/`);
  writeFileSync(join(dir, "vouch-test.yaml"), edit(text));
  return dir;
}

describe("vouch policy test DIR", () => {
  it("runs the holdout tests: a Pod, a Deployment's init/main containers, an image no policy covers, an exception", () => {
    const r = vouch(["policy", "test", HOLDOUT]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#\s+POLICY\s+RESOURCE\s+IMAGE\s+EXPECTED\s+ACTUAL\s+RESULT$/m);
    expect(r.stdout).toMatch(/signed-by-release-key\s+legacy\s+\(all\)\s+waived\s+waived\s+Pass/);
    expect(r.stdout).toMatch(/docker\.io\/library\/busybox:1\.36\s+skip\s+skip\s+Pass/);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("6 passed, 0 failed");
  });

  it("exits 1 with the table and the failing rule when a result does not match", () => {
    const dir = variant("mismatch", (t) => t.replace("resource: signed-app, result: pass", "resource: signed-app, result: fail").replace("result: waived", "result: pass"));
    const r = vouch(["policy", "test", dir, "-o", "json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { passed: boolean; results: { resource: string; result: string; actual: string; ok: boolean }[] };
    expect(json.passed).toBe(false);
    expect(json.results.filter((o) => !o.ok).map((o) => [o.resource, o.result, o.actual])).toEqual([
      ["signed-app", "fail", "pass"],
      ["legacy", "pass", "waived"],
    ]);
    expect(r.stderr).toMatch(/2 of 6 policy test result\(s\) did not match/);
  });

  it("the exception stops applying once `now` is past its expiresAt", () => {
    const dir = variant("expired", (t) => t.replace('now: "2026-03-01T00:00:00Z"', 'now: "2026-06-01T00:00:00Z"'));
    const r = vouch(["policy", "test", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/signed-by-release-key\s+legacy\s+\(all\)\s+waived\s+fail\s+Fail/);
    expect(r.stdout).toMatch(/signed-by-release-key on legacy: authorities: none of 1 signature|signed-by-release-key on legacy: authorities: no signature/);
  });

  it("refuses a corrupt vouch-test.yaml with exit 2 naming the field", () => {
    for (const [name, edit, pattern] of [
      ["bad-result", (t: string) => t.replace("result: skip", "result: maybe"), /vouch-test\.yaml: results\[3\]\.result: must be one of pass, fail, waived, skip/],
      ["unknown-field", (t: string) => `${t}colour: blue\n`, /vouch-test\.yaml: colour: unknown field/],
      ["not-yaml", () => "results: [\n", /vouch-test\.yaml: \(document\): invalid YAML/],
    ] as const) {
      const r = vouch(["policy", "test", variant(name, edit)]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(pattern);
    }
  });
});
