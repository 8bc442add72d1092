import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import type { Descriptor, ImageLayout, Platform } from "../../src/catalog/sources/image/types.js";

/**
 * Build small container images in tests: a tar writer (ustar, PAX for long names), layers (plain, gzip,
 * zstd), OCI layouts (directory or archive), docker save archives (legacy and Docker 25+), and an in-memory
 * ImageLayout. Nothing here is clever: it writes what the specs say, so tests can also write what they do not.
 */

export interface TarInput {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "fifo";
  body?: string | Uint8Array;
  linkName?: string;
  mode?: number;
  /** Write this size in the header instead of the body's (a lying header). */
  sizeOverride?: number;
}

const enc = new TextEncoder();

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

function header(name: string, typeflag: string, size: number, mode: number, linkName = ""): Uint8Array {
  const b = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => b.set(enc.encode(text).subarray(0, length), offset);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put("        ", 148, 8);
  put(typeflag, 156, 1);
  put(linkName, 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const x of b) sum += x;
  put(octal(sum, 7) + " ", 148, 8);
  return b;
}

function padded(body: Uint8Array): Uint8Array[] {
  const pad = (512 - (body.length % 512)) % 512;
  return [body, new Uint8Array(pad)];
}

function paxRecord(key: string, value: string): string {
  const text = ` ${key}=${value}\n`;
  let len = text.length + 1;
  while (String(len).length + text.length !== len) len = String(len).length + text.length;
  return `${len}${text}`;
}

/** A tar archive of the entries, with the two zero blocks at the end (unless `noEnd`). */
export function tar(entries: readonly TarInput[], options: { noEnd?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const body = typeof e.body === "string" ? enc.encode(e.body) : (e.body ?? new Uint8Array(0));
    const type = e.type ?? "file";
    const flag = { file: "0", dir: "5", symlink: "2", hardlink: "1", fifo: "6" }[type];
    let name = e.name;
    const link = e.linkName ?? "";
    if (enc.encode(name).length > 100 || enc.encode(link).length > 100) {
      const pax = enc.encode(paxRecord("path", name) + (link ? paxRecord("linkpath", link) : ""));
      parts.push(header("PaxHeader", "x", pax.length, 0o644), ...padded(pax));
      name = name.slice(0, 99);
    }
    const size = type === "file" ? body.length : 0;
    parts.push(header(name, flag, e.sizeOverride ?? size, e.mode ?? (type === "dir" ? 0o755 : 0o644), link.slice(0, 99)));
    if (type === "file") parts.push(...padded(body));
  }
  if (!options.noEnd) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export type Compression = "none" | "gzip" | "zstd";

export interface LayerInput {
  entries?: readonly TarInput[];
  /** Raw tar bytes instead of entries. */
  tarBytes?: Uint8Array;
  compression?: Compression;
  createdBy?: string;
  /** Override the stored blob (after compression), e.g. to truncate or corrupt it. */
  mutateBlob?: (blob: Uint8Array) => Uint8Array;
  /** Override the media type written in the manifest. */
  mediaType?: string;
}

export interface ImageInput {
  layers: readonly LayerInput[];
  platform?: Platform;
  /** History entries with empty_layer: true inserted before the layer of this index. */
  emptyHistoryBefore?: Record<number, string>;
  manifestAnnotations?: Record<string, string>;
  labels?: Record<string, string>;
  configMediaType?: string;
}

export interface BuiltImage {
  blobs: Map<string, Uint8Array>;
  manifest: { descriptor: Descriptor; bytes: Uint8Array };
  config: { descriptor: Descriptor; bytes: Uint8Array };
  layers: { descriptor: Descriptor; tar: Uint8Array; diffId: string }[];
}

const LAYER_TYPE: Record<Compression, string> = {
  none: "application/vnd.oci.image.layer.v1.tar",
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
};

export function buildImage(input: ImageInput): BuiltImage {
  const blobs = new Map<string, Uint8Array>();
  const layers = input.layers.map((l) => {
    const tarBytes = l.tarBytes ?? tar(l.entries ?? []);
    const compression = l.compression ?? "gzip";
    let blob = compression === "gzip" ? gzipSync(tarBytes) : compression === "zstd" ? zstdCompressSync(tarBytes) : tarBytes;
    const descriptor: Descriptor = { mediaType: l.mediaType ?? LAYER_TYPE[compression], digest: sha256(blob), size: blob.length };
    if (l.mutateBlob) blob = l.mutateBlob(blob);
    blobs.set(descriptor.digest, blob);
    return { descriptor, tar: tarBytes, diffId: sha256(tarBytes) };
  });
  const platform = input.platform ?? { os: "linux", architecture: "amd64" };
  const history: Record<string, unknown>[] = [];
  input.layers.forEach((l, i) => {
    const empty = input.emptyHistoryBefore?.[i];
    if (empty !== undefined) history.push({ created_by: empty, empty_layer: true });
    history.push({ created_by: l.createdBy ?? `layer ${i}` });
  });
  const configJson = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: "2024-01-01T00:00:00Z",
    config: { Labels: input.labels ?? {} },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history,
  };
  const configBytes = enc.encode(JSON.stringify(configJson));
  const config = { descriptor: { mediaType: input.configMediaType ?? "application/vnd.oci.image.config.v1+json", digest: sha256(configBytes), size: configBytes.length }, bytes: configBytes };
  blobs.set(config.descriptor.digest, configBytes);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
    ...(input.manifestAnnotations ? { annotations: input.manifestAnnotations } : {}),
  };
  const manifestBytes = enc.encode(JSON.stringify(manifestJson));
  const manifest = { descriptor: { mediaType: manifestJson.mediaType, digest: sha256(manifestBytes), size: manifestBytes.length, platform }, bytes: manifestBytes };
  blobs.set(manifest.descriptor.digest, manifestBytes);
  return { blobs, manifest, config, layers };
}

/** An in-memory ImageLayout over a built image (what a registry client would hand over). */
export function memoryLayout(image: BuiltImage, reference = "memory:test", repoTags: string[] = []): ImageLayout & { closed: boolean } {
  const layout = {
    reference,
    manifest: image.manifest,
    repoTags,
    closed: false,
    async openBlob(d: Descriptor): Promise<ReadableStream<Uint8Array>> {
      const blob = image.blobs.get(d.digest);
      if (!blob) throw new Error(`no blob ${d.digest}`);
      return new ReadableStream<Uint8Array>({
        start(c) {
          // Several chunks, so that streaming code paths are exercised.
          for (let i = 0; i < blob.length; i += 4096) c.enqueue(blob.slice(i, i + 4096));
          c.close();
        },
      });
    },
    async close() {
      layout.closed = true;
    },
  };
  return layout;
}

export interface LayoutFiles {
  [path: string]: Uint8Array;
}

/**
 * The files of an OCI image layout holding these images (index.json lists each manifest with its platform
 * and, when given, a ref.name annotation). `index` entries may instead point at a nested index.
 */
export function ociLayoutFiles(images: readonly { image: BuiltImage; refName?: string }[], options: { nestedIndex?: boolean } = {}): LayoutFiles {
  const files: LayoutFiles = { "oci-layout": enc.encode('{"imageLayoutVersion":"1.0.0"}') };
  for (const { image } of images) for (const [digest, blob] of image.blobs) files[`blobs/${digest.replace(":", "/")}`] = blob;
  const entries = images.map(({ image, refName }) => ({
    ...image.manifest.descriptor,
    ...(refName ? { annotations: { "org.opencontainers.image.ref.name": refName } } : {}),
  }));
  if (options.nestedIndex) {
    const inner = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries }));
    files[`blobs/${sha256(inner).replace(":", "/")}`] = inner;
    files["index.json"] = enc.encode(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", digest: sha256(inner), size: inner.length }] }),
    );
  } else {
    files["index.json"] = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries }));
  }
  return files;
}

export function writeFiles(dir: string, files: LayoutFiles): string {
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

/** The files as an uncompressed tar (an oci-archive, or a docker save). */
export function archive(files: LayoutFiles): Uint8Array {
  return tar(Object.entries(files).map(([name, body]) => ({ name, body })));
}

/**
 * A legacy docker save (before Docker 25): manifest.json, <config hex>.json, <id>/layer.tar uncompressed.
 * Layers must have been built uncompressed ("none").
 */
export function legacyDockerSaveFiles(image: BuiltImage, repoTags: string[]): LayoutFiles {
  const configHex = image.config.descriptor.digest.slice("sha256:".length);
  const files: LayoutFiles = { [`${configHex}.json`]: image.config.bytes };
  const layerPaths = image.layers.map((l, i) => {
    const id = createHash("sha256").update(`${i}:${l.diffId}`).digest("hex");
    files[`${id}/layer.tar`] = l.tar;
    files[`${id}/VERSION`] = enc.encode("1.0");
    return `${id}/layer.tar`;
  });
  files["manifest.json"] = enc.encode(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: repoTags, Layers: layerPaths }]));
  return files;
}

/** Docker 25+ docker save: an OCI layout plus manifest.json naming blobs by path. */
export function ociDockerSaveFiles(image: BuiltImage, repoTags: string[]): LayoutFiles {
  const files = ociLayoutFiles([{ image }]);
  files["manifest.json"] = enc.encode(
    JSON.stringify([
      { Config: `blobs/${image.config.descriptor.digest.replace(":", "/")}`, RepoTags: repoTags, Layers: image.layers.map((l) => `blobs/${l.descriptor.digest.replace(":", "/")}`) },
    ]),
  );
  return files;
}
