import { VouchError } from "../../../core/errors.js";
import type { FileVersion, LayeredFileSource } from "../../catalog.js";
import type { Cataloger, CatalogWarning, LayerOrigin } from "../../types.js";
import { readBlob, streamLayer } from "./blob.js";
import { formatPlatform, parseConfig, parseManifest, verifyBlob, type ImageConfig, type ImageManifest } from "./manifest.js";
import { normalizeEntryPath, TarStreamParser, type TarHeader } from "./tar.js";
import { DEFAULT_IMAGE_LIMITS, layerCompression, type ImageLayout, type ImageLimits, type Platform } from "./types.js";
import { SquashedView, type EntryInfo } from "./view.js";
import { isListed, wantsFor, type WantsPredicate } from "./wants.js";
import { fileText } from "../text.js";

export interface ImageSourceOptions extends ImageLimits {
  /** The catalogers that will read the image: their `matches` (and optional `wants`) decide which files keep content. */
  catalogers: readonly Cataloger[];
  /** More files to keep content for (beyond the catalogers' and the built-in companions). */
  wants?: WantsPredicate;
}

export interface LayerInfo {
  /** 0-based position in the manifest. */
  index: number;
  /** The blob's digest as the manifest names it (compressed). */
  digest: string;
  /** The uncompressed tar's digest (config rootfs.diff_ids). */
  diffId: string;
  mediaType: string;
  /** Bytes as stored, and after decompression. */
  size: number;
  uncompressedSize: number;
  /** The config history entry that made this layer (entries with empty_layer: true make none). */
  createdBy?: string;
  created?: string;
  comment?: string;
  /** Tar entries in the layer. */
  entries: number;
}

/** What the image is, beside its files: becomes the SBOM's root component. */
export interface ImageInfo {
  reference: string;
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  indexDigest?: string;
  /** From the config (os/architecture/variant), else from the index entry. */
  platform?: Platform;
  repoTags: readonly string[];
  /** The index entry's annotations under the manifest's own (base image name/digest live here). */
  annotations: Readonly<Record<string, string>>;
  /** Config labels (Dockerfile LABEL). */
  labels: Readonly<Record<string, string>>;
  created?: string;
  layers: readonly LayerInfo[];
  /** The layout wrote the manifest itself (legacy docker save): its digest is not the registry's. */
  synthesizedManifest: boolean;
}

/**
 * A container image as a FileSource: the layers of one image manifest read as streams (never extracted),
 * every blob checked against its digest, applied in order into a squashed view (whiteouts, opaque
 * directories, hard links, symlinks resolved inside the image), keeping content only for the files the
 * catalogers want (see wants.ts) and metadata for the rest.
 *
 * files() is every regular file but those under .git/.hg/.svn and the lockfiles packages ship inside
 * node_modules (see isListed); symlinks are not listed but are followed by readFile/readBytes/listDir.
 *
 * @example
 *   const image = await ImageSource.open(await openImageReference("oci-dir:./img"), { catalogers: sourceCatalogers });
 *   const out = catalogSource(image, sourceCatalogers);
 */
export class ImageSource implements LayeredFileSource {
  readonly description: string;
  readonly warnings: CatalogWarning[];
  readonly image: ImageInfo;
  private readonly view: SquashedView;
  private fileList?: string[];

  private constructor(description: string, image: ImageInfo, view: SquashedView, warnings: CatalogWarning[]) {
    this.description = description;
    this.image = image;
    this.view = view;
    this.warnings = warnings;
  }

  /** Read the image's layers into a squashed view. The layout is closed when done (or failed). */
  static async open(layout: ImageLayout, options: ImageSourceOptions): Promise<ImageSource> {
    try {
      return await ImageSource.read(layout, options);
    } finally {
      await layout.close?.();
    }
  }

  private static async read(layout: ImageLayout, options: ImageSourceOptions): Promise<ImageSource> {
    const limits = { ...DEFAULT_IMAGE_LIMITS, ...definedOnly(options) };
    const warnings: CatalogWarning[] = (layout.notes ?? []).map((message) => ({ file: "", message }));
    const { descriptor, bytes } = layout.manifest;
    verifyBlob(bytes, descriptor, `manifest ${descriptor.digest}`);
    const manifest = parseManifest(bytes, `manifest ${descriptor.digest}`);
    const configBytes = await readBlob(layout, manifest.config, limits.maxMetadataBytes, `config ${manifest.config.digest}`);
    const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
    if (config.diffIds.length !== manifest.layers.length) {
      throw new VouchError("INPUT_MALFORMED", `manifest ${descriptor.digest} has ${manifest.layers.length} layers, its config ${config.diffIds.length} diff_ids`);
    }
    const history = layerHistory(config, manifest, warnings);
    const wants = wantsFor(options.catalogers, options.wants);
    const view = new SquashedView((w) => warnings.push(w));
    const layers: LayerInfo[] = [];

    for (const [index, layer] of manifest.layers.entries()) {
      const what = `layer ${index} (${layer.digest})`;
      const onEntry = (layerIndex: number, header: TarHeader): ((body: Uint8Array) => void) | undefined => {
        const normal = normalizeEntryPath(header.name);
        if (normal.note) warnings.push({ file: normal.path || header.name, message: `${what}: ${normal.note}` });
        if (normal.path === undefined || normal.path === "") return undefined;
        if (view.entries >= limits.maxEntries) throw new VouchError("INPUT_TOO_LARGE", `image has more than ${limits.maxEntries} entries`);
        const path = normal.path;
        if (header.type === "hardlink") {
          const target = normalizeEntryPath(header.linkName);
          if (target.path === undefined || target.path === "") {
            warnings.push({ file: path, message: `${what}: hard link target ${JSON.stringify(header.linkName)} is outside the image; skipped` });
            return undefined;
          }
          view.applyHardLink(layerIndex, path, target.path, wants(path, { size: 0, mode: header.mode }));
          return undefined;
        }
        if (header.type !== "file" || !wants(path, { size: header.size, mode: header.mode })) {
          view.apply(layerIndex, path, header);
          return undefined;
        }
        if (header.size > limits.maxFileBytes) {
          warnings.push({ file: path, message: `larger than the ${limits.maxFileBytes}-byte limit (${header.size} bytes); content not kept`, fileSkipped: true });
          view.apply(layerIndex, path, header);
          return undefined;
        }
        if (view.retainedBytes + header.size > limits.maxRetainedBytes) {
          warnings.push({ file: path, message: `the image's kept content would pass ${limits.maxRetainedBytes} bytes; content not kept`, fileSkipped: true });
          view.apply(layerIndex, path, header);
          return undefined;
        }
        // Files a cataloger parses keep their earlier versions: which layer introduced which package.
        const parsed = isListed(path) && options.catalogers.some((c) => c.matches(path));
        return (body) => view.apply(layerIndex, path, header, body, parsed);
      };
      const parser = new TarStreamParser((header) => onEntry(index, header));
      const compression = layerCompression(layer.mediaType)!;
      const result = await streamLayer(layout, layer, compression, config.diffIds[index]!, limits.maxLayerBytes, (chunk) => parser.push(chunk), what).catch((err: unknown) => {
        throw err instanceof VouchError && !err.message.startsWith(what) ? new VouchError(err.code, `${what}: ${err.message}`, { cause: err }) : err;
      });
      try {
        parser.end();
      } catch (err) {
        if (err instanceof VouchError) throw new VouchError(err.code, `${what}: ${err.message}`, { cause: err });
        throw err;
      }
      layers.push({
        index,
        digest: layer.digest,
        diffId: result.diffId,
        mediaType: layer.mediaType,
        size: result.compressedBytes,
        uncompressedSize: result.uncompressedBytes,
        ...history[index],
        entries: parser.entries,
      });
    }

    for (const entry of view.walk()) {
      if (entry.type === "symlink" && view.isLoop(entry.path)) warnings.push({ file: entry.path, message: `symlink loop (${entry.path} -> ${entry.linkTarget}); not followed` });
    }

    const platform: Platform | undefined = config.os && config.architecture
      ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }
      : layout.platform;
    if (layout.platform && platform && formatPlatform(layout.platform) !== formatPlatform(platform)) {
      warnings.push({ file: "", message: `the index says ${formatPlatform(layout.platform)}, the image config ${formatPlatform(platform)}` });
    }
    const image: ImageInfo = {
      reference: layout.reference,
      manifestDigest: descriptor.digest,
      manifestMediaType: manifest.mediaType,
      configDigest: manifest.config.digest,
      ...(layout.indexDigest ? { indexDigest: layout.indexDigest } : {}),
      ...(platform ? { platform } : {}),
      repoTags: layout.repoTags,
      annotations: { ...layout.annotations, ...manifest.annotations },
      labels: config.labels,
      ...(config.created ? { created: config.created } : {}),
      layers,
      synthesizedManifest: layout.synthesizedManifest === true,
    };
    return new ImageSource(layout.reference, image, view, warnings);
  }

  files(): readonly string[] {
    if (!this.fileList) {
      const out: string[] = [];
      for (const e of this.view.walk()) if (e.type === "file" && isListed(e.path)) out.push(e.path);
      this.fileList = out.sort();
    }
    return this.fileList;
  }

  readFile(path: string): string | undefined {
    const bytes = this.readBytes(path);
    return bytes === undefined ? undefined : fileText(bytes);
  }

  /** The kept content of a regular file (symlinks followed inside the image); undefined when absent or not kept. */
  readBytes(path: string): Uint8Array | undefined {
    const node = this.view.lookup(path);
    if (node?.type !== "file") return undefined;
    if (node.content) return node.content;
    return node.size === 0 ? new Uint8Array(0) : undefined;
  }

  listDir(path: string): string[] {
    const node = this.view.lookup(path);
    return node?.type === "dir" ? [...node.children!.keys()].sort() : [];
  }

  originOf(path: string): LayerOrigin | undefined {
    const node = this.view.lookup(path);
    return node ? this.originOfLayer(node.layer) : undefined;
  }

  /**
   * Every version of a file that a cataloger parses, oldest first, the last being the current one: each layer
   * that wrote it (since it was last deleted) with what it wrote. The catalog parses earlier versions to tell
   * which layer introduced each package of a database that many layers rewrite (dpkg status, rpmdb).
   */
  versionsOf(path: string): FileVersion[] {
    const node = this.view.lookup(path);
    if (node?.type !== "file" || !node.content) return [];
    const out: FileVersion[] = [];
    for (const h of [...(node.history ?? []), { layer: node.layer, content: node.content }]) {
      const origin = this.originOfLayer(h.layer);
      if (origin) out.push({ origin, bytes: h.content });
    }
    return out;
  }

  private originOfLayer(index: number): LayerOrigin | undefined {
    const layer = this.image.layers[index];
    if (!layer) return undefined;
    return { digest: layer.digest, diffId: layer.diffId, index: layer.index, ...(layer.createdBy !== undefined ? { createdBy: layer.createdBy } : {}) };
  }

  /** Metadata of one entry (symlinks not followed), for tools and tests. */
  stat(path: string): Omit<EntryInfo, "path"> | undefined {
    const node = this.view.lookup(path, false);
    if (!node) return undefined;
    return { type: node.type, size: node.size, mode: node.mode, layer: node.layer, ...(node.linkTarget !== undefined ? { linkTarget: node.linkTarget } : {}) };
  }

  /** Every entry of the squashed view (depth first), for tools and tests. */
  *entries(): Generator<EntryInfo> {
    for (const { node: _node, ...info } of this.view.walk()) yield info;
  }

  /** Bytes of file content the view holds (the rest is metadata). */
  get retainedBytes(): number {
    return this.view.retainedBytes;
  }
}

/**
 * The history entry of each layer: history lists every build step, and steps with empty_layer: true (ENV,
 * LABEL, ...) made no layer. When the counts disagree the attribution would be a guess: none is made.
 */
function layerHistory(config: ImageConfig, manifest: ImageManifest, warnings: CatalogWarning[]): { createdBy?: string; created?: string; comment?: string }[] {
  const layered = config.history.filter((h) => !h.emptyLayer);
  if (config.history.length === 0) return manifest.layers.map(() => ({}));
  if (layered.length !== manifest.layers.length) {
    warnings.push({ file: "", message: `the config's history has ${layered.length} layer-making steps for ${manifest.layers.length} layers; created_by not attributed` });
    return manifest.layers.map(() => ({}));
  }
  return layered.map((h) => ({
    ...(h.createdBy !== undefined ? { createdBy: h.createdBy } : {}),
    ...(h.created !== undefined ? { created: h.created } : {}),
    ...(h.comment !== undefined ? { comment: h.comment } : {}),
  }));
}

function definedOnly(limits: ImageLimits): ImageLimits {
  const out: ImageLimits = {};
  for (const key of Object.keys(DEFAULT_IMAGE_LIMITS) as (keyof ImageLimits)[]) {
    const v = limits[key];
    if (v !== undefined) {
      if (!Number.isFinite(v) || v <= 0) throw new VouchError("INPUT_USAGE", `${key} must be a positive number`);
      out[key] = v;
    }
  }
  return out;
}
