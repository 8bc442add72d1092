import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizePypiName } from "../src/sbom/model/purl.js";
import { catalogDirectory, nameVersion } from "./support/catalog.js";

/**
 * Accuracy against real lockfiles: where a case has expected-name-versions.txt (computed with an independent
 * standard parser, see fixtures/lockfiles/SOURCE.md), vouch's SBOM of that folder has exactly that set.
 */
const ROOT = join(import.meta.dirname, "fixtures", "lockfiles");

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((eco) => readdirSync(join(ROOT, eco.name)).map((name) => ({ eco: eco.name, name, dir: join(ROOT, eco.name, name) })))
  .filter((c) => existsSync(join(c.dir, "expected-name-versions.txt")));

function normalizeLine(eco: string, line: string): string {
  if (eco !== "pypi") return line;
  const at = line.lastIndexOf("@");
  return `${normalizePypiName(line.slice(0, at))}${line.slice(at)}`;
}

describe("real lockfiles: name@version set equals the independent parser's", () => {
  it("has cases to check", () => expect(cases.length).toBeGreaterThan(20));

  for (const c of cases) {
    it(`${c.eco}/${c.name}`, () => {
      const expected = new Set(
        readFileSync(join(c.dir, "expected-name-versions.txt"), "utf8")
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l.length > 0)
          .map((l) => normalizeLine(c.eco, l)),
      );
      const out = catalogDirectory(c.dir);
      // The project itself (root and workspace members) is not a dependency, and most expected lists leave it
      // out; Cargo's count every [[package]] of Cargo.lock, where the workspace's own crates are listed too.
      const projects = c.eco === "cargo" ? [...(out.rootProject ? [out.rootProject] : []), ...out.components] : [];
      const actual = new Set([...out.components.filter((x) => x.type === "library"), ...projects].map(nameVersion));
      const missing = [...expected].filter((x) => !actual.has(x)).sort();
      const extra = [...actual].filter((x) => !expected.has(x)).sort();
      expect({ missing: missing.slice(0, 20), extra: extra.slice(0, 20), missingCount: missing.length, extraCount: extra.length }).toEqual({
        missing: [],
        extra: [],
        missingCount: 0,
        extraCount: 0,
      });
      expect(out.warnings.filter((w) => w.fileSkipped)).toEqual([]);
    });
  }
});
