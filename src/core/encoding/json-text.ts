import { lineOfOffset, VouchError } from "../errors.js";

/**
 * JSON text helpers for every JSON reader (lockfiles, SBOMs): parse with a line number on syntax errors, and find where a value sits
 * in the text so that "packages[3].checksums is not an array" can point at a line.
 *
 * JSON.parse does all the real parsing; the small scanner here only runs on the error path (one pass per call),
 * so reading a well-formed SBOM costs nothing extra.
 */

/** A path into a JSON document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** "packages[3].versionInfo": how warnings and errors name a field. */
export function formatJsonPath(path: JsonPath): string {
  let out = "";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : out === "" ? step : `.${step}`;
  return out === "" ? "(document)" : out;
}

/**
 * Parse JSON text; a syntax error becomes INPUT_MALFORMED with the 1-based line where the text went wrong.
 * `file` names the file in the error when the caller knows it (catalogers leave that to the catalog).
 */
export function parseJsonText(text: string, file?: string): unknown {
  // A UTF-8 byte order mark is legal at the start of a file but not in JSON text; editors on Windows add it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const offset = errorOffset(reason, body) + (body === text ? 0 : 1);
    // V8 quotes the text around the error, newlines and all: an error is one line on stderr.
    throw new VouchError("INPUT_MALFORMED", `not valid JSON: ${reason.replace(/\s+/g, " ")}`, {
      file,
      line: lineOfOffset(text, offset),
      cause: error,
    });
  }
}

/** V8 names the position in most messages ("at position 95877"); for the rest, find it by scanning. */
function errorOffset(message: string, text: string): number {
  const match = /at position (\d+)/.exec(message);
  if (match) return Number(match[1]);
  return firstSyntaxErrorOffset(text) ?? text.length;
}

/** Offset of the value at `path` in the JSON text, or undefined when the path is not there. */
export function locateJsonPath(text: string, path: JsonPath): number | undefined {
  try {
    const scanner = new Scanner(text);
    return scanner.locate(path);
  } catch {
    return undefined;
  }
}

/**
 * Offsets of the values at several paths, in one pass over the text: the scanner descends only into values that
 * lead to a wanted path and skips the rest (for the warnings of a large file, one scan instead of one each).
 */
export function locateJsonPaths(text: string, paths: readonly JsonPath[]): (number | undefined)[] {
  const root = new PathTrie();
  paths.forEach((path, i) => root.add(path, i));
  const found: (number | undefined)[] = paths.map(() => undefined);
  try {
    const scanner = new Scanner(text);
    scanner.skipWhitespace();
    scanner.visit(root, found);
  } catch {
    // A document JSON.parse accepted scans cleanly; anything else leaves the rest undefined.
  }
  return found;
}

class PathTrie {
  readonly children = new Map<string | number, PathTrie>();
  readonly targets: number[] = [];

  add(path: JsonPath, index: number, depth = 0): void {
    if (depth === path.length) {
      this.targets.push(index);
      return;
    }
    const step = path[depth]!;
    let child = this.children.get(step);
    if (!child) this.children.set(step, (child = new PathTrie()));
    child.add(path, index, depth + 1);
  }
}

/** 1-based line of the value at `path`, when it can be found. */
export function lineOfJsonPath(text: string, path: JsonPath): number | undefined {
  const offset = locateJsonPath(text, path);
  return offset === undefined ? undefined : lineOfOffset(text, offset);
}

/** Offset of the first syntax error, or undefined when the text is valid JSON. */
export function firstSyntaxErrorOffset(text: string): number | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipWhitespace();
    scanner.skipValue();
    scanner.skipWhitespace();
    return scanner.atEnd() ? undefined : scanner.position;
  } catch (error) {
    // Anything but a ScanError is the scanner giving up (nesting deeper than the stack): no position then.
    return error instanceof ScanError ? error.offset : undefined;
  }
}

/** A JSON number, matched in place (sticky) so that no substring is copied. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class ScanError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}

/** A validating JSON scanner that skips values without building them. */
class Scanner {
  position: number;

  constructor(private readonly text: string) {
    // Offsets stay those of the text as given: a byte order mark is stepped over, not removed.
    this.position = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  locate(path: JsonPath): number | undefined {
    this.skipWhitespace();
    for (const step of path) {
      const found = typeof step === "number" ? this.enterIndex(step) : this.enterKey(step);
      if (!found) return undefined;
      this.skipWhitespace();
    }
    return this.position;
  }

  /** Record the offset of every target of `node` at the current value, then walk into the children wanted. */
  visit(node: PathTrie, found: (number | undefined)[]): void {
    for (const target of node.targets) found[target] = this.position;
    const c = this.text[this.position];
    if (node.children.size === 0 || (c !== "{" && c !== "[")) {
      this.skipValue();
      return;
    }
    const isObject = c === "{";
    const close = isObject ? "}" : "]";
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === close) {
      this.position++;
      return;
    }
    for (let index = 0; ; index++) {
      let step: string | number = index;
      if (isObject) {
        step = this.readString();
        this.skipWhitespace();
        this.expect(":");
        this.skipWhitespace();
      }
      const child = node.children.get(step);
      if (child) this.visit(child, found);
      else this.skipValue();
      this.skipWhitespace();
      if (this.text[this.position] === close) {
        this.position++;
        return;
      }
      this.expect(",");
      this.skipWhitespace();
    }
  }

  skipWhitespace(): void {
    const t = this.text;
    while (this.position < t.length) {
      const c = t.charCodeAt(this.position);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.position++;
    }
  }

  skipValue(): void {
    const c = this.text[this.position];
    if (c === "{") this.skipObject();
    else if (c === "[") this.skipArray();
    else if (c === '"') this.skipString();
    else if (c === "t") this.expectWord("true");
    else if (c === "f") this.expectWord("false");
    else if (c === "n") this.expectWord("null");
    else this.skipNumber();
  }

  /** Positions the scanner at the value of `key` in the object at the current position. */
  private enterKey(key: string): boolean {
    if (this.text[this.position] !== "{") return false;
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "}") return false;
    for (;;) {
      const name = this.readString();
      this.skipWhitespace();
      this.expect(":");
      this.skipWhitespace();
      if (name === key) return true;
      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.position] === "}") return false;
      this.expect(",");
      this.skipWhitespace();
    }
  }

  /** Positions the scanner at element `index` of the array at the current position. */
  private enterIndex(index: number): boolean {
    if (this.text[this.position] !== "[") return false;
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "]") return false;
    for (let i = 0; ; i++) {
      if (i === index) return true;
      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.position] === "]") return false;
      this.expect(",");
      this.skipWhitespace();
    }
  }

  private skipObject(): void {
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      this.skipString();
      this.skipWhitespace();
      this.expect(":");
      this.skipWhitespace();
      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.position] === "}") {
        this.position++;
        return;
      }
      this.expect(",");
    }
  }

  private skipArray(): void {
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.position] === "]") {
        this.position++;
        return;
      }
      this.expect(",");
    }
  }

  private readString(): string {
    const start = this.position;
    this.skipString();
    return JSON.parse(this.text.slice(start, this.position)) as string;
  }

  private skipString(): void {
    const t = this.text;
    if (t[this.position] !== '"') throw new ScanError(this.position);
    let i = this.position + 1;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.position = i + 1;
        return;
      }
      if (c < 0x20) throw new ScanError(i);
      i += c === 0x5c ? 2 : 1;
    }
    throw new ScanError(t.length);
  }

  private skipNumber(): void {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) throw new ScanError(this.position);
    this.position += match[0].length;
  }

  private expectWord(word: string): void {
    if (!this.text.startsWith(word, this.position)) throw new ScanError(this.position);
    this.position += word.length;
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) throw new ScanError(this.position);
    this.position++;
  }
}
