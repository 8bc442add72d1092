import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readGitInfo, stripCredentials } from "./git.js";

const dir = mkdtempSync(join(tmpdir(), "vouch-git-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function git(...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.test", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.test" },
  }).trim();
}

describe("readGitInfo (reads .git without the git binary)", () => {
  it("finds commit, branch and remote, with credentials stripped from the remote", () => {
    git("init", "-q", "-b", "release");
    git("remote", "add", "origin", "https://user:ghp_secret@git.example.test/org/app.git");
    writeFileSync(join(dir, "a.txt"), "a");
    git("add", "a.txt");
    git("commit", "-q", "-m", "one");
    const head = git("rev-parse", "HEAD");
    mkdirSync(join(dir, "sub"));
    const info = readGitInfo(join(dir, "sub"));
    expect(info).toEqual({ commit: head, branch: "release", remote: "https://git.example.test/org/app.git" });
  });

  it("follows packed refs", () => {
    git("pack-refs", "--all");
    expect(readGitInfo(dir)?.commit).toBe(git("rev-parse", "HEAD"));
  });

  it("is undefined outside a work tree", () => {
    const plain = mkdtempSync(join(tmpdir(), "vouch-nogit-"));
    try {
      expect(readGitInfo(plain)).toBeUndefined();
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it("strips credentials but leaves scp-style remotes alone", () => {
    expect(stripCredentials("https://x:y@h.example.test/r.git")).toBe("https://h.example.test/r.git");
    expect(stripCredentials("git@h.example.test:org/r.git")).toBe("git@h.example.test:org/r.git");
  });
});
