import type { CatalogWarning } from "../../types.js";
import type { TarHeader } from "./tar.js";

/**
 * The squashed file tree of an image: every layer applied in order, whiteouts and opaque directories honoured
 * (image-spec layer.md "Whiteouts"). It holds metadata for every entry and content only for the files the
 * caller decided to keep, so memory follows the number of entries, not the size of the layers.
 *
 * Paths are resolved as inside a chroot: an absolute symlink target starts at the image root, ".." at the
 * root stays at the root, and more than MAX_LINK_HOPS links in one lookup is a loop. Nothing here touches
 * the host file system.
 */

export type NodeType = "file" | "dir" | "symlink" | "other";

export interface ViewNode {
  type: NodeType;
  size: number;
  mode: number;
  /** Symlink target as written. */
  linkTarget?: string;
  /**
   * For files and links: the layer that last wrote the entry. For directories: the last layer that wrote the
   * directory or anything below it (what an opaque marker or a whiteout compares against).
   */
  layer: number;
  /** Kept content (shared between hard links). */
  content?: Uint8Array;
  /**
   * Earlier contents of this path from lower layers, oldest first, for files whose history is kept (package
   * databases: which layer introduced which package). Cleared when the path is deleted or whited out.
   */
  history?: { layer: number; content: Uint8Array }[];
  children?: Map<string, ViewNode>;
}

export interface EntryInfo {
  path: string;
  type: NodeType;
  size: number;
  mode: number;
  linkTarget?: string;
  layer: number;
}

const MAX_LINK_HOPS = 40;
export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

function newDir(layer: number, mode = 0o755): ViewNode {
  return { type: "dir", size: 0, mode, layer, children: new Map() };
}

export class SquashedView {
  readonly root: ViewNode = newDir(-1);
  /** Bytes of kept content currently in the tree. */
  retainedBytes = 0;
  entries = 0;
  private readonly warn: (w: CatalogWarning) => void;

  constructor(warn: (w: CatalogWarning) => void) {
    this.warn = warn;
  }

  /**
   * Apply one entry of layer `layer` at the normalised path `path`. `content` is the kept body of a file
   * (undefined when the caller keeps metadata only); with `keepHistory`, the content it replaces stays
   * readable as an earlier version.
   */
  apply(layer: number, path: string, header: TarHeader, content?: Uint8Array, keepHistory = false): void {
    const slash = path.lastIndexOf("/");
    const dirPath = slash < 0 ? "" : path.slice(0, slash);
    const name = slash < 0 ? path : path.slice(slash + 1);
    const parent = this.parentFor(dirPath, layer, path);
    if (!parent) return;
    if (name === OPAQUE_MARKER) {
      this.prune(parent, layer);
      return;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(parent, name.slice(WHITEOUT_PREFIX.length), layer);
      return;
    }
    const existing = parent.children!.get(name);
    switch (header.type) {
      case "dir":
        if (existing?.type === "dir") {
          existing.mode = header.mode;
          existing.layer = layer;
        } else {
          this.replace(parent, name, newDir(layer, header.mode), existing);
        }
        return;
      case "file": {
        const next: ViewNode = { type: "file", size: header.size, mode: header.mode, layer, content };
        const earlier = keepHistory && content && existing?.type === "file" && existing.content && existing.layer < layer ? existing : undefined;
        this.replace(parent, name, next, existing);
        if (content) this.retainedBytes += content.length;
        if (earlier) {
          next.history = [...(earlier.history ?? []), { layer: earlier.layer, content: earlier.content! }];
          for (const h of next.history) this.retainedBytes += h.content.length;
        }
        return;
      }
      case "symlink":
        this.replace(parent, name, { type: "symlink", size: 0, mode: header.mode, linkTarget: header.linkName, layer }, existing);
        return;
      case "hardlink":
        // Handled by applyHardLink (the target must be resolved first); never reaches here.
        return;
      case "other":
        this.replace(parent, name, { type: "other", size: 0, mode: header.mode, layer }, existing);
        return;
    }
  }

  /**
   * A hard link: the new path shares the target's content. The target is an entry already in the image (this
   * layer or a lower one), looked up without following a final symlink (a hard link to a symlink is one).
   */
  applyHardLink(layer: number, path: string, target: string, wanted: boolean): void {
    const node = this.lookup(target, false);
    if (!node || node.type === "dir") {
      this.warn({ file: path, message: node ? `hard link to a directory (${target}); skipped` : `hard link to missing target ${JSON.stringify(target)}; skipped` });
      return;
    }
    if (wanted && node.type === "file" && !node.content && node.size > 0) {
      this.warn({ file: path, message: `hard link to ${target}, whose content was not kept; only its metadata is known` });
    }
    const slash = path.lastIndexOf("/");
    const parent = this.parentFor(slash < 0 ? "" : path.slice(0, slash), layer, path);
    if (!parent) return;
    const name = slash < 0 ? path : path.slice(slash + 1);
    if (node === parent.children!.get(name)) return;
    this.replace(parent, name, { ...node, layer, children: undefined, history: undefined }, parent.children!.get(name));
    // Shared content is counted once per path holding it: released when either path is removed.
    if (node.content) this.retainedBytes += node.content.length;
  }

  /** The node at a path; `followFinal` resolves a symlink in the last segment too. Undefined when absent or a loop. */
  lookup(path: string, followFinal = true): ViewNode | undefined {
    return this.resolve(path, followFinal)?.node;
  }

  /** The node and its canonical path (symlinks resolved), or undefined when absent, a loop, or not a directory on the way. */
  resolve(path: string, followFinal = true): { node: ViewNode; path: string } | undefined {
    const r = this.walkPath(path, followFinal);
    return r === "loop" ? undefined : r;
  }

  /** True when resolving `path` meets more than MAX_LINK_HOPS symlinks (a cycle, for any real image). */
  isLoop(path: string, followFinal = true): boolean {
    return this.walkPath(path, followFinal) === "loop";
  }

  private walkPath(path: string, followFinal: boolean): { node: ViewNode; path: string } | "loop" | undefined {
    const pending = splitPath(path).reverse();
    const stack: ViewNode[] = [this.root];
    const names: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const seg = pending.pop()!;
      if (seg === ".") continue;
      if (seg === "..") {
        if (stack.length > 1) {
          stack.pop();
          names.pop();
        }
        continue;
      }
      const dir = stack[stack.length - 1]!;
      if (dir.type !== "dir") return undefined;
      const child = dir.children!.get(seg);
      if (!child) return undefined;
      if (child.type === "symlink" && (pending.length > 0 || followFinal)) {
        if (++hops > MAX_LINK_HOPS) return "loop";
        const target = child.linkTarget ?? "";
        if (target.startsWith("/")) {
          stack.length = 1;
          names.length = 0;
        }
        for (const t of splitPath(target).reverse()) pending.push(t);
        continue;
      }
      stack.push(child);
      names.push(seg);
    }
    return { node: stack[stack.length - 1]!, path: names.join("/") };
  }

  /** Every entry, depth first, names sorted (for listings and tests). */
  *walk(dir: ViewNode = this.root, prefix = ""): Generator<EntryInfo & { node: ViewNode }> {
    for (const name of [...dir.children!.keys()].sort()) {
      const node = dir.children!.get(name)!;
      const path = prefix === "" ? name : `${prefix}/${name}`;
      yield { path, type: node.type, size: node.size, mode: node.mode, linkTarget: node.linkTarget, layer: node.layer, node };
      if (node.type === "dir") yield* this.walk(node, path);
    }
  }

  /**
   * The directory an entry goes into, created as needed. Parent symlinks are followed within the image, as
   * the runtime's layer applier does; a file in the way of a directory is replaced (with a warning).
   */
  private parentFor(dirPath: string, layer: number, entryPath: string): ViewNode | undefined {
    let dir = this.root;
    dir.layer = Math.max(dir.layer, layer);
    let walked = "";
    for (const seg of splitPath(dirPath)) {
      walked = walked === "" ? seg : `${walked}/${seg}`;
      let child = dir.children!.get(seg);
      if (child?.type === "symlink") {
        const resolved = this.resolve(walked, true);
        if (resolved?.node.type === "dir") {
          child = resolved.node;
        } else {
          this.warn({ file: entryPath, message: `parent ${walked} is a symlink that does not lead to a directory in the image; entry skipped` });
          return undefined;
        }
      } else if (!child || child.type !== "dir") {
        if (child) this.warn({ file: entryPath, message: `${walked} was a ${child.type} and is replaced by a directory` });
        const created = newDir(layer);
        this.replace(dir, seg, created, child);
        child = created;
      }
      child.layer = Math.max(child.layer, layer);
      dir = child;
    }
    return dir;
  }

  private replace(parent: ViewNode, name: string, next: ViewNode, existing: ViewNode | undefined): void {
    if (existing) this.release(existing);
    else this.entries++;
    parent.children!.set(name, next);
  }

  /** `.wh.<name>`: <name> and everything below it from lower layers is gone. */
  private whiteout(parent: ViewNode, name: string, layer: number): void {
    const node = parent.children!.get(name);
    if (!node) return;
    if (node.layer < layer) {
      this.release(node);
      this.entries--;
      parent.children!.delete(name);
    } else if (node.type === "dir") {
      this.prune(node, layer);
    }
  }

  /** An opaque directory: whatever lower layers put below it is gone; what this layer wrote stays. */
  private prune(dir: ViewNode, layer: number): void {
    for (const [name, child] of dir.children!) {
      if (child.layer < layer) {
        this.release(child);
        this.entries--;
        dir.children!.delete(name);
      } else if (child.type === "dir") {
        this.prune(child, layer);
      }
    }
  }

  private release(node: ViewNode): void {
    if (node.content) this.retainedBytes -= node.content.length;
    for (const h of node.history ?? []) this.retainedBytes -= h.content.length;
    if (node.children) {
      for (const child of node.children.values()) {
        this.release(child);
        this.entries--;
      }
    }
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}
