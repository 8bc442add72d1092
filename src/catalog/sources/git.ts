import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { GitInfo } from "../../sbom/model/types.js";

/**
 * Commit, branch and remote of the git work tree containing `dir`, read from .git's files (no git binary
 * needed: CI images often lack it). undefined outside a work tree.
 */
export function readGitInfo(dir: string): GitInfo | undefined {
  const gitDir = findGitDir(resolve(dir));
  if (!gitDir) return undefined;
  const head = readText(join(gitDir.dir, "HEAD"))?.trim();
  if (!head) return undefined;
  const commonDir = gitDir.common;
  let commit: string | undefined;
  let branch: string | undefined;
  if (head.startsWith("ref: ")) {
    const ref = head.slice(5).trim();
    if (ref.startsWith("refs/heads/")) branch = ref.slice("refs/heads/".length);
    commit = resolveRef(commonDir, gitDir.dir, ref);
  } else if (/^[0-9a-f]{40,64}$/.test(head)) {
    commit = head;
  }
  const remote = readRemote(commonDir, branch);
  return { ...(commit ? { commit } : {}), ...(branch ? { branch } : {}), ...(remote ? { remote } : {}) };
}

function findGitDir(start: string): { dir: string; common: string } | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    try {
      const st = statSync(dotGit);
      if (st.isDirectory()) return { dir: dotGit, common: dotGit };
      if (st.isFile()) {
        // Worktrees and submodules: ".git" is a file "gitdir: <path>"; shared refs live in its commondir.
        const m = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? "");
        if (!m) return undefined;
        const gd = isAbsolute(m[1]!.trim()) ? m[1]!.trim() : resolve(dir, m[1]!.trim());
        const common = readText(join(gd, "commondir"))?.trim();
        return { dir: gd, common: common ? resolve(gd, common) : gd };
      }
    } catch {
      // not here; keep walking up
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function resolveRef(commonDir: string, gitDir: string, ref: string): string | undefined {
  for (const base of [gitDir, commonDir]) {
    const loose = readText(join(base, ref))?.trim();
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  const packed = readText(join(commonDir, "packed-refs")) ?? "";
  for (const line of packed.split("\n")) {
    const [sha, name] = line.trim().split(" ");
    if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}

/** The branch's remote (else "origin"), with any credentials removed: a token in a remote URL must never end up in an SBOM. */
function readRemote(commonDir: string, branch: string | undefined): string | undefined {
  const config = readText(join(commonDir, "config"));
  if (!config) return undefined;
  const sections = parseGitConfig(config);
  const remoteName = (branch && sections.get(`branch "${branch}"`)?.get("remote")) || "origin";
  const url = sections.get(`remote "${remoteName}"`)?.get("url");
  return url ? stripCredentials(url) : undefined;
}

function parseGitConfig(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.replace(/^(\S+)\s+"(.*)"$/, (_m, a: string, b: string) => `${a.toLowerCase()} "${b}"`);
      sections.set(name, (current = sections.get(name) ?? new Map()));
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (kv && current) current.set(kv[1]!.toLowerCase(), kv[2]!.replace(/^"(.*)"$/, "$1"));
  }
  return sections;
}

export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = "";
      u.password = "";
    }
    return u.toString();
  } catch {
    return url; // scp-like "git@host:org/repo.git" has no password part
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
