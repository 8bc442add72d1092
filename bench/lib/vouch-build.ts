import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./measure.js";

/** Newest modification time of any file under `dir` (to tell whether dist/ is older than src/). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `npm run build` when any of `outputs` (files under dist/) is missing or older than src/. tsc still emits when
 * another engineer's work in progress has a type error, so a failed build is reported through `log` and the bench
 * goes on with what was emitted, as long as the outputs exist.
 */
export function ensureVouchBuilt(repo: string, outputs: readonly string[], log: (message: string) => void): void {
  const srcMtime = newestMtime(join(repo, "src"));
  if (outputs.every((f) => existsSync(join(repo, f)) && statSync(join(repo, f)).mtimeMs >= srcMtime)) return;
  log("dist/ is missing or older than src/: npm run build");
  try {
    run({ cmd: "npm", args: ["run", "build"], cwd: repo }, "npm run build");
  } catch (err) {
    if (!outputs.every((f) => existsSync(join(repo, f)))) throw err;
    log(`WARNING: the build reported errors; benchmarking what tsc emitted anyway:\n${(err as Error).message}`);
  }
}

/** The commit, and whether src/ has changes not committed yet (the numbers then describe a work in progress). */
export function gitDescription(repo: string): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repo, encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: repo, encoding: "utf8" }).stdout.trim() !== "";
  return `${head || "unknown"}${dirty ? "+uncommitted src" : ""}`;
}

/**
 * Compiles src/ into `outDir` (tsc -p tsconfig.build.json --outDir) when it is missing or older than src/, for a
 * bench that must not race other work rebuilding dist/. tsc emits despite type errors (someone else's work in
 * progress): the bench goes on when every `required` file (relative to outDir) was emitted.
 */
export function compileVouchInto(repo: string, outDir: string, required: readonly string[], log: (message: string) => void): void {
  const stamp = join(outDir, ".built");
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(join(repo, "src"))) return;
  log(`compiling src/ into ${outDir}`);
  const r = spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", outDir], { cwd: repo, encoding: "utf8" });
  if (r.status !== 0) log(`WARNING: tsc reported errors; benchmarking what it emitted:\n${r.stdout.slice(-1500)}`);
  const missing = required.filter((f) => !existsSync(join(outDir, f)));
  if (missing.length > 0) throw new Error(`tsc emitted no ${missing.join(", ")}`);
  writeFileSync(stamp, new Date().toISOString());
}
