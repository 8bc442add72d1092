import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import type { CatalogWarning, FileSource } from "../../types.js";
import { DirectorySource, type DirectorySourceOptions } from "../directory.js";
import { isListed } from "./wants.js";

const MAX_LINK_HOPS = 40;

/**
 * An unpacked root filesystem (rootfs:PATH), read as the same image would be: files() lists what an
 * ImageSource lists (regular files, node_modules included, symlinks not followed when listing; see
 * isListed), and symlinks are resolved as inside a chroot. A rootfs is full of absolute links
 * (/etc/alternatives/awk, /etc/os-release -> /usr/lib/os-release on some distributions) that mean the
 * rootfs's own files; followed on the host they would name the host's. Links are resolved here by readlink
 * within the root, then the file is read through a DirectorySource (its size limit and its own
 * inside-the-root check stay in force).
 */
export class RootfsSource implements FileSource {
  readonly description: string;
  private readonly dir: DirectorySource;
  private readonly root: string;
  private readonly excluded: (path: string) => boolean;
  private readonly walkWarnings: CatalogWarning[] = [];
  private fileList?: string[];

  constructor(root: string, options: DirectorySourceOptions = {}) {
    this.dir = new DirectorySource(root, options);
    this.root = root;
    this.description = `rootfs:${root}`;
    const globs = (options.exclude ?? []).map((g) => g.replace(/^\.\//, ""));
    this.excluded = globs.length === 0 ? () => false : picomatch(globs, { dot: true });
  }

  /** Unreadable directories met while listing, and files skipped while reading (over the size limit). */
  get warnings(): CatalogWarning[] {
    return [...this.walkWarnings, ...this.dir.warnings];
  }

  files(): readonly string[] {
    if (!this.fileList) {
      const out: string[] = [];
      this.walk("", out);
      this.fileList = out.sort();
    }
    return this.fileList;
  }

  readFile(path: string): string | undefined {
    const real = this.resolve(path);
    return real === undefined ? undefined : this.dir.readFile(real);
  }

  readBytes(path: string): Uint8Array | undefined {
    const real = this.resolve(path);
    return real === undefined ? undefined : this.dir.readBytes(real);
  }

  listDir(path: string): string[] {
    const real = this.resolve(path);
    return real === undefined ? [] : this.dir.listDir(real === "" ? "." : real);
  }

  /** The root-relative path with every symlink resolved inside the root; undefined for a loop. */
  resolve(path: string): string | undefined {
    const pending = path.split("/").filter((s) => s !== "" && s !== ".").reverse();
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const seg = pending.pop()!;
      if (seg === "..") {
        done.pop();
        continue;
      }
      const rel = [...done, seg].join("/");
      let target: string | undefined;
      try {
        target = lstatSync(join(this.root, rel)).isSymbolicLink() ? readlinkSync(join(this.root, rel)) : undefined;
      } catch {
        target = undefined; // Absent: the DirectorySource answers undefined for it.
      }
      if (target === undefined) {
        done.push(seg);
        continue;
      }
      if (++hops > MAX_LINK_HOPS) return undefined;
      if (target.startsWith("/")) done.length = 0;
      for (const t of target.split("/").filter((s) => s !== "" && s !== ".").reverse()) pending.push(t);
    }
    return done.join("/");
  }

  private walk(relDir: string, out: string[]): void {
    let entries;
    try {
      entries = readdirSync(join(this.root, relDir), { withFileTypes: true });
    } catch (err) {
      this.walkWarnings.push({ file: relDir || ".", message: `directory unreadable (${(err as NodeJS.ErrnoException).code ?? "error"}); skipped` });
      return;
    }
    for (const entry of entries) {
      const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (this.excluded(rel) || this.excluded(`${rel}/`) || !isListed(`${rel}/x`)) continue;
        this.walk(rel, out);
      } else if (entry.isFile() && isListed(rel) && !this.excluded(rel)) {
        out.push(rel);
      }
    }
  }
}
