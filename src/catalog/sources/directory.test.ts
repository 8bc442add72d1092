import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DirectorySource } from "./directory.js";

const root = mkdtempSync(join(tmpdir(), "vouch-dir-"));
const outside = mkdtempSync(join(tmpdir(), "vouch-outside-"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

mkdirSync(join(root, "app/node_modules/left-pad"), { recursive: true });
mkdirSync(join(root, "app/src/fixtures"), { recursive: true });
mkdirSync(join(root, ".git"), { recursive: true });
writeFileSync(join(root, "app/package-lock.json"), "{}");
writeFileSync(join(root, "app/node_modules/left-pad/package.json"), '{"name":"left-pad"}');
writeFileSync(join(root, "app/node_modules/.package-lock.json"), "{}");
writeFileSync(join(root, "app/src/fixtures/yarn.lock"), "");
writeFileSync(join(root, ".git/config"), "");
writeFileSync(join(root, "big.lock"), "x".repeat(2048));
mkdirSync(join(root, "bench/.work/p"), { recursive: true });
writeFileSync(join(root, "bench/.work/p/package-lock.json"), "{}");
writeFileSync(join(outside, "secret"), "s3cret");
symlinkSync(outside, join(root, "escape-dir"));
symlinkSync(join(outside, "secret"), join(root, "escape-file"));
symlinkSync("..", join(root, "app/loop"));
symlinkSync(join(root, "app/package-lock.json"), join(root, "inside-link.json"));

describe("DirectorySource", () => {
  const source = new DirectorySource(root, { maxFileBytes: 1024, exclude: ["**/fixtures/**", "./bench/**"] });
  const files = source.files();

  it("lists files, skipping .git, node_modules (but its hidden lockfile) and excluded globs", () => {
    expect(files).toContain("app/package-lock.json");
    expect(files).toContain("app/node_modules/.package-lock.json");
    expect(files).toContain("inside-link.json");
    expect(files.some((f) => f.startsWith(".git/"))).toBe(false);
    expect(files).not.toContain("app/node_modules/left-pad/package.json");
    expect(files).not.toContain("app/src/fixtures/yarn.lock");
    expect(files.some((f) => f.startsWith("bench/"))).toBe(false); // dot folders below an excluded one too
  });

  it("reads installed package.json on demand", () => {
    expect(source.readFile("app/node_modules/left-pad/package.json")).toBe('{"name":"left-pad"}');
  });

  it("refuses links and paths out of the tree, and says so", () => {
    expect(files).not.toContain("escape-file");
    expect(files.some((f) => f.startsWith("escape-dir"))).toBe(false);
    expect(source.readFile("escape-file")).toBeUndefined();
    expect(source.readFile("../" + "x")).toBeUndefined();
    expect(source.warnings.map((w) => w.file)).toEqual(expect.arrayContaining(["escape-dir", "escape-file"]));
  });

  it("detects symlink loops", () => {
    expect(source.warnings).toContainEqual({ file: "app/loop", message: "symlink loop; skipped" });
  });

  it("skips oversized files with a warning", () => {
    expect(source.readFile("big.lock")).toBeUndefined();
    expect(source.warnings.find((w) => w.file === "big.lock")?.message).toMatch(/larger than the 1024-byte limit/);
  });
});
