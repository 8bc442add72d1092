import { existsSync } from "node:fs";
import { VouchError } from "../../../core/errors.js";
import { openDockerArchive, openOciLayout } from "./layouts.js";
import { hostPlatform } from "./manifest.js";
import { DirectoryStore, TarArchiveStore } from "./store.js";
import { DEFAULT_IMAGE_LIMITS, type ImageLayout, type Platform } from "./types.js";

/** The local image transports (skopeo's names); `registry:` is the registry client's (src/oci). */
export const LOCAL_IMAGE_TRANSPORTS = ["oci-dir", "oci-archive", "docker-archive", "rootfs"] as const;
export type LocalImageTransport = (typeof LOCAL_IMAGE_TRANSPORTS)[number];

export interface LocalImageReference {
  transport: LocalImageTransport;
  /** The directory or archive on disk. */
  path: string;
  /** oci-dir/oci-archive: an image's ref.name in index.json; docker-archive: one of its RepoTags. */
  ref?: string;
}

/**
 * Split "oci-dir:PATH[:REF]", "oci-archive:PATH[:REF]", "docker-archive:PATH[:REPO:TAG]", "rootfs:PATH".
 * The REF suffix is recognised only when PATH itself does not exist and the part before a colon does (paths
 * may contain colons). undefined when the text names no local transport.
 */
export function parseLocalImageReference(text: string, exists: (path: string) => boolean = existsSync): LocalImageReference | undefined {
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const transport = text.slice(0, colon);
  if (!(LOCAL_IMAGE_TRANSPORTS as readonly string[]).includes(transport)) return undefined;
  const rest = text.slice(colon + 1);
  if (rest === "") throw new VouchError("INPUT_USAGE", `${transport}: needs a path (${transport}:PATH)`);
  const t = transport as LocalImageTransport;
  if (t === "rootfs" || exists(rest)) return { transport: t, path: rest };
  for (let i = rest.indexOf(":"); i > 0; i = rest.indexOf(":", i + 1)) {
    const path = rest.slice(0, i);
    if (exists(path)) return { transport: t, path, ref: rest.slice(i + 1) };
  }
  return { transport: t, path: rest };
}

export interface OpenImageOptions {
  /** Default: the host's (linux/amd64 on x64 Linux). */
  platform?: Platform;
  /** Bytes of index.json, manifests, configs read whole. */
  maxMetadataBytes?: number;
  /** Entries of an archive (oci-archive, docker-archive). */
  maxEntries?: number;
}

/** Open a local image layout (oci-dir:, oci-archive:, docker-archive:). rootfs: is a directory, not a layout. */
export async function openLocalImage(ref: LocalImageReference, options: OpenImageOptions = {}): Promise<ImageLayout> {
  const layoutOptions = {
    platform: options.platform ?? hostPlatform(),
    platformExplicit: options.platform !== undefined,
    maxMetadataBytes: options.maxMetadataBytes ?? DEFAULT_IMAGE_LIMITS.maxMetadataBytes,
  };
  const reference = `${ref.transport}:${ref.path}${ref.ref !== undefined ? `:${ref.ref}` : ""}`;
  const maxEntries = options.maxEntries ?? DEFAULT_IMAGE_LIMITS.maxEntries;
  switch (ref.transport) {
    case "oci-dir":
      if (!existsSync(ref.path)) throw new VouchError("INPUT_NOT_FOUND", `${ref.path}: no such directory`);
      return openOciLayout(new DirectoryStore(ref.path), reference, { ...layoutOptions, refName: ref.ref });
    case "oci-archive":
      return openOciLayout(await TarArchiveStore.open(ref.path, maxEntries), reference, { ...layoutOptions, refName: ref.ref });
    case "docker-archive":
      return openDockerArchive(await TarArchiveStore.open(ref.path, maxEntries), reference, { ...layoutOptions, repoTag: ref.ref });
    case "rootfs":
      throw new VouchError("INPUT_USAGE", "rootfs: is a directory: read it with DirectorySource");
  }
}
