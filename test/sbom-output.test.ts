import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeSbom, generateSbom } from "../src/api/sbom.js";
import { schemaErrors, type SchemaName } from "./support/schemas.js";

/**
 * Every SBOM vouch writes validates against the official schemas, for every fixture directory: the real
 * lockfiles and each cataloger's own fixtures (corrupt ones included: what remains must still be valid).
 */
const REPO = join(import.meta.dirname, "..");
const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

function fixtureDirs(): string[] {
  const dirs: string[] = [];
  const lockfiles = join(REPO, "test", "fixtures", "lockfiles");
  for (const eco of readdirSync(lockfiles)) {
    if (!statSync(join(lockfiles, eco)).isDirectory()) continue;
    for (const c of readdirSync(join(lockfiles, eco))) dirs.push(join(lockfiles, eco, c));
  }
  const catalog = join(REPO, "src", "catalog");
  for (const eco of readdirSync(catalog)) {
    const fixtures = join(catalog, eco, "fixtures");
    if (!existsSync(fixtures)) continue;
    for (const c of readdirSync(fixtures)) if (statSync(join(fixtures, c)).isDirectory()) dirs.push(join(fixtures, c));
  }
  return dirs;
}

const FORMATS: { name: SchemaName; format: Parameters<typeof encodeSbom>[1] }[] = [
  { name: "cyclonedx-1.5", format: { kind: "cyclonedx-json", version: "1.5" } },
  { name: "cyclonedx-1.6", format: { kind: "cyclonedx-json", version: "1.6" } },
  { name: "cyclonedx-1.7", format: { kind: "cyclonedx-json", version: "1.7" } },
  { name: "spdx-2.3", format: { kind: "spdx-json" } },
];

describe("every SBOM vouch writes is schema-valid", () => {
  const dirs = fixtureDirs();
  it("has fixture directories", () => expect(dirs.length).toBeGreaterThan(25));
  for (const dir of dirs) {
    it(dir.slice(REPO.length + 1), () => {
      const generated = generateSbom(dir, { env: ENV });
      for (const { name, format } of FORMATS) {
        const doc = JSON.parse(encodeSbom(generated, format));
        expect({ name, errors: schemaErrors(name, doc) }).toEqual({ name, errors: [] });
      }
    });
  }
});

describe("deterministic output", () => {
  it("the same tree gives byte-identical CycloneDX and SPDX under SOURCE_DATE_EPOCH", () => {
    const dir = join(REPO, "test", "fixtures", "lockfiles", "npm", "pnpm-v9-vue-core");
    for (const { format } of FORMATS) {
      const a = encodeSbom(generateSbom(dir, { env: ENV }), format);
      const b = encodeSbom(generateSbom(dir, { env: ENV }), format);
      expect(a).toBe(b);
    }
  });

  it("without SOURCE_DATE_EPOCH, serial numbers differ between runs", () => {
    const dir = join(REPO, "test", "fixtures", "lockfiles", "cargo", "cargo-lock-v3-small-ripgrep");
    const f = { kind: "cyclonedx-json", version: "1.6" } as const;
    const a = JSON.parse(encodeSbom(generateSbom(dir, { env: {} }), f));
    const b = JSON.parse(encodeSbom(generateSbom(dir, { env: {} }), f));
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it("SOURCE_DATE_EPOCH sets the timestamp", () => {
    const dir = join(REPO, "test", "fixtures", "lockfiles", "cargo", "cargo-lock-v3-small-ripgrep");
    const doc = JSON.parse(encodeSbom(generateSbom(dir, { env: ENV }), { kind: "spdx-json" }));
    expect(doc.creationInfo.created).toBe("2023-11-14T22:13:20Z");
  });
});
