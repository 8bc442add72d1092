import type { Descriptor } from "../../catalog/sources/image/types.js";
import { VouchError } from "../../core/errors.js";
import { parseDigest } from "../digest.js";
import type { ReferrerManifest } from "./bundle-referrer.js";
import { cosignImage } from "./cosign-tags.js";
import { ANNOTATION_CREATED, ANNOTATION_TITLE, buildManifest, describe, EMPTY_BLOB, EMPTY_DESCRIPTOR, isRecord, rfc3339, type BuiltArtifact } from "./encode.js";

/**
 * SBOM documents attached to images, unsigned: as an OCI 1.1 referrer (what `oras attach --artifact-type` makes,
 * and what cosign v3 reads), or in cosign's `sha256-<hex>.sbom` tag layout (`cosign attach sbom`, specs/SBOM_SPEC.md).
 * A signed SBOM is an attestation instead (predicate type cyclonedx/spdx), stored like any other.
 */

export type SbomFormat = "cyclonedx" | "spdx";

/** The artifactType (and layer media type) of an SBOM referrer: the formats' registered JSON media types. */
export const SBOM_ARTIFACT_TYPES: Readonly<Record<SbomFormat, string>> = Object.freeze({
  cyclonedx: "application/vnd.cyclonedx+json",
  spdx: "application/spdx+json",
});

/**
 * The layer media types cosign writes in its `.sbom` layout: `--type` plus `+json` (cosign pkg/types: CycloneDX
 * "application/vnd.cyclonedx", SPDX "text/spdx"), so SPDX JSON is `text/spdx+json` there, not the IANA type.
 */
export const COSIGN_SBOM_MEDIA_TYPES: Readonly<Record<SbomFormat, string>> = Object.freeze({
  cyclonedx: "application/vnd.cyclonedx+json",
  spdx: "text/spdx+json",
});

/**
 * Which SBOM format the bytes are, by the formats' marker fields (CycloneDX `bomFormat: "CycloneDX"`, SPDX 2.x
 * `spdxVersion: "SPDX-…"`). Only what attaching needs: the document is stored as given, not read (vouch's SBOM
 * reader may know fewer versions than a registry should hold).
 *
 * @throws VouchError INPUT_MALFORMED (not UTF-8 JSON), INPUT_UNSUPPORTED_FORMAT (XML, tag-value, SPDX 3, another
 *   document), with `file` when given.
 */
export function detectSbomFormat(bytes: Uint8Array, fileName?: string): SbomFormat {
  const where = fileName === undefined ? {} : { file: fileName };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "the SBOM is not UTF-8 text", { ...where, cause: error });
  }
  const start = text.trimStart();
  if (start.startsWith("<")) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "XML SBOMs are not supported: attach CycloneDX or SPDX JSON", where);
  if (/^(SPDXVersion|DataLicense|SPDXID)\s*:/m.test(start.slice(0, 4096))) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "SPDX tag-value is not supported: attach SPDX JSON", where);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, newlines and all: the message stays one line.
    throw new VouchError("INPUT_MALFORMED", `the SBOM is not JSON (${(error as Error).message.replace(/\s+/g, " ")})`, { ...where, cause: error });
  }
  if (isRecord(document)) {
    if (document.bomFormat === "CycloneDX") return "cyclonedx";
    if (typeof document.spdxVersion === "string" && document.spdxVersion.startsWith("SPDX-")) return "spdx";
    if (document["@context"] !== undefined && JSON.stringify(document["@context"]).includes("spdx.org/rdf/3")) {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "SPDX 3 (JSON-LD) has no registered OCI artifact type yet: attach SPDX 2.x or CycloneDX JSON", where);
    }
  }
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "not an SBOM: neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)", where);
}

/**
 * The manifest for an SBOM and the blobs to push first.
 *   - With `subject`: an OCI 1.1 referrer (image-spec "Guidelines for Artifact Usage", as `oras attach` writes it):
 *     artifactType = the format's media type, the empty config, one layer (the SBOM, titled `title` when given),
 *     `org.opencontainers.image.created`.
 *   - Without: the image cosign pushes to `sha256-<hex>.sbom` (cosign attach sbom): an OCI config, one layer of
 *     cosign's media type, and — as cosign writes without --record-creation-timestamp — the zero creation time,
 *     so attaching the same SBOM twice gives the same manifest.
 *
 * @example
 *   sbomReferrerManifest({ sbom, format: detectSbomFormat(sbom), subject: image, created: new Date() });
 */
export function sbomReferrerManifest(input: { sbom: Uint8Array; format: SbomFormat; subject: Descriptor | undefined; created: Date; title?: string }): BuiltArtifact {
  if (input.subject === undefined) {
    const layer = describe(input.sbom, COSIGN_SBOM_MEDIA_TYPES[input.format]);
    const image = cosignImage([layer]);
    return { manifest: image.manifest, blobs: [...image.blobs, { descriptor: layer, bytes: input.sbom }] };
  }
  try {
    parseDigest(input.subject.digest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `SBOM referrer subject: ${(error as Error).message}`, { cause: error });
  }
  const artifactType = SBOM_ARTIFACT_TYPES[input.format];
  const layer = describe(input.sbom, artifactType, input.title ? { [ANNOTATION_TITLE]: input.title } : undefined);
  const manifest = buildManifest({ artifactType, config: EMPTY_DESCRIPTOR, layers: [layer], subject: input.subject, annotations: { [ANNOTATION_CREATED]: rfc3339(input.created) } });
  return {
    manifest,
    blobs: [
      { descriptor: EMPTY_DESCRIPTOR, bytes: EMPTY_BLOB },
      { descriptor: layer, bytes: input.sbom },
    ],
  };
}

/**
 * The SBOM layer of a referrer manifest or of a cosign `.sbom` image, and its format from the media type (either
 * spelling of SPDX JSON). The document's bytes are fetched by the descriptor (and checked against it) afterwards.
 *
 * @throws VouchError INPUT_UNSUPPORTED_FORMAT when no layer is a JSON SBOM vouch knows (an XML or tag-value SBOM
 *   cosign stored, another artifact), INPUT_MALFORMED for an index or a manifest naming two SBOM layers.
 */
export function parseSbomManifest(doc: ReferrerManifest): { layer: Descriptor; format: SbomFormat } {
  if (doc.kind !== "manifest") throw new VouchError("INPUT_MALFORMED", "an SBOM artifact is an image manifest, not an index");
  const found = doc.layers.flatMap((layer) => {
    const format = sbomFormatOfMediaType(layer.mediaType);
    return format === undefined ? [] : [{ layer, format }];
  });
  if (found.length === 0) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `no layer is a CycloneDX or SPDX JSON document (${doc.layers.map((l) => l.mediaType).join(", ") || "no layers"})`);
  }
  if (found.length > 1) throw new VouchError("INPUT_MALFORMED", `the manifest holds ${found.length} SBOM layers; which one is meant is ambiguous`);
  return found[0]!;
}

/** The SBOM layer of a referrer or `.sbom` manifest (parseSbomManifest without the format). */
export function parseSbomReferrer(doc: ReferrerManifest): Descriptor {
  return parseSbomManifest(doc).layer;
}

/**
 * The OCI artifact type for an SBOM layer media type: cosign's `text/spdx+json` becomes `application/spdx+json`, so
 * a document downloaded from either layout is labelled alike; a media type that is no JSON SBOM is returned as is.
 */
export function resolveSbomArtifactType(mediaType: string): string {
  const format = sbomFormatOfMediaType(mediaType);
  return format === undefined ? mediaType : SBOM_ARTIFACT_TYPES[format];
}

/** The format a layer or artifact media type names, or undefined (parameters such as `;version=` are ignored). */
export function sbomFormatOfMediaType(mediaType: string): SbomFormat | undefined {
  const base = mediaType.split(";")[0]!.trim().toLowerCase();
  if (base === SBOM_ARTIFACT_TYPES.cyclonedx) return "cyclonedx";
  if (base === SBOM_ARTIFACT_TYPES.spdx || base === COSIGN_SBOM_MEDIA_TYPES.spdx) return "spdx";
  return undefined;
}
