import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { CatalogWarning, FileSource } from "../../types.js";
import { DirectorySource, type DirectorySourceOptions } from "../directory.js";

const MAX_LINK_HOPS = 40;

/**
 * An unpacked root filesystem (rootfs:PATH) read as a DirectorySource, with one difference: symlinks are
 * resolved as inside a chroot. A rootfs is full of absolute links (/etc/alternatives/awk, /etc/os-release ->
 * /usr/lib/os-release on some distributions) that mean the rootfs's own files; followed on the host they would
 * name the host's. Links are resolved here by readlink within the root, then read through the DirectorySource
 * (its size limit and its own inside-the-root check stay in force). Listing is DirectorySource's: links that
 * point outside the tree on the host are not listed, and their warnings are dropped (the real files are
 * listed under their real paths anyway), as are its "loop" warnings for links to directories it already walked.
 */
export class RootfsSource implements FileSource {
  readonly description: string;
  private readonly dir: DirectorySource;
  private readonly root: string;

  constructor(root: string, options: DirectorySourceOptions = {}) {
    this.dir = new DirectorySource(root, options);
    this.root = root;
    this.description = `rootfs:${root}`;
  }

  get warnings(): CatalogWarning[] {
    return this.dir.warnings.filter((w) => {
      if (/^symlink points outside the scanned tree|^broken symlink/.test(w.message)) return false;
      // DirectorySource calls a link to a directory it already walked a loop (usr/share/doc/libstdc++6 ->
      // gcc-12-base); only a link that does not resolve inside the root is one.
      if (w.message.startsWith("symlink loop")) return this.resolve(w.file) === undefined;
      return true;
    });
  }

  files(): readonly string[] {
    return this.dir.files();
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
}
