import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Running commands, timing them with GNU time, and describing the machine: shared by the bench scripts. */

export interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export interface Sample {
  /** Wall-clock seconds as GNU time's %e reports them (10 ms resolution). */
  wallSeconds: number;
  /**
   * GNU time's %M: the peak resident set of the largest single process in the tree, in KiB (not a sum: a
   * tool that spawns `npm ls` is charged the larger of the two).
   */
  peakRssKiB: number;
}

/**
 * The environment every child runs in. `npx tsx` leaves npm_* variables behind (npm_config_local_prefix
 * points at the vouch repo, npm_package_json at vouch's manifest) that would make an `npm ls` run by a peer
 * look at the wrong project, so they are all dropped; NODE_OPTIONS is dropped so no tool loads tsx's hooks.
 * The bench's own Node goes first on PATH so every tool, and the npm they spawn, runs on the same Node.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toLowerCase().startsWith("npm_") || key === "NODE_OPTIONS") continue;
    env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return { ...env, ...extra };
}

/** Run a command to completion; throw with the tail of its output when it fails. */
export function run(command: Command, what: string): { stdout: string; stderr: string } {
  const result = spawnSync(command.cmd, command.args, {
    cwd: command.cwd,
    env: command.env ?? cleanEnv(),
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`${what} exited with ${result.status ?? result.signal}:\n${tail}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Run a command under `/usr/bin/time -f "%e %M"`; its report goes to a file so the tool's stderr stays its own. */
export function timeCommand(command: Command, what: string): Sample {
  const dir = mkdtempSync(join(tmpdir(), "vouch-bench-time-"));
  const report = join(dir, "time.txt");
  try {
    run({ ...command, cmd: "/usr/bin/time", args: ["-o", report, "-f", "%e %M", command.cmd, ...command.args] }, what);
    // GNU time prefixes "Command exited with non-zero status N" on failure; the numbers are the last line.
    const last = readFileSync(report, "utf8").trim().split("\n").at(-1) ?? "";
    const [wall, rss] = last.split(" ").map(Number);
    if (wall === undefined || rss === undefined || Number.isNaN(wall) || Number.isNaN(rss)) {
      throw new Error(`${what}: unexpected /usr/bin/time report "${last}"`);
    }
    return { wallSeconds: wall, peakRssKiB: rss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface MachineInfo {
  date: string;
  cpuModel: string;
  nproc: string;
  memory: string;
  node: string;
  npm: string;
  os: string;
}

/** What the results table needs to say about where it was measured (`nproc`, `free -h`, /proc/cpuinfo). */
export function machineInfo(): MachineInfo {
  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: "utf8", env: cleanEnv() });
    return r.status === 0 ? r.stdout.trim() : "unknown";
  };
  const cpuinfo = safeRead("/proc/cpuinfo");
  const modelLine = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  const memLine = sh("free", ["-h"]).split("\n").find((l) => l.startsWith("Mem:")) ?? "";
  return {
    date: new Date().toISOString().slice(0, 10),
    cpuModel: modelLine?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown",
    nproc: sh("nproc", []),
    memory: memLine.split(/\s+/)[1] ?? "unknown",
    node: process.version,
    npm: sh("npm", ["--version"]),
    os: sh("uname", ["-sr"]),
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
