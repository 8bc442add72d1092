/**
 * The seam between where an image's bytes come from (a local OCI layout, an oci-archive or docker-archive tar,
 * a registry) and the ImageSource that reads its layers into a squashed, read-only view for the catalogers.
 *
 * An ImageLayout has already picked ONE image manifest (from an index: by platform). It hands over the
 * manifest's bytes exactly as stored, and opens blobs by descriptor. The ImageSource parses the manifest and
 * the config itself and checks every blob it reads (manifest, config, layers) against its digest and size
 * while reading: a mismatch is an error (INPUT_MALFORMED), never a warning. An implementation may verify too
 * (a registry client that caches blobs should), but need not.
 */

/** An OCI content descriptor (image-spec descriptor.md), narrowed to the fields vouch uses. */
export interface Descriptor {
  mediaType: string;
  /** "<algorithm>:<hex>", sha256 or sha512. */
  digest: string;
  /** Size in bytes of the blob as stored. */
  size: number;
  annotations?: Readonly<Record<string, string>>;
  /** Only on index entries. */
  platform?: Platform;
  /** Foreign/non-distributable layers may name where they live; vouch never fetches them. */
  urls?: readonly string[];
  /** The type of the artifact a manifest descriptor points at (image-spec 1.1; referrers lists carry it). */
  artifactType?: string;
}

/** image-spec image-index.md "platform". */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
}

/** One image manifest, resolved (from an index when there was one) and ready to read. */
export interface ImageLayout {
  /** The image as the user named it ("oci-dir:/tmp/img", "registry:localhost:5000/app:1.0"). */
  readonly reference: string;
  /**
   * The image manifest: its descriptor (digest, size, media type; from the index, the registry's
   * Docker-Content-Digest, or computed for a docker save archive) and its bytes as stored.
   */
  readonly manifest: { readonly descriptor: Descriptor; readonly bytes: Uint8Array };
  /** The digest of the index the manifest was picked from, when there was one. */
  readonly indexDigest?: string;
  /** The platform the manifest was picked for (from the index entry), when known. */
  readonly platform?: Platform;
  /** Names the image goes by: "repo:tag" (docker save RepoTags, index ref.name annotations, the registry reference). */
  readonly repoTags: readonly string[];
  /** Annotations of the index entry that named the manifest (merged under the manifest's own). */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The blob a descriptor names (config, layer), as stored: compressed layers stay compressed. Rejects with
   * VouchError INPUT_NOT_FOUND when the layout has no such blob.
   */
  openBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>>;
  /**
   * True when no manifest was stored and the layout wrote one from what it had (a legacy docker save keeps
   * only manifest.json, the config and uncompressed layer.tar files: their descriptors carry the diffIDs).
   * The root component then says so, since a registry would show another manifest digest for the image.
   */
  readonly synthesizedManifest?: boolean;
  /** Things the user should know about how the image was picked (several images in one archive): become warnings. */
  readonly notes?: readonly string[];
  /** Release files or connections; the ImageSource calls it when it has read what it needs. */
  close?(): Promise<void>;
}

/** Limits on what one image may cost to read. Everything past a limit is INPUT_TOO_LARGE. */
export interface ImageLimits {
  /** Decompressed bytes one layer may expand to (decompression bombs). Default 8 GiB. */
  maxLayerBytes?: number;
  /** Bytes of the manifest, index, config and docker save manifest.json (read whole). Default 16 MiB. */
  maxMetadataBytes?: number;
  /** A wanted file larger than this keeps its metadata only (with a warning). Default 256 MiB. */
  maxFileBytes?: number;
  /** Total bytes of file content the squashed view may hold. Default 2 GiB. */
  maxRetainedBytes?: number;
  /** Entries (files, directories, links) over all layers. Default 4 million. */
  maxEntries?: number;
}

export const DEFAULT_IMAGE_LIMITS: Required<ImageLimits> = Object.freeze({
  maxLayerBytes: 8 * 1024 ** 3,
  maxMetadataBytes: 16 * 1024 ** 2,
  maxFileBytes: 256 * 1024 ** 2,
  maxRetainedBytes: 2 * 1024 ** 3,
  maxEntries: 4_000_000,
});

/** Media types vouch knows (image-spec media-types.md and Docker's manifest v2 schema 2). */
export const MEDIA_TYPES = Object.freeze({
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ociLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ociLayerNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  /** What a legacy docker save layer.tar is (vouch's own name for it: Docker never labels them). */
  dockerLayerTar: "application/vnd.docker.image.rootfs.diff.tar",
});

export type LayerCompression = "none" | "gzip" | "zstd";

/** How a layer of this media type is compressed; undefined for a media type that is not a layer vouch reads. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MEDIA_TYPES.ociLayer:
    case MEDIA_TYPES.ociLayerNondistributable:
    case MEDIA_TYPES.dockerLayerTar:
      return "none";
    case MEDIA_TYPES.ociLayerGzip:
    case MEDIA_TYPES.ociLayerNondistributableGzip:
    case MEDIA_TYPES.dockerLayerGzip:
    case MEDIA_TYPES.dockerLayerForeignGzip:
      return "gzip";
    case MEDIA_TYPES.ociLayerZstd:
    case MEDIA_TYPES.ociLayerNondistributableZstd:
      return "zstd";
    default:
      return undefined;
  }
}

export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
export const CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
