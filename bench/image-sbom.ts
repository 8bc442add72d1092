/**
 * Container image SBOMs: vouch reading the image (OCI layout and docker-archive) against trivy (on the unpacked
 * rootfs) and cdxgen (`-t docker` on the docker-archive), in one run.
 *
 *   npx tsx bench/image-sbom.ts [--runs N] [--big-mib M,...]   (N timed runs per tool and image, default 5;
 *                                                               M: sizes of the big file, default 256,1024)
 *
 * Images: debian-app from scripts/setup/images.sh (debootstrap minbase bookworm + jq + an app layer: 90 Debian
 * packages, 3 layers, 50 MB gzipped), and the same image with a fourth layer holding one M MiB file of random bytes
 * that no cataloger wants (bench/lib/image-variant.ts), for each M. Those show whether a tool's memory follows the
 * layers' metadata or their size.
 *
 * Each tool runs once untimed per image (its SBOM is scored against `dpkg-query -W` of the image: recall and
 * precision of the Debian packages, and it warms the page cache), then --runs times round-robin under
 * `/usr/bin/time -f "%e %M"`: medians of wall time and peak RSS (the largest single process: cdxgen's trivy child
 * counts when it is the larger). If vouch cannot read images yet, its rows say why and the peers are still measured.
 *
 * Prints a markdown report (also bench/.work/image-sbom.md, raw samples in image-sbom.json). Needs the images
 * (it runs scripts/setup/images.sh when they are missing) and @cyclonedx/cdxgen from scripts/setup/peers.sh.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  cdxgenCommand,
  cdxPackages,
  compareKeys,
  imagesUnavailable,
  packageKey,
  peerUnavailable,
  peerVersion,
  testImage,
  trivyCommand,
  type CdxBom,
  type TestImage,
} from "../test/support/images.js";
import { imageWithBigFile, type ImageForms } from "./lib/image-variant.js";
import { cleanEnv, machineInfo, median, run, timeCommand, type Command, type Sample } from "./lib/measure.js";
import { ensureVouchBuilt, gitDescription } from "./lib/vouch-build.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work/image-sbom");
const OUT = join(WORK, "out");
const VOUCH_CLI = join(REPO, "dist/cli/main.js");

interface Target {
  id: string;
  label: string;
  forms: ImageForms;
  /** The layers: how many, their sum as stored (gzip) and uncompressed. */
  layerBytes: { count: number; gzip: number; tar: number };
}

interface Tool {
  id: string;
  label: string;
  version: string;
  /** What the tool reads, for the table. */
  input: string;
  command(target: Target, outFile: string): Command;
}

interface Row {
  tool: Tool;
  target: Target;
  /** Why the tool could not run on this image (then no samples). */
  unavailable?: string;
  samples: Sample[];
  debs?: { listed: number; recall: number; precision: number; onlyTool: string[]; missed: string[] };
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function parseOptions(): { runs: number; bigMiB: number[] } {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, "big-mib": { type: "string", default: "256,1024" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log("usage: npx tsx bench/image-sbom.ts [--runs N] [--big-mib M,...]");
    process.exit(0);
  }
  const runs = Number(values.runs);
  const bigMiB = values["big-mib"].split(",").map(Number);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a positive whole number, not "${values.runs}"`);
  if (bigMiB.some((m) => !Number.isInteger(m) || m < 1)) throw new Error(`--big-mib takes positive whole numbers, not "${values["big-mib"]}"`);
  return { runs, bigMiB };
}

function ensureImages(): TestImage {
  if (imagesUnavailable() !== undefined) {
    log("building the test images: bash scripts/setup/images.sh");
    run({ cmd: "bash", args: ["scripts/setup/images.sh"], cwd: REPO }, "scripts/setup/images.sh");
  }
  const why = imagesUnavailable();
  if (why !== undefined) throw new Error(why);
  return testImage("debian-app");
}

function layerBytes(ociDir: string): { count: number; gzip: number; tar: number } {
  const index = JSON.parse(readFileSync(join(ociDir, "index.json"), "utf8"));
  const blob = (d: string): string => join(ociDir, "blobs", ...d.split(":"));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), "utf8"));
  let gzip = 0;
  let tar = 0;
  for (const l of manifest.layers as { digest: string; size: number }[]) {
    gzip += l.size;
    // gzip's trailer holds the uncompressed size mod 2^32; the layers here are all under 4 GiB.
    const trailer = Buffer.alloc(4);
    const fd = openSync(blob(l.digest), "r");
    readSync(fd, trailer, 0, 4, l.size - 4);
    closeSync(fd);
    tar += trailer.readUInt32LE(0);
  }
  return { count: manifest.layers.length, gzip, tar };
}

function tools(): Tool[] {
  const vouchVersion = existsSync(VOUCH_CLI) ? run({ cmd: process.execPath, args: [VOUCH_CLI, "--version"], cwd: REPO }, "vouch --version").stdout.trim() : "?";
  const vouch = (id: string, form: "oci-dir" | "docker-archive"): Tool => ({
    id,
    label: `vouch (${form})`,
    version: `${vouchVersion} (${gitDescription(REPO)})`,
    input: form === "oci-dir" ? "OCI layout (gzip layers)" : "docker-archive tar",
    command: (t, outFile) => ({
      cmd: process.execPath,
      args: [VOUCH_CLI, "sbom", form === "oci-dir" ? `oci-dir:${t.forms.ociDir}` : `docker-archive:${t.forms.dockerArchive}`, "-o", "cyclonedx-json", "--file", outFile],
      cwd: REPO,
      env: cleanEnv(),
    }),
  });
  return [
    vouch("vouch-oci", "oci-dir"),
    vouch("vouch-docker", "docker-archive"),
    {
      id: "trivy",
      label: "trivy rootfs",
      version: peerVersion("trivy"),
      input: "unpacked rootfs",
      command: (t, outFile) => trivyCommand(t.forms.rootfs, outFile, join(WORK, "trivy-cache")),
    },
    {
      id: "cdxgen",
      label: "cdxgen -t docker",
      version: peerVersion("cdxgen"),
      input: "docker-archive tar",
      command: (t, outFile) => cdxgenCommand(t.forms.dockerArchive, outFile),
    },
  ];
}

function cleanup(command: Command): void {
  const tmp = command.env?.CDXGEN_TEMP_DIR;
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
}

/** The untimed run: the SBOM is scored against dpkg-query; a tool that fails is marked unavailable with its error. */
function scoreRun(row: Row, truth: string[]): void {
  const outFile = join(OUT, `${row.tool.id}-${row.target.id}.cdx.json`);
  rmSync(outFile, { force: true });
  const command = row.tool.command(row.target, outFile);
  const r = spawnSync(command.cmd, command.args, { cwd: command.cwd, env: command.env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  cleanup(command);
  if (r.error !== undefined || r.status !== 0 || !existsSync(outFile)) {
    const why = (r.error?.message ?? `${r.stderr}\n${r.stdout}`.trim().split("\n").find((l) => l.trim() !== "") ?? `exit ${r.status}`).slice(0, 200);
    row.unavailable = why;
    log(`${row.tool.label} on ${row.target.label}: cannot run (${why})`);
    return;
  }
  const bom = JSON.parse(readFileSync(outFile, "utf8")) as CdxBom;
  const listed = cdxPackages(bom).filter((p) => p.type === "deb");
  // The tool in compareKeys' "vouch" seat, the truth in the peer's: recall = common / truth, precision = common / tool.
  const cmp = compareKeys(listed.map(packageKey), truth);
  row.debs = { listed: new Set(listed.map(packageKey)).size, recall: cmp.recall, precision: cmp.precision, onlyTool: cmp.onlyVouch, missed: cmp.onlyPeer };
  log(`${row.tool.label} on ${row.target.label}: ${row.debs.listed} Debian packages, recall ${pct(row.debs.recall)}, precision ${pct(row.debs.precision)}`);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`;
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function report(rows: Row[], targets: Target[], runs: number, truthCount: number): string {
  const m = machineInfo();
  const lines = [
    `Machine: ${m.cpuModel}, ${m.nproc} cores, ${m.memory} RAM, ${m.os}, Node ${m.node}. Date: ${m.date}. Load average at start: ${loadavg()[0]!.toFixed(2)}.`,
    "",
    "Images (scripts/setup/images.sh, bench/lib/image-variant.ts):",
    "",
    "| image | layers | layers gzip MB | layers tar MB | Debian packages (dpkg-query) |",
    "|---|--:|--:|--:|--:|",
    ...targets.map((t) => `| ${t.label} | ${t.layerBytes.count} | ${mb(t.layerBytes.gzip)} | ${mb(t.layerBytes.tar)} | ${truthCount} |`),
    "",
    `Wall time and peak RSS, medians of ${runs} runs (round-robin; min–max wall in brackets), and the Debian packages each SBOM lists scored against dpkg-query:`,
    "",
    "| tool | reads | image | wall s | peak RSS MiB | Debian packages | recall | precision |",
    "|---|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows) {
    if (r.unavailable !== undefined) {
      lines.push(`| ${r.tool.label} | ${r.tool.input} | ${r.target.label} | n/a | n/a | — | — | — |`);
      continue;
    }
    const walls = r.samples.map((s) => s.wallSeconds);
    lines.push(
      `| ${r.tool.label} | ${r.tool.input} | ${r.target.label} | ${median(walls).toFixed(2)} (${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}) | ` +
        `${mib(median(r.samples.map((s) => s.peakRssKiB)))} | ${r.debs?.listed ?? "?"} | ${r.debs ? pct(r.debs.recall) : "?"} | ${r.debs ? pct(r.debs.precision) : "?"} |`,
    );
  }
  const notes = rows.filter((r) => r.unavailable !== undefined).map((r) => `- ${r.tool.label} on ${r.target.label}: could not run: \`${r.unavailable}\``);
  const diffs = rows
    .filter((r) => r.debs && (r.debs.onlyTool.length > 0 || r.debs.missed.length > 0) && r.target.id === "base")
    .map((r) => `- ${r.tool.label}: ${r.debs!.onlyTool.length} not in dpkg-query (${r.debs!.onlyTool.slice(0, 6).join(", ")}${r.debs!.onlyTool.length > 6 ? ", …" : ""}), ${r.debs!.missed.length} missed`);
  const versions = [...new Map(rows.map((r) => [r.tool.id, `- ${r.tool.label}: ${r.tool.version}`])).values()];
  return [...lines, "", "Versions:", "", ...versions, ...(notes.length ? ["", ...notes] : []), ...(diffs.length ? ["", "Differences from dpkg-query:", "", ...diffs] : [])].join("\n");
}

async function main(): Promise<void> {
  const { runs, bigMiB } = parseOptions();
  mkdirSync(OUT, { recursive: true });
  const image = ensureImages();
  for (const peer of ["trivy", "cdxgen"] as const) {
    const why = peerUnavailable(peer);
    if (why !== undefined) throw new Error(why);
  }
  try {
    ensureVouchBuilt(REPO, ["dist/cli/main.js"], log);
  } catch (err) {
    log(`vouch could not be built: ${(err as Error).message.split("\n")[0]}`);
  }
  const baseForms: ImageForms = { ociDir: image.ociDir, ociArchive: image.ociArchive, dockerArchive: image.dockerArchive, rootfs: image.rootfs };
  const targets: Target[] = [{ id: "base", label: "debian-app", forms: baseForms, layerBytes: layerBytes(image.ociDir) }];
  for (const size of bigMiB) {
    const forms = await imageWithBigFile(image, join(WORK, `bigfile-${size}`), size * 2 ** 20, log);
    targets.push({ id: `big${size}`, label: `debian-app + ${size} MiB file`, forms, layerBytes: layerBytes(forms.ociDir) });
  }
  const truth = image.dpkg.map((d) => packageKey({ type: "deb", name: d.name, version: d.version }));
  const rows: Row[] = [];
  for (const target of targets) for (const tool of tools()) rows.push({ tool, target, samples: [] });
  for (const row of rows) scoreRun(row, truth);
  for (let i = 1; i <= runs; i++) {
    for (const row of rows) {
      if (row.unavailable !== undefined) continue;
      const outFile = join(OUT, `${row.tool.id}-${row.target.id}.timed.cdx.json`);
      const command = row.tool.command(row.target, outFile);
      try {
        row.samples.push(timeCommand(command, `${row.tool.label} on ${row.target.label}`));
      } finally {
        cleanup(command);
      }
      const s = row.samples.at(-1)!;
      log(`run ${i}/${runs} ${row.tool.label} on ${row.target.label}: ${s.wallSeconds.toFixed(2)} s, ${mib(s.peakRssKiB)} MiB`);
    }
  }
  const md = report(rows, targets, runs, truth.length);
  writeFileSync(join(WORK, "..", "image-sbom.md"), `${md}\n`);
  writeFileSync(
    join(WORK, "..", "image-sbom.json"),
    JSON.stringify(
      rows.map((r) => ({ tool: r.tool.id, version: r.tool.version, image: r.target.label, unavailable: r.unavailable, debs: r.debs, samples: r.samples })),
      null,
      2,
    ),
  );
  console.log(md);
}

await main();
