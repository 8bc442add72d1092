import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import picomatch from "picomatch";
import type { CatalogWarning, FileSource } from "../types.js";
import { fileText } from "./text.js";

export interface DirectorySourceOptions {
  /** Files larger than this are skipped with a warning (a lockfile this big is an attack or an accident). */
  maxFileBytes?: number;
  /** syft-style globs, matched against root-relative POSIX paths ("**\/fixtures/**", "./test/**"). */
  exclude?: readonly string[];
}

/** Directories never walked for lockfiles. node_modules is read on demand (installed package.json). */
const SKIP_DIRS = new Set([".git", ".hg", ".svn", "node_modules", ".tools"]);
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Files of a directory tree on disk. Symlinks are followed only when they resolve inside the root (a link
 * out of the tree is how a hostile repository would make vouch read /etc); loops are detected by real
 * path; oversized and unreadable files are skipped with a warning.
 */
export class DirectorySource implements FileSource {
  readonly description: string;
  readonly warnings: CatalogWarning[] = [];
  private readonly root: string;
  private readonly maxFileBytes: number;
  private readonly excluded: (path: string) => boolean;
  private fileList?: string[];

  constructor(root: string, options: DirectorySourceOptions = {}) {
    this.description = root;
    this.root = realpathSync(root);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    // dot: true — an exclude of "bench/**" must also leave out "bench/.work/…" (Node's own glob would not).
    const globs = (options.exclude ?? []).map((g) => g.replace(/^\.\//, ""));
    this.excluded = globs.length === 0 ? () => false : picomatch(globs, { dot: true });
  }

  files(): readonly string[] {
    if (!this.fileList) {
      const out: string[] = [];
      this.walk("", new Set([this.root]), out);
      // npm's hidden lockfile records what is installed when no package-lock.json sits beside node_modules.
      for (const dir of new Set(out.map((p) => posix.dirname(p)))) {
        const hidden = posix.join(dir === "." ? "" : dir, "node_modules/.package-lock.json");
        if (this.isFile(hidden) && !this.isExcluded(hidden)) out.push(hidden);
      }
      if (this.isFile("node_modules/.package-lock.json") && !out.includes("node_modules/.package-lock.json")) out.push("node_modules/.package-lock.json");
      this.fileList = out.sort();
    }
    return this.fileList;
  }

  readFile(path: string): string | undefined {
    const bytes = this.readBytes(path);
    return bytes === undefined ? undefined : fileText(bytes);
  }

  readBytes(path: string): Uint8Array | undefined {
    const abs = this.resolveInside(path);
    if (abs === undefined) return undefined;
    let fd: number;
    try {
      fd = openSync(abs, "r");
    } catch {
      return undefined;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined;
      if (st.size > this.maxFileBytes) {
        this.warnings.push({ file: path, message: `larger than the ${this.maxFileBytes}-byte limit (${st.size} bytes); skipped`, fileSkipped: true });
        return undefined;
      }
      const buf = Buffer.allocUnsafe(st.size);
      let read = 0;
      while (read < st.size) {
        const n = readSync(fd, buf, read, st.size - read, read);
        if (n === 0) break;
        read += n;
      }
      return buf.subarray(0, read);
    } catch (err) {
      this.warnings.push({ file: path, message: `unreadable (${(err as NodeJS.ErrnoException).code ?? "error"}); skipped`, fileSkipped: true });
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  listDir(path: string): string[] {
    const abs = this.resolveInside(path);
    if (abs === undefined) return [];
    try {
      return readdirSync(abs).sort();
    } catch {
      return [];
    }
  }

  private isFile(path: string): boolean {
    const abs = this.resolveInside(path);
    try {
      return abs !== undefined && statSync(abs).isFile();
    } catch {
      return false;
    }
  }

  /** Absolute real path of a root-relative path, or undefined when it escapes the root or does not resolve. */
  private resolveInside(path: string): string | undefined {
    const normal = posix.normalize(path);
    if (normal.startsWith("../") || normal === ".." || posix.isAbsolute(normal)) return undefined;
    try {
      const real = realpathSync(join(this.root, normal));
      return real === this.root || real.startsWith(this.root + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  /** A path is excluded when it, or (for a directory) anything below it, matches: "bench/**" prunes "bench". */
  private isExcluded(rel: string, isDirectory = false): boolean {
    return this.excluded(rel) || (isDirectory && this.excluded(`${rel}/`));
  }

  private walk(relDir: string, visited: Set<string>, out: string[]): void {
    let entries;
    const absDir = join(this.root, relDir);
    try {
      entries = readdirSync(absDir, { withFileTypes: true });
    } catch (err) {
      this.warnings.push({ file: relDir || ".", message: `directory unreadable (${(err as NodeJS.ErrnoException).code ?? "error"}); skipped` });
      return;
    }
    for (const entry of entries) {
      const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      if (this.isExcluded(rel, entry.isDirectory())) continue;
      if (entry.isDirectory()) {
        if (SKIP_DIRS.has(entry.name)) continue;
        this.walk(rel, visited, out);
      } else if (entry.isFile()) {
        out.push(rel);
      } else if (entry.isSymbolicLink()) {
        this.followLink(rel, visited, out);
      }
    }
  }

  private followLink(rel: string, visited: Set<string>, out: string[]): void {
    let real: string;
    try {
      real = realpathSync(join(this.root, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.warnings.push({ file: rel, message: code === "ELOOP" ? "symlink loop; skipped" : `broken symlink (${code ?? "error"}); skipped` });
      return;
    }
    if (real !== this.root && !real.startsWith(this.root + sep)) {
      this.warnings.push({ file: rel, message: `symlink points outside the scanned tree (${relative(this.root, real)}); skipped` });
      return;
    }
    const st = lstatSync(real);
    if (st.isFile()) {
      out.push(rel);
    } else if (st.isDirectory()) {
      if (visited.has(real)) {
        this.warnings.push({ file: rel, message: "symlink loop; skipped" });
        return;
      }
      visited.add(real);
      this.walk(rel, visited, out);
    }
  }
}
