import { posix } from "node:path";
import type { FileSource } from "../types.js";

/**
 * A FileSource over files held in memory: for tests, and for library users who already have the text
 * (a lockfile fetched from an API, a file from a git object).
 */
export class MemorySource implements FileSource {
  readonly description: string;
  private readonly contents: Map<string, string>;

  constructor(files: Record<string, string>, description = "memory") {
    this.description = description;
    this.contents = new Map(Object.entries(files).map(([p, t]) => [posix.normalize(p).replace(/^\.\//, ""), t]));
  }

  files(): readonly string[] {
    return [...this.contents.keys()].sort();
  }

  readFile(path: string): string | undefined {
    return this.contents.get(posix.normalize(path).replace(/^\.\//, ""));
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
