import { spawnSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, existsSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { MEDIA } from "../../test/support/image-build.js";
import type { TestImage } from "../../test/support/images.js";

/**
 * A variant of a test image with one more layer holding a big file no cataloger wants (`/app/data/unwanted.bin`,
 * random bytes, so gzip cannot shrink it): the image a bench reads to show that vouch's memory follows the layers'
 * metadata, not their size. Written as an OCI layout (the base image's blobs hard-linked), an oci-archive, a
 * docker-archive (the base layers gunzipped) and a rootfs (the base rootfs hard-linked, plus the file), reused while
 * the base image and the size are the same.
 */
export interface ImageForms {
  ociDir: string;
  ociArchive: string;
  dockerArchive: string;
  rootfs: string;
}

const CREATED_BY = "COPY data/unwanted.bin /app/data/unwanted.bin # buildkit";

function sh(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error !== undefined || r.status !== 0) throw new Error(`${what} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

function jsonBlob(blobs: string, value: unknown): { digest: string; size: number; bytes: Buffer } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(join(blobs, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length, bytes };
}

export async function imageWithBigFile(base: TestImage, dest: string, bytes: number, log: (m: string) => void): Promise<ImageForms> {
  const forms: ImageForms = {
    ociDir: join(dest, "oci"),
    ociArchive: join(dest, "oci-archive.tar"),
    dockerArchive: join(dest, "docker-archive.tar"),
    rootfs: join(dest, "rootfs"),
  };
  const stamp = `${base.info.manifestDigest} ${bytes}`;
  if (existsSync(join(dest, "READY")) && readFileSync(join(dest, "READY"), "utf8") === stamp) return forms;
  log(`writing ${base.info.name} + a ${(bytes / 2 ** 20).toFixed(0)} MiB unwanted file in ${dest}`);
  rmSync(dest, { recursive: true, force: true });
  const stage = join(dest, "stage");
  mkdirSync(join(stage, "app/data"), { recursive: true });
  const big = join(stage, "app/data/unwanted.bin");
  const fd = openSync(big, "w");
  const chunk = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
  closeSync(fd);

  // The layer: just /app/data/unwanted.bin (and its folder), as a Docker COPY makes it.
  const layerTar = join(dest, "layer.tar");
  sh("tar", ["--create", `--file=${layerTar}`, "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", stage, "app/data", "app/data/unwanted.bin"], "layer tar");
  const diffId = await sha256File(layerTar);

  // OCI layout: the base blobs hard-linked, the new layer gzipped, a new config, manifest and index.
  const blobs = join(forms.ociDir, "blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const baseBlobs = join(base.ociDir, "blobs/sha256");
  for (const hex of readdirSync(baseBlobs)) linkSync(join(baseBlobs, hex), join(blobs, hex));
  const gz = join(blobs, "tmp");
  await pipeline(createReadStream(layerTar), createGzip({ level: 6 }), createWriteStream(gz));
  const layerDigest = await sha256File(gz);
  renameSync(gz, join(blobs, layerDigest.slice("sha256:".length)));
  const layerSize = statSync(join(blobs, layerDigest.slice("sha256:".length))).size;
  const readBlob = (digest: string): Buffer => readFileSync(join(baseBlobs, digest.slice("sha256:".length)));
  const baseManifest = JSON.parse(readBlob(base.info.manifestDigest).toString("utf8"));
  const baseConfig = JSON.parse(readBlob(base.info.configDigest).toString("utf8"));
  const config = jsonBlob(blobs, {
    ...baseConfig,
    rootfs: { type: "layers", diff_ids: [...baseConfig.rootfs.diff_ids, diffId] },
    history: [...baseConfig.history, { created: baseConfig.created, created_by: CREATED_BY }],
  });
  const manifest = jsonBlob(blobs, {
    ...baseManifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
    layers: [...baseManifest.layers, { mediaType: MEDIA.layerGzip, digest: layerDigest, size: layerSize }],
  });
  const reference = `${base.info.repository}:bigfile`;
  writeFileSync(join(forms.ociDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(forms.ociDir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [{ mediaType: MEDIA.manifest, digest: manifest.digest, size: manifest.size, platform: base.info.platform, annotations: { "org.opencontainers.image.ref.name": "bigfile" } }],
    }),
  );
  sh("tar", ["--create", `--file=${forms.ociArchive}`, "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", forms.ociDir, "oci-layout", "index.json", "blobs"], "oci-archive");

  // docker save: every layer uncompressed under <id>/layer.tar.
  const docker = join(dest, "docker");
  mkdirSync(docker);
  const configHex = config.digest.slice("sha256:".length);
  writeFileSync(join(docker, `${configHex}.json`), config.bytes);
  const layers: string[] = [];
  const digests = [...baseManifest.layers.map((l: { digest: string }) => l.digest), layerDigest];
  for (const [i, digest] of digests.entries()) {
    const id = createHash("sha256").update(`${i} ${digest}`).digest("hex");
    mkdirSync(join(docker, id));
    const out = join(docker, id, "layer.tar");
    if (i === digests.length - 1) renameSync(layerTar, out);
    else await pipeline(createReadStream(join(blobs, digest.slice("sha256:".length))), createGunzip(), createWriteStream(out));
    layers.push(`${id}/layer.tar`);
  }
  writeFileSync(join(docker, "manifest.json"), JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [reference], Layers: layers }]));
  sh("tar", ["--create", `--file=${forms.dockerArchive}`, "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", docker, ...readdirSync(docker).sort()], "docker-archive");
  rmSync(docker, { recursive: true, force: true });

  // rootfs: the base one hard-linked (cp -al), plus the file.
  const linked = spawnSync("cp", ["-al", base.rootfs, forms.rootfs]);
  if (linked.status !== 0) {
    rmSync(forms.rootfs, { recursive: true, force: true });
    sh("cp", ["-a", base.rootfs, forms.rootfs], "cp -a rootfs"); // another filesystem: no hard links
  }
  mkdirSync(join(forms.rootfs, "app/data"), { recursive: true });
  renameSync(big, join(forms.rootfs, "app/data/unwanted.bin"));
  rmSync(stage, { recursive: true, force: true });
  writeFileSync(join(dest, "READY"), stamp);
  return forms;
}
