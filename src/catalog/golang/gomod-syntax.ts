import { VouchError } from "../../core/errors.js";

/**
 * The line grammar of go.mod (golang.org/x/mod/modfile): one directive per line, `verb args... // comment`,
 * or a block `verb (` ... `)` whose lines each hold the arguments of one `verb` directive. Arguments are
 * bare words or Go-quoted strings ("..." or `...`); `//` starts a comment anywhere outside a quoted string.
 * This module only splits the text into directives; what each verb means is parse-go-mod.ts's business.
 */

export interface GoModDirective {
  verb: string;
  /** Arguments with quotes removed. */
  args: string[];
  /** Text of the trailing `//` comment without the slashes, trimmed; "" when there is none. */
  comment: string;
  /** 1-based line of the directive (of the block entry, for block forms). */
  line: number;
}

interface Token {
  text: string;
  /** A quoted string: never punctuation, whatever it spells. */
  quoted: boolean;
}

interface LexedLine {
  tokens: Token[];
  comment: string;
}

/** Split go.mod text into directives. Throws INPUT_MALFORMED on an unbalanced block or an unterminated string. */
export function parseGoModDirectives(text: string): GoModDirective[] {
  const directives: GoModDirective[] = [];
  const lines = text.split(/\r?\n/);
  let block: { verb: string; line: number } | undefined;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const { tokens, comment } = lexLine(lines[i]!, lineNo);
    if (tokens.length === 0) continue;

    if (block) {
      if (isPunct(tokens[0]!, ")")) {
        if (tokens.length > 1) throw malformed(`unexpected text after ")"`, lineNo);
        block = undefined;
        continue;
      }
      if (tokens.some((t) => isPunct(t, "(") || isPunct(t, ")"))) throw malformed(`nested block in "${block.verb} ("`, lineNo);
      directives.push({ verb: block.verb, args: tokens.map((t) => t.text), comment, line: lineNo });
      continue;
    }

    if (isPunct(tokens[0]!, ")")) throw malformed(`")" without an opening "("`, lineNo);
    const verb = tokens[0]!.text;
    const rest = tokens.slice(1);
    if (rest.length >= 1 && isPunct(rest[0]!, "(")) {
      // `verb (` opens a block; `verb ()` is an empty one.
      if (rest.length === 2 && isPunct(rest[1]!, ")")) continue;
      if (rest.length > 1) throw malformed(`unexpected text after "${verb} ("`, lineNo);
      block = { verb, line: lineNo };
      continue;
    }
    if (rest.some((t) => isPunct(t, "(") || isPunct(t, ")"))) throw malformed(`unexpected parenthesis in "${verb}" directive`, lineNo);
    directives.push({ verb, args: rest.map((t) => t.text), comment, line: lineNo });
  }

  if (block) throw malformed(`"${block.verb} (" block is never closed`, block.line);
  return directives;
}

function isPunct(token: Token, punct: string): boolean {
  return !token.quoted && token.text === punct;
}

/** modfile's identifier characters: printable, not space, not one of its punctuation marks. */
function isWordChar(ch: string): boolean {
  return !/[\s()[\]{},"`]/.test(ch);
}

function lexLine(line: string, lineNo: number): LexedLine {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (line.startsWith("//", i)) {
      return { tokens, comment: line.slice(i + 2).trim() };
    } else if (ch === "(" || ch === ")") {
      tokens.push({ text: ch, quoted: false });
      i++;
    } else if (ch === '"') {
      const end = interpretedStringEnd(line, i);
      if (end < 0) throw malformed("unterminated quoted string", lineNo);
      tokens.push({ text: unquoteInterpreted(line.slice(i, end + 1), lineNo), quoted: true });
      i = end + 1;
    } else if (ch === "`") {
      const end = line.indexOf("`", i + 1);
      if (end < 0) throw malformed("unterminated raw string", lineNo);
      tokens.push({ text: line.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else {
      // A word ends at whitespace, punctuation, a quote, or a `//` comment (modfile breaks words there too).
      const start = i;
      while (i < line.length && isWordChar(line[i]!) && !line.startsWith("//", i)) i++;
      if (i === start) {
        // [ ] { } , only appear in retract ranges; keep them as one-character words.
        i++;
      }
      tokens.push({ text: line.slice(start, i), quoted: false });
    }
  }
  return { tokens, comment: "" };
}

/** Index of the closing quote of a Go interpreted string starting at `start`, or -1. */
function interpretedStringEnd(line: string, start: number): number {
  for (let i = start + 1; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

/** Go's interpreted-string escapes that module paths can contain are JSON's too (\" \\ \t \n \uXXXX). */
function unquoteInterpreted(quoted: string, lineNo: number): string {
  try {
    const value: unknown = JSON.parse(quoted);
    if (typeof value === "string") return value;
  } catch {
    // fall through
  }
  throw malformed(`invalid quoted string ${quoted}`, lineNo);
}

function malformed(reason: string, line: number): VouchError {
  return new VouchError("INPUT_MALFORMED", reason, { line });
}
