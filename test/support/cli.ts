import { spawnSync } from "node:child_process";
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
