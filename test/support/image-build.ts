/**
 * Writes real container images from filesystem snapshots, the way a Docker build would: each layer is the difference
 * between two snapshots of the root filesystem (added and changed entries, whiteouts for deleted ones, an opaque
 * whiteout for a directory whose lower contents all went away), as a PAX tar made by GNU tar, gzipped for the OCI
 * layout and left plain for docker-archive. Then the image config (rootfs diff_ids, history with created_by and
 * empty_layer entries), the manifest, index.json, an oci-archive tar and a docker-archive tar (docker save's
 * manifest.json / repositories / <id>/layer.tar form).
 *
 *   npx tsx test/support/image-build.ts WORK OUT      (run by scripts/setup/images.sh, which makes WORK)
 *
 * WORK/<image>/l1, l2, ... are the snapshots after each filesystem step and l<N>.dpkg.tsv the `dpkg-query -W` of each;
 * OUT/<image>/ receives rootfs/ (the last snapshot), oci/, oci-archive.tar, docker-archive.tar, dpkg-query.tsv,
 * dpkg-source.tsv and image.json (the ImageInfo that test/support/images.ts reads). The bench reuses `appendLayer` to make a variant with
 * a big unwanted file.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** One history step of an image recipe: a filesystem snapshot (a layer) or a config-only instruction. */
export type Step = { snapshot: string; createdBy: string; comment?: string } | { emptyLayer: string };

export interface Recipe {
  name: string;
  repository: string;
  tag: string;
  steps: Step[];
  config: { Env?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string; Labels?: Record<string, string> };
  /** The first `layers` layers form a base image; its manifest is written too and named in the annotations. */
  base?: { layers: number; name: string };
}

export interface LayerInfo {
  /** sha256 of the gzipped layer (the OCI manifest's layer digest). */
  digest: string;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids, docker-archive). */
  diffId: string;
  size: number;
  createdBy: string;
  /** History index of the step that made this layer. */
  historyIndex: number;
  /** Entries in the tar: added or changed paths, whiteouts, opaque markers. */
  entries: number;
  whiteouts: string[];
  opaque: string[];
}

/** What test/support/images.ts reads from OUT/<image>/image.json (paths relative to that folder). */
export interface ImageInfo {
  name: string;
  reference: string;
  repository: string;
  tag: string;
  manifestDigest: string;
  configDigest: string;
  platform: { os: string; architecture: string };
  layers: LayerInfo[];
  base?: { name: string; manifestDigest: string };
  /** For each dpkg package (name), the index of the layer whose status first listed it at its final version. */
  dpkgLayer: Record<string, number>;
  /** Packages a layer removed from the dpkg database (name -> layer index). */
  dpkgRemoved: Record<string, number>;
  paths: { rootfs: string; ociDir: string; ociArchive: string; dockerArchive: string; dpkgQuery: string; dpkgSource: string };
}

export const RECIPES: Recipe[] = [
  {
    name: "debian-app",
    repository: "vouch-test/debian-app",
    tag: "1",
    steps: [
      { snapshot: "l1", createdBy: "/bin/sh -c #(nop) ADD file:debootstrap-minbase-bookworm in / " },
      { emptyLayer: '/bin/sh -c #(nop)  CMD ["bash"]' },
      {
        snapshot: "l2",
        createdBy:
          "RUN /bin/sh -c apt-get install -y --no-install-recommends jq && apt-get purge -y e2fsprogs && rm -rf /usr/share/man/* /usr/share/info/* # buildkit",
      },
      { emptyLayer: "ENV NODE_ENV=production" },
      { emptyLayer: "WORKDIR /app" },
      { snapshot: "l3", createdBy: "COPY app/ /app/ # buildkit" },
      { emptyLayer: 'CMD ["node" "/app/index.js"]' },
    ],
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production"],
      Cmd: ["node", "/app/index.js"],
      WorkingDir: "/app",
      Labels: { "org.opencontainers.image.title": "vouch test app" },
    },
    base: { layers: 1, name: "vouch-test/debian-minbase:bookworm" },
  },
  {
    name: "distroless",
    repository: "vouch-test/distroless",
    tag: "1",
    steps: [{ snapshot: "l1", createdBy: "bazel build //base:base_debian12 (dpkg-deb -x + status.d records)", comment: "distroless-style" }],
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], User: "65532" },
  },
];

// A fixed creation time keeps configs (and so digests) stable across rebuilds of the same snapshots.
const CREATED = "2025-05-20T00:00:00Z";

interface Node {
  stat: Stats;
  target?: string;
}

/** Every entry under `root` (relative POSIX paths, "" excluded), by lstat: nothing is followed. */
export function walk(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const stat = lstatSync(join(root, path));
      out.set(path, stat.isSymbolicLink() ? { stat, target: readlinkSync(join(root, path)) } : { stat });
      if (stat.isDirectory()) visit(path);
    }
  };
  visit("");
  return out;
}

function sameContent(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

function sameEntry(lowerRoot: string, upperRoot: string, path: string, lower: Node, upper: Node): boolean {
  const l = lower.stat;
  const u = upper.stat;
  if ((l.mode & 0o170000) !== (u.mode & 0o170000)) return false;
  if (l.mode !== u.mode || l.uid !== u.uid || l.gid !== u.gid) return false;
  if (u.isDirectory()) return l.mtimeMs === u.mtimeMs;
  if (u.isSymbolicLink()) return lower.target === upper.target;
  if (u.isCharacterDevice() || u.isBlockDevice()) return l.rdev === u.rdev;
  if (!u.isFile()) return true;
  if (l.size !== u.size || l.mtimeMs !== u.mtimeMs) return false;
  return sameContent(join(lowerRoot, path), join(upperRoot, path));
}

export interface LayerDiff {
  /** Added or changed entries of the upper snapshot, parents before children. */
  changed: string[];
  /** Topmost deleted paths (a deleted directory's children need no whiteout of their own). */
  whiteouts: string[];
  /** Directories kept in the upper snapshot whose lower children were all deleted. */
  opaque: string[];
}

/** The layer that turns snapshot `lowerRoot` (undefined: nothing) into `upperRoot`. */
export function diffSnapshots(lowerRoot: string | undefined, upperRoot: string): LayerDiff {
  const upper = walk(upperRoot);
  const lower = lowerRoot === undefined ? new Map<string, Node>() : walk(lowerRoot);
  const changed: string[] = [];
  for (const [path, node] of upper) {
    const before = lower.get(path);
    if (before === undefined || lowerRoot === undefined || !sameEntry(lowerRoot, upperRoot, path, before, node)) changed.push(path);
  }
  const deleted = [...lower.keys()].filter((p) => !upper.has(p) || (lower.get(p)!.stat.isDirectory() && !upper.get(p)!.stat.isDirectory()));
  const deletedSet = new Set(deleted);
  const parentOf = (p: string): string => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
  const topmost = deleted.filter((p) => !deletedSet.has(parentOf(p)));
  // A directory that survives but lost every lower child gets one opaque marker instead of a whiteout per child.
  const lowerChildren = new Map<string, string[]>();
  for (const p of lower.keys()) {
    const parent = parentOf(p);
    if (parent !== "") lowerChildren.set(parent, [...(lowerChildren.get(parent) ?? []), p]);
  }
  const opaque: string[] = [];
  for (const [dir, children] of lowerChildren) {
    if (!upper.get(dir)?.stat.isDirectory() || !lower.get(dir)?.stat.isDirectory()) continue;
    if (children.length > 1 && children.every((c) => deletedSet.has(c))) opaque.push(dir);
  }
  const opaqueSet = new Set(opaque);
  const whiteouts = topmost.filter((p) => !opaqueSet.has(parentOf(p)));
  const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return { changed: changed.sort(byPath), whiteouts: whiteouts.sort(byPath), opaque: opaque.sort(byPath) };
}

function sh(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal}: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Write the layer tar for `diff` (entries from `upperRoot`, whiteout markers from a scratch folder) with GNU tar in
 * PAX format, numeric owners, no atime/ctime records. Returns the number of entries.
 */
export function writeLayerTar(upperRoot: string, diff: LayerDiff, tarPath: string, scratch: string): number {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const markers: string[] = [];
  for (const p of diff.whiteouts) {
    const slash = p.lastIndexOf("/");
    markers.push(slash < 0 ? `.wh.${p}` : `${p.slice(0, slash)}/.wh.${p.slice(slash + 1)}`);
  }
  for (const d of diff.opaque) markers.push(`${d}/.wh..wh..opq`);
  for (const m of markers) {
    mkdirSync(join(scratch, dirname(m)), { recursive: true });
    writeFileSync(join(scratch, m), "", { mode: 0o644 });
  }
  const entriesList = join(scratch, "..", `${tarPath.split("/").pop()}.entries`);
  const markersList = join(scratch, "..", `${tarPath.split("/").pop()}.markers`);
  writeFileSync(entriesList, diff.changed.map((p) => `${p}\0`).join(""));
  writeFileSync(markersList, markers.sort().map((p) => `${p}\0`).join(""));
  sh(
    "tar",
    [
      "--create",
      `--file=${tarPath}`,
      "--format=posix",
      "--numeric-owner",
      "--no-recursion",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
      "--null",
      "-C",
      upperRoot,
      "-T",
      entriesList,
      "-C",
      scratch,
      "-T",
      markersList,
    ],
    `tar of ${upperRoot}`,
  );
  rmSync(entriesList);
  rmSync(markersList);
  rmSync(scratch, { recursive: true, force: true });
  return diff.changed.length + markers.length;
}

interface Blob {
  digest: string;
  size: number;
}

async function gzipInto(tarPath: string, blobs: string): Promise<Blob> {
  const tmp = join(blobs, `.tmp-${process.pid}`);
  await pipeline(createReadStream(tarPath), createGzip({ level: 6 }), createWriteStream(tmp));
  const hex = await sha256File(tmp);
  renameSync(tmp, join(blobs, hex));
  return { digest: `sha256:${hex}`, size: lstatSync(join(blobs, hex)).size };
}

function writeJsonBlob(blobs: string, value: unknown): Blob & { bytes: Buffer } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(join(blobs, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length, bytes };
}

function readDpkgTsv(path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const [name, version, arch] = line.split("\t");
    if (name) out.set(name, `${version}\t${arch}`);
  }
  return out;
}

/** Build one image from WORK/<name>/ into OUT/<name>/. */
export async function buildImage(recipe: Recipe, work: string, out: string): Promise<ImageInfo> {
  const src = join(work, recipe.name);
  const dest = join(out, recipe.name);
  rmSync(dest, { recursive: true, force: true });
  const oci = join(dest, "oci");
  const blobs = join(oci, "blobs", "sha256");
  const tars = join(work, `${recipe.name}.tars`);
  mkdirSync(blobs, { recursive: true });
  mkdirSync(tars, { recursive: true });

  const layers: LayerInfo[] = [];
  const layerTars: string[] = [];
  const history: Record<string, unknown>[] = [];
  const dpkgLayer: Record<string, number> = {};
  const dpkgRemoved: Record<string, number> = {};
  let lower: string | undefined;
  let lowerDpkg = new Map<string, string>();
  for (const [i, step] of recipe.steps.entries()) {
    if ("emptyLayer" in step) {
      history.push({ created: CREATED, created_by: step.emptyLayer, empty_layer: true });
      continue;
    }
    const upper = join(src, step.snapshot);
    const diff = diffSnapshots(lower, upper);
    const tarPath = join(tars, `layer${layers.length}.tar`);
    const entries = writeLayerTar(upper, diff, tarPath, join(tars, "scratch"));
    const diffId = `sha256:${await sha256File(tarPath)}`;
    const blob = await gzipInto(tarPath, blobs);
    const index = layers.length;
    layers.push({ digest: blob.digest, diffId, size: blob.size, createdBy: step.createdBy, historyIndex: i, entries, whiteouts: diff.whiteouts, opaque: diff.opaque });
    layerTars.push(tarPath);
    history.push({ created: CREATED, created_by: step.createdBy, ...(step.comment ? { comment: step.comment } : {}) });
    const dpkg = readDpkgTsv(join(src, `${step.snapshot}.dpkg.tsv`));
    for (const [name, line] of dpkg) if (lowerDpkg.get(name) !== line) dpkgLayer[name] = index;
    for (const name of lowerDpkg.keys()) if (!dpkg.has(name)) dpkgRemoved[name] = index;
    for (const name of Object.keys(dpkgLayer)) if (!dpkg.has(name)) delete dpkgLayer[name];
    lower = upper;
    lowerDpkg = dpkg;
  }
  if (lower === undefined) throw new Error(`${recipe.name}: a recipe needs at least one snapshot`);

  const platform = { os: "linux", architecture: "amd64" };
  const configFor = (n: number): unknown => {
    // The history entries up to and including the n-th layer's step (a base image's history is a prefix).
    const lastStep = layers[n - 1]!.historyIndex;
    return {
      created: CREATED,
      architecture: platform.architecture,
      os: platform.os,
      config: recipe.config,
      rootfs: { type: "layers", diff_ids: layers.slice(0, n).map((l) => l.diffId) },
      history: n === layers.length ? history : history.slice(0, lastStep + 1),
    };
  };
  const manifestFor = (n: number, config: Blob, annotations?: Record<string, string>): unknown => ({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
    layers: layers.slice(0, n).map((l) => ({ mediaType: MEDIA.layerGzip, digest: l.digest, size: l.size })),
    ...(annotations ? { annotations } : {}),
  });

  let base: ImageInfo["base"];
  if (recipe.base) {
    const baseConfig = writeJsonBlob(blobs, configFor(recipe.base.layers));
    const baseManifest = writeJsonBlob(blobs, manifestFor(recipe.base.layers, baseConfig));
    base = { name: recipe.base.name, manifestDigest: baseManifest.digest };
  }
  const config = writeJsonBlob(blobs, configFor(layers.length));
  const reference = `${recipe.repository}:${recipe.tag}`;
  const manifest = writeJsonBlob(
    blobs,
    manifestFor(layers.length, config, {
      "org.opencontainers.image.created": CREATED,
      ...(base ? { "org.opencontainers.image.base.name": base.name, "org.opencontainers.image.base.digest": base.manifestDigest } : {}),
    }),
  );
  writeFileSync(join(oci, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(oci, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          digest: manifest.digest,
          size: manifest.size,
          platform,
          annotations: { "io.containerd.image.name": `docker.io/${reference}`, "org.opencontainers.image.ref.name": recipe.tag },
        },
      ],
    }),
  );
  sh("tar", ["--create", `--file=${join(dest, "oci-archive.tar")}`, "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", oci, "oci-layout", "index.json", "blobs"], "oci-archive tar");

  // docker save (before Docker 25): <id>/layer.tar with v1 ids chained from the diff_ids, <config hex>.json,
  // manifest.json and repositories.
  const docker = join(work, `${recipe.name}.docker`);
  rmSync(docker, { recursive: true, force: true });
  mkdirSync(docker, { recursive: true });
  const configHex = config.digest.slice("sha256:".length);
  writeFileSync(join(docker, `${configHex}.json`), config.bytes);
  const layerPaths: string[] = [];
  let parent = "";
  for (const [i, layer] of layers.entries()) {
    const id = createHash("sha256").update(`${parent} ${layer.diffId}`).digest("hex");
    mkdirSync(join(docker, id));
    renameSync(layerTars[i]!, join(docker, id, "layer.tar"));
    writeFileSync(join(docker, id, "VERSION"), "1.0");
    writeFileSync(join(docker, id, "json"), JSON.stringify({ id, ...(parent ? { parent } : {}), created: CREATED, os: platform.os }));
    layerPaths.push(`${id}/layer.tar`);
    parent = id;
  }
  writeFileSync(join(docker, "manifest.json"), JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [reference], Layers: layerPaths }]));
  writeFileSync(join(docker, "repositories"), JSON.stringify({ [recipe.repository]: { [recipe.tag]: parent } }));
  const dockerEntries = readdirSync(docker).sort();
  sh("tar", ["--create", `--file=${join(dest, "docker-archive.tar")}`, "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", docker, ...dockerEntries], "docker-archive tar");
  rmSync(docker, { recursive: true, force: true });
  rmSync(tars, { recursive: true, force: true });

  renameSync(lower, join(dest, "rootfs"));
  writeFileSync(join(dest, "dpkg-query.tsv"), readFileSync(`${lower}.dpkg.tsv`));
  writeFileSync(join(dest, "dpkg-source.tsv"), readFileSync(`${lower}.dpkg-source.tsv`));
  const info: ImageInfo = {
    name: recipe.name,
    reference,
    repository: recipe.repository,
    tag: recipe.tag,
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    platform,
    layers,
    ...(base ? { base } : {}),
    dpkgLayer,
    dpkgRemoved,
    paths: { rootfs: "rootfs", ociDir: "oci", ociArchive: "oci-archive.tar", dockerArchive: "docker-archive.tar", dpkgQuery: "dpkg-query.tsv", dpkgSource: "dpkg-source.tsv" },
  };
  writeFileSync(join(dest, "image.json"), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

async function main(): Promise<void> {
  const [work, out] = process.argv.slice(2);
  if (work === undefined || out === undefined) throw new Error("usage: tsx test/support/image-build.ts WORK OUT");
  for (const recipe of RECIPES) {
    const info = await buildImage(recipe, resolve(work), resolve(out));
    console.error(
      `  ${info.reference}  ${info.manifestDigest}  ${info.layers.length} layers (${info.layers.map((l) => `${l.entries} entries, ${(l.size / 1e6).toFixed(1)} MB`).join("; ")})`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main();
}
