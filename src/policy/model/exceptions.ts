import type { PolicyException } from "./types.js";

/**
 * Whether an exception waives its policy for this image in this namespace at `now`. An exception applies strictly
 * before its `expiresAt` and never after, wherever it is consulted (webhook, CLI, background re-checks): the clock is
 * a parameter so that each caller passes its own and a test can pass any.
 *
 * @example
 *   exceptionApplies(policy.exceptions[0], { image: "ghcr.io/acme/app@sha256:…", namespace: "payments" }, new Date());
 */
export function exceptionApplies(exception: PolicyException, target: { image: string; namespace?: string }, now: Date): boolean {
  if (!(now.getTime() < exception.expiresAt.getTime())) return false;
  if (exception.images.length > 0 && !exception.images.some((g) => g.test(target.image))) return false;
  if (exception.namespaces.length > 0) {
    const ns = target.namespace;
    if (ns === undefined || !exception.namespaces.some((g) => g.test(ns))) return false;
  }
  return true;
}
