import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const REPO = join(import.meta.dirname, "..", "..");
const BUILT = join(REPO, "dist", "cli", "main.js");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the vouch CLI as a user would. `npm test` builds first and sets VOUCH_CLI_DIST=1, so the suite runs the
 * shipped dist/cli/main.js; a developer's `vitest` run uses the TypeScript source through tsx (never a stale build).
 */
export function vouch(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const useDist = process.env.VOUCH_CLI_DIST === "1";
  if (useDist && !existsSync(BUILT)) throw new Error("VOUCH_CLI_DIST=1 but dist/cli/main.js is missing: run npm run build");
  // tsx by absolute path: `--import tsx` resolves from the working directory, which tests may point elsewhere.
  const argv = useDist ? [BUILT, ...args] : ["--import", TSX, join(REPO, "src", "cli", "main.ts"), ...args];
  const r = spawnSync(process.execPath, argv, {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The vouch CLI as a child process without blocking this one: for tests whose services (an OIDC issuer, a mock
 * Sigstore) run in the test process itself, which `vouch()`'s spawnSync would freeze.
 */
export function vouchAsync(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const useDist = process.env.VOUCH_CLI_DIST === "1";
  const argv = useDist ? [BUILT, ...args] : ["--import", TSX, join(REPO, "src", "cli", "main.ts"), ...args];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, {
      cwd: options.cwd ?? REPO,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface RunningVouch {
  /** The URL the server printed ("vouch serving on URL"). */
  url: string;
  process: ChildProcess;
  /** Everything the process wrote so far. */
  output: () => { stdout: string; stderr: string };
  /** Waits (up to 10 s) until stdout matches, and returns the match: for lines printed after the URL. */
  waitForOutput: (pattern: RegExp) => Promise<RegExpExecArray>;
  /** SIGTERM, then wait for the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL: no shutdown at all, as a crash or the OOM killer would. */
  kill: () => Promise<void>;
}

/**
 * Start a long-running vouch verb (serve, log serve, log witness) as a real process, and wait until it prints the
 * URL it listens on. Use `--port 0` to get a free port.
 */
export async function spawnVouch(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunningVouch> {
  const { spawn } = await import("node:child_process");
  const useDist = process.env.VOUCH_CLI_DIST === "1";
  const argv = useDist ? [BUILT, ...args] : ["--import", TSX, join(REPO, "src", "cli", "main.ts"), ...args];
  const child = spawn(process.execPath, argv, {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vouch ${args.join(" ")} did not start in time:\n${stdout}\n${stderr}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const match = /serving on (https?:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vouch ${args.join(" ")} exited with ${code} before serving:\n${stdout}\n${stderr}`));
    });
  });
  return {
    url,
    process: child,
    output: () => ({ stdout, stderr }),
    waitForOutput: async (pattern) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`no output matching ${pattern} in:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
