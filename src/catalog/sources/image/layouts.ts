import { VouchError } from "../../../core/errors.js";
import { digestOf, documentKind, formatPlatform, isDigest, parseConfig, parseIndex, selectManifest, verifyBlob } from "./manifest.js";
import type { LayoutStore } from "./store.js";
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES, type Descriptor, type ImageLayout, type Platform } from "./types.js";

/**
 * ImageLayouts over a LayoutStore: an OCI image layout (image-spec image-layout.md: oci-layout, index.json,
 * blobs/<alg>/<hex>), in a directory or a tar, and a docker save archive (legacy manifest.json + layer.tar
 * files, or Docker 25+'s OCI layout with a manifest.json beside it).
 */

export interface LayoutOptions {
  /** The platform to pick from a multi-platform index. */
  platform: Platform;
  /** True when the user named the platform (--platform): a single-image layout for another platform is refused. */
  platformExplicit?: boolean;
  /** Pick the index entry with this org.opencontainers.image.ref.name (or io.containerd.image.name tag). */
  refName?: string;
  /** Bytes of index.json, manifests, configs, manifest.json read whole. */
  maxMetadataBytes: number;
}

const REF_NAME = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME = "io.containerd.image.name";
/** Nested indexes deeper than this are refused (a loop of indexes would never end). */
const MAX_INDEX_DEPTH = 4;

export function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new VouchError("INPUT_MALFORMED", `${JSON.stringify(digest)} is not a digest`);
  return `blobs/${digest.replace(":", "/")}`;
}

class StoreLayout implements ImageLayout {
  constructor(
    private readonly store: LayoutStore,
    readonly reference: string,
    readonly manifest: { descriptor: Descriptor; bytes: Uint8Array },
    readonly repoTags: readonly string[],
    readonly extra: {
      indexDigest?: string;
      platform?: Platform;
      annotations?: Record<string, string>;
      synthesizedManifest?: boolean;
      blobPaths?: Map<string, string>;
      notes?: string[];
    },
  ) {}

  get notes() {
    return this.extra.notes;
  }
  get indexDigest() {
    return this.extra.indexDigest;
  }
  get platform() {
    return this.extra.platform;
  }
  get annotations() {
    return this.extra.annotations;
  }
  get synthesizedManifest() {
    return this.extra.synthesizedManifest;
  }

  async openBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const path = this.extra.blobPaths?.get(descriptor.digest) ?? blobPath(descriptor.digest);
    const stream = await this.store.openStream(path);
    if (!stream) {
      const foreign = descriptor.urls?.length ? ` (a foreign layer hosted at ${descriptor.urls[0]}: vouch does not fetch those)` : "";
      throw new VouchError("INPUT_NOT_FOUND", `${this.store.description}: blob ${descriptor.digest} is missing${foreign}`);
    }
    return stream;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** Read a blob of the store whole and check it against its descriptor. */
async function readStoreBlob(store: LayoutStore, d: Descriptor, max: number, what: string): Promise<Uint8Array> {
  if (d.size > max) throw new VouchError("INPUT_TOO_LARGE", `${what} is ${d.size} bytes (limit ${max})`);
  const bytes = await store.readFile(blobPath(d.digest), max);
  if (!bytes) throw new VouchError("INPUT_NOT_FOUND", `${store.description}: ${what} blob ${d.digest} is missing`);
  verifyBlob(bytes, d, what);
  return bytes;
}

function refNameMatches(d: Descriptor, ref: string): boolean {
  const name = d.annotations?.[REF_NAME];
  const full = d.annotations?.[CONTAINERD_NAME];
  return name === ref || full === ref || (full !== undefined && full.endsWith(`:${ref}`));
}

/** Tags an index entry names: containerd's full image name, else the OCI ref.name when it looks like one. */
function tagsOf(d: Descriptor): string[] {
  const full = d.annotations?.[CONTAINERD_NAME];
  if (full) return [full];
  const ref = d.annotations?.[REF_NAME];
  return ref && /[:/]/.test(ref) ? [ref] : [];
}

/** Open an OCI image layout (oci-layout + index.json) and pick one image manifest. */
export async function openOciLayout(store: LayoutStore, reference: string, options: LayoutOptions, repoTags: readonly string[] = []): Promise<ImageLayout> {
  try {
    const marker = await store.readFile("oci-layout", 4096);
    if (!marker) throw new VouchError("INPUT_MALFORMED", `${store.description}: no oci-layout file (not an OCI image layout)`);
    let version: unknown;
    try {
      version = (JSON.parse(Buffer.from(marker).toString("utf8")) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch {
      throw new VouchError("INPUT_MALFORMED", `${store.description}: oci-layout is not JSON`);
    }
    if (version !== "1.0.0") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${store.description}: image layout version ${JSON.stringify(version)} (vouch reads 1.0.0)`);
    const indexBytes = await store.readFile("index.json", options.maxMetadataBytes);
    if (!indexBytes) throw new VouchError("INPUT_MALFORMED", `${store.description}: no index.json`);
    let index = parseIndex(indexBytes, `${store.description} index.json`);
    let indexDigest: string | undefined;
    let entries = index.manifests;
    if (options.refName !== undefined) {
      entries = entries.filter((d) => refNameMatches(d, options.refName!));
      if (entries.length === 0) {
        const names = index.manifests.map((d) => d.annotations?.[REF_NAME]).filter((n): n is string => n !== undefined);
        throw new VouchError("INPUT_NOT_FOUND", `${store.description}: no image named ${JSON.stringify(options.refName)} (names: ${names.join(", ") || "none"})`);
      }
    }
    const tags = new Set(repoTags);
    for (let depth = 0; ; depth++) {
      if (depth > MAX_INDEX_DEPTH) throw new VouchError("INPUT_MALFORMED", `${store.description}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
      const what = indexDigest ? `index ${indexDigest}` : `${store.description} index.json`;
      const picked = pickEntry({ ...index, manifests: entries }, options, what);
      for (const t of tagsOf(picked)) tags.add(t);
      if (INDEX_MEDIA_TYPES.has(picked.mediaType)) {
        const bytes = await readStoreBlob(store, picked, options.maxMetadataBytes, `index ${picked.digest}`);
        index = parseIndex(bytes, `index ${picked.digest}`);
        indexDigest = picked.digest;
        entries = index.manifests;
        continue;
      }
      const bytes = await readStoreBlob(store, picked, options.maxMetadataBytes, `manifest ${picked.digest}`);
      if (documentKind(bytes, `manifest ${picked.digest}`) === "index") {
        // An entry labelled as a manifest that is an index: follow it anyway, by what it is.
        index = parseIndex(bytes, `index ${picked.digest}`);
        indexDigest = picked.digest;
        entries = index.manifests;
        continue;
      }
      return new StoreLayout(store, reference, { descriptor: picked, bytes }, [...tags].sort(), {
        indexDigest,
        platform: picked.platform,
        annotations: { ...index.annotations, ...picked.annotations },
      });
    }
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * One entry of an index: a single image (or nested index) is taken whatever its platform unless the user
 * asked for another one; several go through the platform pick.
 */
function pickEntry(index: ReturnType<typeof parseIndex>, options: LayoutOptions, what: string): Descriptor {
  const known = index.manifests.filter((m) => MANIFEST_MEDIA_TYPES.has(m.mediaType) || INDEX_MEDIA_TYPES.has(m.mediaType));
  if (known.length === 0) {
    const types = [...new Set(index.manifests.map((m) => m.mediaType))].join(", ") || "none";
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${what} names no image manifest or index (media types: ${types})`);
  }
  const images = known.filter((m) => m.platform?.os !== "unknown" && m.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest");
  if (images.length === 1) {
    const only = images[0]!;
    const p = only.platform;
    if (options.platformExplicit && p && (p.os !== options.platform.os || p.architecture !== options.platform.architecture)) {
      throw new VouchError("INPUT_USAGE", `${what} has only an image for ${formatPlatform(p)}, not ${formatPlatform(options.platform)}`);
    }
    return only;
  }
  return selectManifest(index, options.platform, what);
}

interface DockerSaveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

function parseDockerManifest(bytes: Uint8Array, what: string): DockerSaveEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new VouchError("INPUT_MALFORMED", `${what} is not JSON`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new VouchError("INPUT_MALFORMED", `${what}: expected a non-empty array of images`);
  return doc.map((e, i) => {
    const entry = e as Record<string, unknown>;
    if (typeof entry?.Config !== "string") throw new VouchError("INPUT_MALFORMED", `${what}[${i}]: no Config`);
    if (!Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === "string")) throw new VouchError("INPUT_MALFORMED", `${what}[${i}]: Layers is not a list of paths`);
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === "string") : [];
    return { Config: entry.Config, RepoTags: tags, Layers: entry.Layers as string[] };
  });
}

/** A digest a docker save path claims: "blobs/sha256/<hex>" or "<hex>.json" (the config, named by its digest). */
function digestClaimedBy(path: string): string | undefined {
  const blob = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
  if (blob) return `${blob[1]}:${blob[2]}`;
  const config = /^([a-f0-9]{64})\.json$/.exec(path);
  return config ? `sha256:${config[1]}` : undefined;
}

/**
 * Open a docker save archive. Docker 25+ writes an OCI layout beside manifest.json: it is read as one (the
 * RepoTags still come from manifest.json). Older archives keep only manifest.json, the config and one
 * uncompressed layer.tar per layer: the layout writes a Docker v2 manifest from them (synthesizedManifest),
 * each layer's descriptor carrying its diffID, so every layer is still checked against its digest.
 */
export async function openDockerArchive(store: LayoutStore, reference: string, options: LayoutOptions & { repoTag?: string }): Promise<ImageLayout> {
  let entries: DockerSaveEntry[];
  try {
    const manifestJson = await store.readFile("manifest.json", options.maxMetadataBytes);
    const hasOciLayout = (await store.readFile("oci-layout", 4096)) !== undefined;
    if (!manifestJson) {
      if (hasOciLayout) return await openOciLayout(store, reference, options);
      throw new VouchError("INPUT_MALFORMED", `${store.description}: no manifest.json (not a docker save archive)`);
    }
    entries = parseDockerManifest(manifestJson, `${store.description} manifest.json`);
    const chosen = options.repoTag !== undefined ? entries.find((e) => e.RepoTags.includes(options.repoTag!)) : entries[0];
    if (!chosen) throw new VouchError("INPUT_NOT_FOUND", `${store.description}: no image tagged ${options.repoTag} (tags: ${entries.flatMap((e) => e.RepoTags).join(", ") || "none"})`);
    if (hasOciLayout && entries.length === 1 && (await store.readFile("index.json", options.maxMetadataBytes)) !== undefined) {
      return await openOciLayout(store, reference, options, chosen.RepoTags);
    }
    return await legacyDockerLayout(store, reference, chosen, entries.length, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function legacyDockerLayout(store: LayoutStore, reference: string, entry: DockerSaveEntry, count: number, options: LayoutOptions & { repoTag?: string }): Promise<ImageLayout> {
  const what = `${store.description}`;
  const configBytes = await store.readFile(entry.Config, options.maxMetadataBytes);
  if (!configBytes) throw new VouchError("INPUT_MALFORMED", `${what}: config ${entry.Config} named by manifest.json is missing`);
  const configDigest = digestOf(configBytes);
  const claimed = digestClaimedBy(entry.Config);
  if (claimed && claimed !== configDigest) throw new VouchError("INPUT_MALFORMED", `${what}: config ${entry.Config}: digest mismatch (got ${configDigest})`);
  const config = parseConfig(configBytes, `${what} config`);
  if (config.diffIds.length !== entry.Layers.length) {
    throw new VouchError("INPUT_MALFORMED", `${what}: manifest.json names ${entry.Layers.length} layers, the config ${config.diffIds.length} diff_ids`);
  }
  const blobPaths = new Map<string, string>([[configDigest, entry.Config]]);
  const layers: Descriptor[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const diffId = config.diffIds[i]!;
    const claimedLayer = digestClaimedBy(path);
    // Docker 25+ paths name blobs by digest; for an uncompressed layer it is the diffID itself.
    if (claimedLayer && claimedLayer !== diffId) throw new VouchError("INPUT_MALFORMED", `${what}: layer ${path} is not the config's diff_ids[${i}] ${diffId}`);
    const size = await store.size(path);
    if (size === undefined) throw new VouchError("INPUT_MALFORMED", `${what}: layer ${path} named by manifest.json is missing`);
    const previous = blobPaths.get(diffId);
    if (previous === undefined) blobPaths.set(diffId, path);
    layers.push({ mediaType: MEDIA_TYPES.dockerLayerTar, digest: diffId, size });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig, size: configBytes.length, digest: configDigest },
    layers,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const descriptor: Descriptor = { mediaType: MEDIA_TYPES.dockerManifest, digest: digestOf(bytes), size: bytes.length };
  const platform = config.os && config.architecture ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined;
  const notes = count > 1 && options.repoTag === undefined ? [`the archive holds ${count} images; read the first (name one as docker-archive:PATH:REPO:TAG)`] : [];
  const extra = { platform, synthesizedManifest: true, blobPaths, notes };
  return new StoreLayout(store, reference, { descriptor, bytes }, [...entry.RepoTags].sort(), extra);
}
