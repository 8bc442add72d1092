import { readFileSync } from "node:fs";
import { VouchError } from "../core/errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** Asks the user for a secret on the terminal, without echo. */
export type PasswordPrompt = (question: string) => Promise<string>;

/**
 * Where a key password comes from, first match wins:
 *   1. `passwordFile` (--password-file FILE): its first line;
 *   2. VOUCH_PASSWORD in `env`;
 *   3. `prompt`, which the caller passes only when a person is at a terminal.
 * In CI none of these prompts: no file and no variable is an error that says how to provide one.
 */
export interface PasswordSource {
  env?: Env;
  passwordFile?: string;
  prompt?: PasswordPrompt;
  /** Reads the password file (default: node:fs). */
  readFile?: (path: string) => string;
}

export const PASSWORD_ENV = "VOUCH_PASSWORD";

/**
 * The password to decrypt (confirm: false) or to encrypt a new key with (confirm: true: a prompt asks twice).
 * Never empty: an empty password protects nothing, so it is refused rather than silently used.
 */
export async function resolvePassword(source: PasswordSource, purpose: { confirm: boolean }): Promise<string> {
  if (source.passwordFile !== undefined) {
    const text = readPasswordFile(source.passwordFile, source.readFile);
    if (text === "") throw new VouchError("INPUT_USAGE", "the password file is empty", { file: source.passwordFile });
    return text;
  }
  const fromEnv = source.env?.[PASSWORD_ENV];
  if (fromEnv !== undefined) {
    if (fromEnv === "") throw new VouchError("INPUT_USAGE", `${PASSWORD_ENV} is set but empty`);
    return fromEnv;
  }
  if (!source.prompt) {
    throw new VouchError("INPUT_USAGE", `a key password is needed: set ${PASSWORD_ENV} or pass --password-file FILE (no terminal to ask on)`);
  }
  const first = await source.prompt("Enter password for private key: ");
  if (first === "") throw new VouchError("INPUT_USAGE", "empty password");
  if (purpose.confirm) {
    const again = await source.prompt("Enter password for private key again: ");
    if (again !== first) throw new VouchError("INPUT_USAGE", "passwords do not match");
  }
  return first;
}

/** The first line of a password file (a trailing newline is the editor's, not the password's). */
function readPasswordFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
  }
  const newline = text.search(/\r?\n/);
  return newline < 0 ? text : text.slice(0, newline);
}

/**
 * A prompt on the controlling terminal, or undefined when stdin or stderr is not a TTY (CI, pipes): callers then
 * fail with a clear message instead of hanging on a read nobody will answer.
 */
export function terminalPrompt(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): PasswordPrompt | undefined {
  if (!stdin.isTTY || !stderr.isTTY) return undefined;
  return (question) =>
    new Promise<string>((resolve, reject) => {
      let typed = "";
      const wasRaw = stdin.isRaw;
      // Echo off before the question appears: what is typed after it must never show.
      stdin.setRawMode(true);
      stdin.setEncoding("utf8");
      stderr.write(question);
      const finish = (error?: VouchError): void => {
        stdin.off("data", onData);
        stdin.setRawMode(wasRaw);
        stdin.pause();
        stderr.write("\n");
        if (error) reject(error);
        else resolve(typed);
      };
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") return finish();
          if (ch === "\u0003") return finish(new VouchError("INPUT_USAGE", "cancelled"));
          if (ch === "\u0004") {
            if (typed === "") return finish(new VouchError("INPUT_USAGE", "cancelled"));
            continue;
          }
          if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
          else if (ch >= " ") typed += ch;
        }
      };
      stdin.on("data", onData);
      stdin.resume();
    });
}
