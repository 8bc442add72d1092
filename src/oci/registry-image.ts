import { VouchError } from "../core/errors.js";
import type { Descriptor, ImageLayout, Platform } from "../catalog/sources/image/types.js";
import { RegistryClient, type FetchedManifest, type RegistryClientOptions } from "./client.js";
import { formatPlatform, hostPlatform, parsePlatform, pickPlatform, platformRank } from "./platform.js";
import { familiarReference, formatReference, parseReference, type ImageReference } from "./reference.js";

export interface RegistryImageOptions extends RegistryClientOptions {
  /**
   * The platform the user asked for ("linux/arm64", or a Platform). When given, an image without it is refused,
   * even a single-platform one.
   */
  platform?: Platform | string;
  /**
   * The platform to pick from a multi-platform index when none was asked for. Default: this machine's (as
   * docker pull and the local layout reader do; linux/amd64 on x64 Linux). An index with one image gives it
   * whatever its platform.
   */
  defaultPlatform?: Platform | string;
  /** A client to reuse (its options win over the ones here). */
  client?: RegistryClient;
  /** What the ImageLayout's `reference` says. Default "registry:" + the reference as given. */
  displayName?: string;
}


/** Nested indexes followed at most (an index naming an index naming a manifest). */
const MAX_INDEX_DEPTH = 3;

/**
 * Resolves a registry reference to one image manifest, ready for the ImageSource: by tag or digest, through a
 * multi-platform index to the wanted platform, every manifest verified against its digest; blobs open as verified
 * streams. INPUT_NOT_FOUND for an unknown repository or tag; INPUT_USAGE when the registry refuses the credentials
 * or the image has no such platform; SERVICE_UNAVAILABLE when the registry cannot be reached.
 *
 * @example
 *   const layout = await openRegistryImage("localhost:5000/app:1.0", { platform: "linux/arm64" });
 *   const config = await layout.openBlob(configDescriptor);
 */
export async function openRegistryImage(reference: string | ImageReference, options: RegistryImageOptions = {}): Promise<ImageLayout> {
  const ref = typeof reference === "string" ? parseReference(reference) : reference;
  const explicit = options.platform !== undefined;
  const asked = options.platform ?? options.defaultPlatform;
  const wanted = asked === undefined ? hostPlatform(process.platform, process.arch, armVersion()) : typeof asked === "string" ? parsePlatform(asked) : asked;
  const controller = new AbortController();
  const client =
    options.client ?? new RegistryClient({ ...options, signal: options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]) });
  const shown = typeof reference === "string" ? reference : formatReference(ref);

  let fetched: FetchedManifest = await client.getManifest(ref, ref.digest ?? ref.tag ?? "latest");
  let indexDigest: string | undefined;
  let platform: Platform | undefined;
  let entryAnnotations: Record<string, string> | undefined;
  for (let depth = 0; fetched.document.kind === "index"; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new VouchError("INPUT_MALFORMED", `${shown}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    const entry = pickPlatform(fetched.document.manifests, wanted, { explicit, what: `${shown} (index ${fetched.descriptor.digest})` });
    indexDigest ??= fetched.descriptor.digest;
    platform = entry.platform;
    entryAnnotations = entry.annotations;
    const child = await client.getManifest(ref, entry.digest);
    if (child.bytes.byteLength !== entry.size) {
      throw new VouchError("INPUT_MALFORMED", `${shown}: manifest ${entry.digest} is ${child.bytes.byteLength} bytes, the index says ${entry.size}`);
    }
    fetched = child;
  }
  const manifest = fetched.document;
  if (manifest.kind !== "manifest") throw new Error("unreachable");

  // A single-platform image: its platform is in the config. Read it only when the user asked for a platform.
  const blobCache = new Map<string, Uint8Array>();
  if (explicit && platform === undefined) {
    const configBytes = await client.readBlob(ref, manifest.config);
    blobCache.set(manifest.config.digest, configBytes);
    const configPlatform = platformOfConfig(configBytes);
    if (configPlatform !== undefined && platformRank(wanted, configPlatform) === undefined) {
      throw new VouchError("INPUT_USAGE", `${shown} has only an image for ${formatPlatform(configPlatform)}, not ${formatPlatform(wanted)}`);
    }
    platform = configPlatform;
  }

  const repoTags = ref.tag !== undefined ? [familiarReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag })] : [];
  const layout: ImageLayout = {
    reference: options.displayName ?? `registry:${shown}`,
    manifest: { descriptor: fetched.descriptor, bytes: fetched.bytes },
    repoTags,
    async openBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
      const cached = blobCache.get(descriptor.digest);
      if (cached !== undefined && cached.byteLength === descriptor.size) {
        blobCache.delete(descriptor.digest);
        return new ReadableStream({
          start(c) {
            c.enqueue(cached);
            c.close();
          },
        });
      }
      return client.openBlob(ref, descriptor);
    },
    async close() {
      controller.abort();
    },
  };
  return Object.assign(
    layout,
    indexDigest === undefined ? {} : { indexDigest },
    platform === undefined ? {} : { platform },
    entryAnnotations === undefined ? {} : { annotations: entryAnnotations },
  );
}

/** os/architecture/variant of an image config, when it has them (the ImageSource parses the config properly). */
function platformOfConfig(bytes: Uint8Array): Platform | undefined {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof json.os !== "string" || typeof json.architecture !== "string") return undefined;
    const out: Platform = { os: json.os, architecture: json.architecture };
    if (typeof json.variant === "string" && json.variant !== "") out.variant = json.variant;
    return out;
  } catch {
    return undefined; // not JSON: the ImageSource reports it with the config's own error
  }
}

/** Node's ARM version on 32-bit ARM hosts ("7"), for the host's platform variant. */
function armVersion(): string | undefined {
  const value = (process.config.variables as unknown as Record<string, unknown>).arm_version;
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}
