import type { Component, Property } from "../../../sbom/model/types.js";
import type { ImageInfo } from "./image-source.js";
import { formatPlatform } from "./manifest.js";

/**
 * The SBOM's root component for an image (what syft and trivy put in metadata.component): type container,
 * named after its repository, versioned by its manifest digest, with a pkg:oci purl
 * (purl-spec types/oci: the digest as version, repository_url and tag as qualifiers).
 */

const BASE_NAME = "org.opencontainers.image.base.name";
const BASE_DIGEST = "org.opencontainers.image.base.digest";

/** "registry:5000/team/app:1.0" -> { repository: "registry:5000/team/app", tag: "1.0" }. */
export function splitRepoTag(ref: string): { repository: string; tag?: string } {
  const at = ref.indexOf("@");
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const colon = named.lastIndexOf(":");
  if (colon > named.lastIndexOf("/")) return { repository: named.slice(0, colon), tag: named.slice(colon + 1) };
  return { repository: named };
}

/** The name to give the image: its first repo tag's repository, else the file or directory it was read from. */
function imageName(info: ImageInfo, fallback: string): string {
  const tag = info.repoTags[0];
  return tag ? splitRepoTag(tag).repository : fallback;
}

export function imageRootComponent(info: ImageInfo, fallbackName: string): Component {
  const name = imageName(info, fallbackName);
  const hex = info.manifestDigest.slice(info.manifestDigest.indexOf(":") + 1);
  const alg = info.manifestDigest.startsWith("sha512:") ? "SHA-512" : "SHA-256";
  const properties: Property[] = [
    { name: "vouch:image:manifest-digest", value: info.manifestDigest },
    { name: "vouch:image:manifest-media-type", value: info.manifestMediaType },
    { name: "vouch:image:config-digest", value: info.configDigest },
    ...(info.indexDigest ? [{ name: "vouch:image:index-digest", value: info.indexDigest }] : []),
    ...(info.platform ? [{ name: "vouch:image:platform", value: formatPlatform(info.platform) }] : []),
    ...(info.created ? [{ name: "vouch:image:created", value: info.created }] : []),
    ...info.repoTags.map((t) => ({ name: "vouch:image:repo-tag", value: t })),
    { name: "vouch:image:layer-count", value: String(info.layers.length) },
    ...info.layers.map((l) => ({ name: `vouch:image:layer:${l.index}`, value: `${l.digest} ${l.diffId}` })),
    ...(info.annotations[BASE_NAME] ? [{ name: "vouch:image:base-name", value: info.annotations[BASE_NAME] }] : []),
    ...(info.annotations[BASE_DIGEST] ? [{ name: "vouch:image:base-digest", value: info.annotations[BASE_DIGEST] }] : []),
    ...(info.synthesizedManifest ? [{ name: "vouch:image:manifest-synthesized", value: "true" }] : []),
    { name: "vouch:image:source", value: info.reference },
  ];
  return {
    bomRef: imagePurl(info, name),
    type: "container",
    ecosystem: "generic",
    name,
    version: info.manifestDigest,
    purl: imagePurl(info, name),
    licenses: [],
    hashes: [{ alg, content: hex }],
    scope: "required",
    externalRefs: [],
    foundIn: [],
    properties: properties.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
  };
}

/** pkg:oci/<last path segment>@<digest>?arch=..&repository_url=..&tag=.. (qualifiers sorted, as purl-spec asks). */
export function imagePurl(info: ImageInfo, name: string): string {
  const last = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  const firstTag = info.repoTags[0] ? splitRepoTag(info.repoTags[0]) : undefined;
  const qualifiers: [string, string][] = [];
  if (info.platform) qualifiers.push(["arch", info.platform.architecture]);
  if (firstTag && firstTag.repository.includes("/")) qualifiers.push(["repository_url", firstTag.repository.toLowerCase()]);
  if (firstTag?.tag) qualifiers.push(["tag", firstTag.tag]);
  const q = qualifiers.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2F/g, "/")}`).join("&");
  return `pkg:oci/${encodeURIComponent(last)}@${encodeURIComponent(info.manifestDigest)}${q ? `?${q}` : ""}`;
}
