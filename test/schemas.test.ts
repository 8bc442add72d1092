import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "./support/schemas.js";

/** The validators themselves must accept the specs' valid examples and reject the invalid ones. */
describe("schema validators", () => {
  for (const version of ["1.5", "1.6"] as const) {
    const dir = join(import.meta.dirname, "fixtures", "cyclonedx-testdata", version);
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    it(`CycloneDX ${version}: valid-* pass and invalid-* fail (${files.length} files)`, () => {
      const wrong: string[] = [];
      for (const f of files) {
        const doc = JSON.parse(readFileSync(join(dir, f), "utf8"));
        const errors = schemaErrors(`cyclonedx-${version}`, doc);
        if (f.startsWith("valid-") && errors.length > 0) wrong.push(`${f}: ${errors[0]}`);
        if (f.startsWith("invalid-") && errors.length === 0) wrong.push(`${f}: accepted`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it("SPDX 2.3: the spec's examples are valid", () => {
    const dir = join(import.meta.dirname, "fixtures", "spdx-examples");
    const docs = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(docs.length).toBeGreaterThan(3);
    for (const f of docs) {
      const doc = JSON.parse(readFileSync(join(dir, f), "utf8"));
      if (doc.spdxVersion !== "SPDX-2.3") continue;
      expect({ f, errors: schemaErrors("spdx-2.3", doc) }).toEqual({ f, errors: [] });
    }
  });
});
