import type { ImagePolicy, ResourceRef } from "../model/types.js";
import { coveringPolicies, imageNames } from "../rules/matching.js";
import { isPinned, pinReference, type WorkloadImage } from "./images.js";
import type { AdmissionInput } from "./review.js";
import { escapePointerToken, type PatchOperation } from "./response.js";

/**
 * The mutating webhook pins tags to digests so that the image the validating webhook verified is the image the
 * kubelet pulls (a tag can move between admission and pull). It pins only images some policy covers: an image no
 * policy verifies gains nothing from a digest, and resolving it would add a registry round trip (and a failure
 * point) to every admission.
 */

/**
 * The images of an admission input to pin: not already pinned (`name@sha256:…` or `name:tag@sha256:…` is left
 * alone) and covered by a policy, matched as evaluation matches them (rules/matching.ts: the reference as written
 * and its normalized name).
 */
export function imagesToPin(input: AdmissionInput, policies: readonly ImagePolicy[]): WorkloadImage[] {
  const resource: ResourceRef = { kind: input.kind, ...(input.namespace !== undefined ? { namespace: input.namespace } : {}), labels: input.labels };
  return input.images.filter((image) => !isPinned(image.reference) && coveringPolicies(policies, resource, imageNames(image.reference)).length > 0);
}

/** One `replace` per image, at its pointer, with `name:tag@digest`. */
export function pinPatch(pins: readonly { readonly image: WorkloadImage; readonly digest: string }[]): PatchOperation[] {
  return pins.map(({ image, digest }) => ({
    op: "replace",
    path: `/${image.pointer.split("/").slice(1).map(escapePointerToken).join("/")}`,
    value: pinReference(image.reference, digest),
  }));
}
