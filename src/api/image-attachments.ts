import type { Descriptor } from "../catalog/sources/image/types.js";
import { cosignTag, isBundleArtifactType, SBOM_ARTIFACT_TYPES } from "../oci/attachments/index.js";
import type { RegistryClient, RepositoryTarget } from "../oci/client.js";
import type { ManifestDocument } from "../oci/manifest.js";
import { listReferrers } from "../oci/referrers.js";
import { manifestByDigest, type ContentCache } from "./oci-content-cache.js";

/**
 * What is attached to an image, found the two ways cosign and oras store things: OCI 1.1 referrers (through the
 * referrers API, or the referrers tag schema on registries without it) and cosign's tag layout
 * (`sha256-<hex>.sig`, `.att`, `.sbom`). Only listing here; reading and verifying is the caller's.
 */

export type CosignSuffix = ".sig" | ".att" | ".sbom";

export interface Referrer {
  source: "referrer";
  /** The referrer manifest (its descriptor as the listing gave it: artifactType and annotations included). */
  manifest: Descriptor;
  artifactType: string;
  /** `dev.sigstore.bundle.predicateType` for a bundle referrer. */
  predicateType?: string;
  created?: string;
}

export interface CosignTagImage {
  source: "cosign-tag";
  tag: string;
  suffix: CosignSuffix;
  manifest: Descriptor;
  document: ManifestDocument;
}

export interface Attachments {
  subject: string;
  referrers: Referrer[];
  /** "api" when the registry has the referrers API, "tag-schema" when vouch read the fallback index instead. */
  referrersVia: "api" | "tag-schema";
  cosignTags: CosignTagImage[];
  /** What was odd about the listing (why the tag schema was read, entries left out): worth telling the user. */
  notes: string[];
}

export interface DiscoverOptions {
  /** Which cosign tags to look for (default all three). */
  cosignSuffixes?: readonly CosignSuffix[];
  cache?: ContentCache;
}

/** Everything attached to `subjectDigest` in `target`, listed in one round of concurrent requests. */
export async function discoverAttachments(client: RegistryClient, target: RepositoryTarget, subjectDigest: string, options: DiscoverOptions = {}): Promise<Attachments> {
  const suffixes = options.cosignSuffixes ?? [".sig", ".att", ".sbom"];
  const [listed, ...tags] = await Promise.all([
    listReferrers(client, target, subjectDigest),
    ...suffixes.map((suffix) => cosignTagImage(client, target, subjectDigest, suffix)),
  ]);
  const referrers = listed.referrers.map(toReferrer);
  return {
    subject: subjectDigest,
    referrers,
    referrersVia: listed.via,
    cosignTags: tags.filter((t): t is CosignTagImage => t !== undefined),
    notes: listed.note === undefined ? [] : [listed.note],
  };
}

function toReferrer(descriptor: Descriptor): Referrer {
  const annotations = descriptor.annotations ?? {};
  const predicateType = annotations["dev.sigstore.bundle.predicateType"];
  const created = annotations["org.opencontainers.image.created"];
  return {
    source: "referrer",
    manifest: descriptor,
    artifactType: descriptor.artifactType ?? descriptor.mediaType,
    ...(predicateType !== undefined ? { predicateType } : {}),
    ...(created !== undefined ? { created } : {}),
  };
}

/** The cosign tag's image, or undefined when there is no such tag (most images have none of the three). */
async function cosignTagImage(client: RegistryClient, target: RepositoryTarget, subjectDigest: string, suffix: CosignSuffix): Promise<CosignTagImage | undefined> {
  const tag = cosignTag(subjectDigest, suffix);
  const fetched = await client.findManifest(target, tag);
  return fetched === undefined ? undefined : { source: "cosign-tag", tag, suffix, manifest: fetched.descriptor, document: fetched.document };
}

export const isBundleReferrer = (r: Referrer): boolean => isBundleArtifactType(r.artifactType);
export const isSbomReferrer = (r: Referrer): boolean => (Object.values(SBOM_ARTIFACT_TYPES) as string[]).includes(r.artifactType);

/** The referrer's manifest (cached by digest: a referrer manifest never changes). */
export async function referrerManifest(client: RegistryClient, target: RepositoryTarget, referrer: Referrer, cache?: ContentCache) {
  return manifestByDigest(client, cache, target, referrer.manifest.digest);
}

