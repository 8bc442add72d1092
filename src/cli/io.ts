/** The CLI's I/O: files through the library's helpers (whole or not at all), results to stdout, the rest to stderr. */
export { readTextFile, writeFileAtomic } from "../public/base.js";

/** Results go to stdout; progress and warnings to stderr. */
export const out = (text: string): void => void process.stdout.write(text);
export const err = (text: string): void => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
