import type { Descriptor } from "../catalog/sources/image/types.js";
import { VouchError } from "../core/errors.js";
import { IMAGE_SIGNATURE_PREDICATE, legacyToBundle, parseBundleReferrer, parseLegacyManifest, parseSbomReferrer, resolveSbomArtifactType } from "../oci/attachments/index.js";
import { discoverAttachments, isBundleReferrer, isSbomReferrer, referrerManifest, type Referrer } from "./image-attachments.js";
import { resolveImage, type RegistryAccessOptions, type ResolvedImage } from "./image-registry.js";
import { blobBytes, memoryContentCache, type ContentCache } from "./oci-content-cache.js";
import { bundleToJson } from "./sign.js";
import { predicateTypeOf } from "./attest.js";
import { listReferrers } from "../oci/referrers.js";

/** Referrers of referrers followed at most (a signature of an SBOM of an image is depth 2). */
const MAX_TREE_DEPTH = 4;
/** A signature or attestation bundle read whole at most (one with an SBOM predicate can be large). */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export interface TreeNode {
  digest: string;
  artifactType: string;
  mediaType: string;
  size: number;
  annotations?: Record<string, string>;
  /** What refers to this referrer in turn (an attestation about an SBOM, say). */
  referrers: TreeNode[];
}

export interface CosignTagNode {
  tag: string;
  digest: string;
  layers: { digest: string; mediaType: string; size: number; annotations?: Record<string, string> }[];
}

export interface ImageTree {
  reference: string;
  pinned: string;
  resolvedFromTag: boolean;
  referrersVia: "api" | "tag-schema";
  referrers: TreeNode[];
  cosignTags: CosignTagNode[];
  /** What was odd about the registry's answers (why the tag schema was read, entries left out). */
  notes: string[];
}

/**
 * `vouch tree IMAGE`: everything attached to an image, like `cosign tree` and `oras discover`: its OCI 1.1 referrers
 * (and theirs, a few levels down) and cosign's `.sig` / `.att` / `.sbom` tag images with their layers.
 */
export async function imageTree(reference: string, options: RegistryAccessOptions = {}): Promise<ImageTree> {
  const image = await resolveImage(reference, options);
  const found = await discoverAttachments(image.client, image.ref, image.descriptor.digest);
  const referrers = await Promise.all(found.referrers.map((r) => treeNode(image, r.manifest, 1)));
  const cosignTags = found.cosignTags.map((t) => ({
    tag: t.tag,
    digest: t.manifest.digest,
    layers: t.document.kind === "manifest" ? t.document.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, ...(l.annotations ? { annotations: { ...l.annotations } } : {}) })) : [],
  }));
  return { reference, pinned: image.pinned, resolvedFromTag: image.byTag, referrersVia: found.referrersVia, referrers, cosignTags, notes: found.notes };
}

async function treeNode(image: ResolvedImage, descriptor: Descriptor, depth: number): Promise<TreeNode> {
  const nested = depth >= MAX_TREE_DEPTH ? [] : (await listReferrers(image.client, image.ref, descriptor.digest)).referrers;
  return {
    digest: descriptor.digest,
    artifactType: descriptor.artifactType ?? descriptor.mediaType,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    ...(descriptor.annotations ? { annotations: { ...descriptor.annotations } } : {}),
    referrers: await Promise.all(nested.map((d) => treeNode(image, d, depth + 1))),
  };
}

export type DownloadKind = "sbom" | "attestation" | "signature";

export interface DownloadedItem {
  /**
   * The content: an SBOM exactly as attached, streamed from the registry and checked against its digest as it flows
   * (the stream errors at the end on a mismatch: write it somewhere temporary first); a signature or attestation as
   * a Sigstore bundle v0.3 JSON document.
   */
  open(): Promise<ReadableStream<Uint8Array>>;
  size: number;
  mediaType: string;
  /** Where it came from: a referrer manifest digest, or a cosign tag and layer. */
  source: string;
  created?: string;
  predicateType?: string;
}

export interface DownloadOptions extends RegistryAccessOptions {
  /** `--predicate-type` for attestations: only this type (a short name or URI). */
  predicateType?: string;
  cache?: ContentCache;
}

/**
 * `vouch download sbom|attestation|signature IMAGE`: what is attached, read back. SBOMs come back byte for byte as
 * attached (newest first); signatures and attestations as Sigstore bundles (cosign's tag-layout ones converted, so
 * one verifier reads both). Nothing is verified here: `vouch verify IMAGE` does that.
 */
export async function downloadFromImage(kind: DownloadKind, reference: string, options: DownloadOptions = {}): Promise<{ pinned: string; items: DownloadedItem[] }> {
  const image = await resolveImage(reference, options);
  const cache = options.cache ?? memoryContentCache();
  const wantedType = options.predicateType === undefined ? undefined : predicateTypeOf(options.predicateType);
  if (wantedType !== undefined && kind !== "attestation") throw new VouchError("INPUT_USAGE", "--predicate-type is for attestations");
  const suffix = kind === "sbom" ? ".sbom" : kind === "signature" ? ".sig" : ".att";
  const found = await discoverAttachments(image.client, image.ref, image.descriptor.digest, { cosignSuffixes: [suffix], cache });
  const items: DownloadedItem[] = [];
  const read = (d: Descriptor) => blobBytes(image.client, cache, image.ref, d, MAX_BUNDLE_BYTES);
  // An SBOM can be large: streamed, never held whole (the client checks digest and size as it flows).
  const streamed = (d: Descriptor) => ({ size: d.size, open: () => image.client.openBlob(image.ref, d) });

  for (const referrer of found.referrers) {
    if (kind === "sbom" && isSbomReferrer(referrer)) {
      const manifest = await referrerManifest(image.client, image.ref, referrer, cache);
      const layer = parseSbomReferrer(manifest.document);
      items.push({ ...streamed(layer), mediaType: layer.mediaType, source: referrer.manifest.digest, ...createdOf(referrer) });
    } else if (kind !== "sbom" && isBundleReferrer(referrer)) {
      const isSignature = referrer.predicateType === IMAGE_SIGNATURE_PREDICATE;
      if ((kind === "signature") !== isSignature && referrer.predicateType !== undefined) continue;
      if (wantedType !== undefined && referrer.predicateType !== wantedType) continue;
      const manifest = await referrerManifest(image.client, image.ref, referrer, cache);
      const layer = parseBundleReferrer(manifest.document);
      items.push({ ...inMemory(await read(layer)), mediaType: layer.mediaType, source: referrer.manifest.digest, ...createdOf(referrer), ...(referrer.predicateType ? { predicateType: referrer.predicateType } : {}) });
    }
  }
  for (const tagImage of found.cosignTags) {
    if (tagImage.document.kind !== "manifest") continue;
    if (kind === "sbom") {
      for (const layer of tagImage.document.layers) {
        items.push({ ...streamed(layer), mediaType: resolveSbomArtifactType(layer.mediaType), source: `${tagImage.tag} layer ${layer.digest}` });
      }
      continue;
    }
    for (const layer of parseLegacyManifest(tagImage.document)) {
      if (wantedType !== undefined && layer.predicateType !== wantedType) continue;
      const bundle = legacyToBundle(layer, await read(layer.descriptor));
      items.push({
        ...inMemory(new TextEncoder().encode(bundleToJson(bundle))),
        mediaType: bundle.mediaType,
        source: `${tagImage.tag} layer ${layer.descriptor.digest}`,
        ...(layer.predicateType ? { predicateType: layer.predicateType } : {}),
      });
    }
  }
  // Newest first: `download sbom` with one output writes the latest document attached.
  items.sort((a, b) => (b.created ?? "").localeCompare(a.created ?? ""));
  return { pinned: image.pinned, items };
}

function inMemory(bytes: Uint8Array): Pick<DownloadedItem, "open" | "size"> {
  return {
    size: bytes.byteLength,
    open: async () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
  };
}

function createdOf(referrer: Referrer): { created?: string } {
  return referrer.created !== undefined ? { created: referrer.created } : {};
}
