import { parseReference } from "../../oci/reference.js";
import type { ImagePolicy, ResourceRef } from "../model/types.js";

/**
 * The forms of an image a policy glob is matched against: the reference as the resource wrote it, its normalized
 * name (`nginx` is `docker.io/library/nginx:latest`, as policy-controller and Kyverno normalize), and the pinned
 * `registry/repository@sha256:…` that was inspected. A glob written for any of these forms matches.
 */
export function imageNames(reference: string, pinned?: string): string[] {
  const names = [reference];
  try {
    const ref = parseReference(reference);
    const name = `${ref.registry}/${ref.repository}`;
    names.push(`${name}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`);
    if (ref.registry === "docker.io") names.push(`index.docker.io/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`);
  } catch {
    // Not a reference vouch can normalize: the text as written is matched alone (and resolving it will fail anyway).
  }
  if (pinned !== undefined) names.push(pinned);
  return [...new Set(names)];
}

/**
 * The policies that cover an image of a resource: its resources matcher accepts the resource, some include glob
 * matches a form of the image and no exclude glob matches any form (an exclusion written for the normalized name
 * also excludes the short one).
 */
export function coveringPolicies(policies: readonly ImagePolicy[], resource: ResourceRef, names: readonly string[]): ImagePolicy[] {
  return policies.filter(
    (p) =>
      p.resources.matches(resource) &&
      p.images.include.some((g) => names.some((n) => g.test(n))) &&
      !p.images.exclude.some((g) => names.some((n) => g.test(n))),
  );
}
