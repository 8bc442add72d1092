import { readFileSync } from "node:fs";
import { VouchError } from "../core/errors.js";

/** Read a user-named text file; a missing or unreadable file is an input error naming it (exit 2, one line). */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file });
  }
}
