import { posix } from "node:path";
import type { FileSource } from "../types.js";

/**
 * A FileSource over files held in memory: for tests, and for library users who already have the text
 * (a lockfile fetched from an API, a file from a git object).
 */
export class MemorySource implements FileSource {
  readonly description: string;
  private readonly contents: Map<string, string | Uint8Array>;

  constructor(files: Record<string, string | Uint8Array>, description = "memory") {
    this.description = description;
    this.contents = new Map(Object.entries(files).map(([p, t]) => [posix.normalize(p).replace(/^\.\//, ""), t]));
  }

  files(): readonly string[] {
    return [...this.contents.keys()].sort();
  }

  readFile(path: string): string | undefined {
    const content = this.contents.get(posix.normalize(path).replace(/^\.\//, ""));
    return content instanceof Uint8Array ? Buffer.from(content).toString("utf8") : content;
  }

  readBytes(path: string): Uint8Array | undefined {
    const content = this.contents.get(posix.normalize(path).replace(/^\.\//, ""));
    return typeof content === "string" ? new TextEncoder().encode(content) : content;
  }

  listDir(path: string): string[] {
    const dir = posix.normalize(path).replace(/^\.\/?$/, "").replace(/\/$/, "");
    const prefix = dir === "" || dir === "." ? "" : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.contents.keys()) {
      if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
    }
    return [...names].sort();
  }
}
