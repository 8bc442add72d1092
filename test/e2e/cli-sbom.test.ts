import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";
import { schemaErrors } from "../support/schemas.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "lockfiles");
const work = mkdtempSync(join(tmpdir(), "vouch-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("vouch sbom (the CLI, end to end)", () => {
  it("writes schema-valid CycloneDX 1.6 by default with --file, and SPDX with -o spdx-json", () => {
    const cdx = join(work, "out.cdx.json");
    const r = vouch(["sbom", join(FIXTURES, "cargo", "cargo-lock-v3-small-ripgrep"), "--file", cdx]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const doc = JSON.parse(readFileSync(cdx, "utf8"));
    expect(doc.specVersion).toBe("1.6");
    expect(schemaErrors("cyclonedx-1.6", doc)).toEqual([]);
    expect(doc.components.length).toBeGreaterThan(40);

    const spdx = vouch(["sbom", join(FIXTURES, "cargo", "cargo-lock-v3-small-ripgrep"), "-o", "spdx-json"]);
    expect(spdx.code).toBe(0);
    expect(schemaErrors("spdx-2.3", JSON.parse(spdx.stdout))).toEqual([]);
  });

  it("several outputs in one run with -o FORMAT=FILE", () => {
    const dir = join(FIXTURES, "nuget", "packages-lock-small-bicep-itemtemplate");
    const r = vouch(["sbom", dir, "-o", `cyclonedx-json@1.5=${join(work, "a.json")}`, "-o", "purls"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, "a.json"), "utf8")).specVersion).toBe("1.5");
    expect(r.stdout.split("\n").filter(Boolean).every((l) => l.startsWith("pkg:nuget/"))).toBe(true);
  });

  it("a corrupt lockfile: warning naming file and line on stderr, the rest still catalogs, exit 0 (2 with --strict)", () => {
    const dir = join(work, "mixed");
    mkdirSync(dir);
    writeFileSync(join(dir, "package-lock.json"), '{\n  "lockfileVersion": 3,\n  "packages": {\n    "": {\n');
    writeFileSync(join(dir, "Cargo.lock"), readFileSync(join(FIXTURES, "cargo", "cargo-lock-v3-small-ripgrep", "Cargo.lock")));
    const r = vouch(["sbom", dir, "-o", "purls"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: package-lock\.json:\d+: .+skipped$/m);
    expect(r.stdout).toContain("pkg:cargo/");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const strict = vouch(["sbom", dir, "-o", "purls", "--strict"]);
    expect(strict.code).toBe(2);
    expect(strict.stderr.trim().split("\n").at(-1)).toMatch(/^vouch: 1 file\(s\) could not be cataloged \(--strict\)$/);
  });

  it("rootfs: OS packages with their distro purls; --package-files adds each owned file with its MD5", () => {
    const rootfs = join(import.meta.dirname, "..", "..", "src", "catalog", "dpkg", "fixtures", "debian-bookworm");
    const plain = vouch(["sbom", `rootfs:${rootfs}`, "-o", "cyclonedx-json"]);
    expect(plain.code, plain.stderr).toBe(0);
    const bash = JSON.parse(plain.stdout).components.find((c: { name: string }) => c.name === "bash");
    expect(bash.purl).toMatch(/^pkg:deb\/debian\/bash@.*distro=debian-12/);
    expect(bash.properties.some((p: { name: string }) => p.name === "vouch:deb:file")).toBe(false);
    const listed = vouch(["sbom", `rootfs:${rootfs}`, "--package-files", "-o", "cyclonedx-json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const files = JSON.parse(listed.stdout)
      .components.find((c: { name: string }) => c.name === "bash")
      .properties.filter((p: { name: string }) => p.name === "vouch:deb:file");
    expect(files.length).toBeGreaterThan(0);
    // Files the package database lists a digest for carry it; links and diversions (/bin/rbash) are listed bare.
    expect(files.some((f: { value: string }) => /^md5:7210080490f9fd139c1b44fa0f730988 {2}\/bin\/bash$/.test(f.value))).toBe(true);
  });

  it("usage errors exit 2 with one line and no stack trace", () => {
    for (const args of [["sbom", ".", "-o", "nope"], ["sbom", join(work, "absent")], ["sbom", "--bogus"]]) {
      const r = vouch(args);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
  });

  it("a failed write leaves nothing behind", () => {
    const target = join(work, "no-such-dir", "out.json");
    const r = vouch(["sbom", join(FIXTURES, "cargo", "cargo-lock-v3-small-ripgrep"), "--file", target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write \(ENOENT\)/);
    expect(readdirSync(work).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("records SOURCE_DATE_EPOCH and GitHub Actions run identity", () => {
    const r = vouch(["sbom", join(FIXTURES, "cargo", "cargo-lock-v3-small-ripgrep"), "-o", "cyclonedx-json"], {
      env: {
        SOURCE_DATE_EPOCH: "1700000000",
        GITHUB_ACTIONS: "true",
        GITHUB_RUN_ID: "42",
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_REPOSITORY: "org/repo",
        GITHUB_SERVER_URL: "https://github.example.test",
        GITHUB_SHA: "b".repeat(40),
      },
    });
    const doc = JSON.parse(r.stdout);
    expect(doc.metadata.timestamp).toBe("2023-11-14T22:13:20Z");
    expect(doc.metadata.properties).toContainEqual({ name: "vouch:ci:run-id", value: "42/1" });
    expect(doc.metadata.component.externalReferences).toContainEqual({
      type: "build-meta",
      url: "https://github.example.test/org/repo/actions/runs/42/attempts/1",
    });
  });
});
